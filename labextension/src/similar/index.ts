/**
 * The "objects like this" plugin: the `surveylab:open-similar` command (args
 * {@link ISimilarArgs}), which the cutout gallery's enlarged view and the
 * query panel's row menu and toolbar run. It asks the server for the
 * target's nearest neighbours with a cutout job of them, and opens that job
 * in the gallery.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';

import { CommandIDs } from '../commands';
import type { ISimilarArgs } from '../commands';
import { requestSimilar } from './api';
import type { SimilarTarget } from './api';

export { DEFAULT_K, requestSimilar } from './api';
export type { ISimilarAnswer, ISimilarRequest, SimilarTarget } from './api';
export { SimilarOpenerContext, similarOpener } from './context';
export type { SimilarOpener } from './context';

/** The plugin's id. */
export const SIMILAR_PLUGIN_ID = '@surveylab/labextension:similar';

function activate(app: JupyterFrontEnd): void {
  app.commands.addCommand(CommandIDs.openSimilar, {
    label: 'Objects like this',
    caption:
      "The imaged objects whose stamps look most like this one's, as a cutout gallery",
    describedBy: {
      args: {
        type: 'object',
        properties: {
          target: {
            description:
              'An object id (digits), a name, a position ("ra dec"), [ra, dec] or a row with RA and DEC'
          },
          k: { type: 'number', description: 'Neighbours (default 50)' }
        }
      }
    },
    execute: async args => {
      const { target, k } = args as ISimilarArgs;
      if (target === undefined || target === null) {
        return null;
      }
      try {
        const answer = await requestSimilar(target as SimilarTarget, {
          ...(typeof k === 'number' ? { k } : {}),
          gallery: true
        });
        if (answer.job) {
          await app.commands.execute(CommandIDs.openGallery, {
            jobId: answer.job
          });
        }
        return answer;
      } catch (error) {
        Notification.error(
          `Objects like this: ${error instanceof Error ? error.message : String(error)}`,
          { autoClose: false }
        );
        return null;
      }
    }
  });
}

/** The "objects like this" command. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: SIMILAR_PLUGIN_ID,
  description: 'Objects like this: similarity search, answered as a gallery.',
  autoStart: true,
  activate
};

export default plugin;
