/**
 * How a panel's React views open a finding chart without knowing the app:
 * the panel provides an opener (which runs the finding-chart command), and a
 * view shows its "Finding chart" action only when there is one.
 */
import type { ReadonlyPartialJSONArray } from '@lumino/coreutils';
import type { CommandRegistry } from '@lumino/commands';
import * as React from 'react';

import { CommandIDs } from '../commands';
import type { ChartTarget } from './api';

/** Open the finding chart(s) of `targets` in the main area. */
export type ChartOpener = (targets: ChartTarget[]) => void;

/** The opener of the panel around a view, or null when charts are not available. */
export const ChartOpenerContext = React.createContext<ChartOpener | null>(null);

/** An opener that runs the finding-chart command of `commands`. */
export function commandOpener(commands: CommandRegistry): ChartOpener {
  return targets => {
    void commands.execute(CommandIDs.openFindingChart, {
      targets: targets as ReadonlyPartialJSONArray
    });
  };
}
