/**
 * How a panel's React views open "objects like this" without knowing the
 * app: the panel provides an opener (which runs the similar command), and a
 * view shows its "Objects like this" action only when there is one.
 */
import type { ReadonlyPartialJSONValue } from '@lumino/coreutils';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import type { SimilarTarget } from './api';

/** Open the objects most like `target` as a gallery. */
export type SimilarOpener = (target: SimilarTarget) => void;

/** The opener of the panel around a view, or null when there is none. */
export const SimilarOpenerContext = React.createContext<SimilarOpener | null>(
  null
);

/** An opener that runs the similar command of `commands`. */
export function similarOpener(commands: CommandRegistry): SimilarOpener {
  return target => {
    void commands.execute(CommandIDs.openSimilar, {
      target: target as ReadonlyPartialJSONValue
    });
  };
}
