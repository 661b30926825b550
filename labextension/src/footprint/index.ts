/**
 * The footprint viewer plugin: the `surveylab:open-footprint` command (args
 * `{ target?: string }`, a position or tile name to go to), in the launcher
 * and the command palette; settings in `schema/footprint.json`.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CATEGORY, CommandIDs } from '../commands';
import { FootprintAPI } from './api';
import { footprintIcon } from './icon';
import { FootprintModel } from './model';
import {
  DEFAULT_SETTINGS,
  readSettings,
  type IFootprintSettings
} from './settings';
import { FootprintViewer } from './widget';
import { whenShown } from '../role';

/** The plugin's id; also the id of its settings. */
export const FOOTPRINT_PLUGIN_ID = '@surveylab/labextension:footprint';

/** The performance mark set when the command starts opening the viewer. */
export const OPEN_MARK = 'surveylab:footprint-open';

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  launcher: ILauncher | null,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null
): void {
  const tracker = new WidgetTracker<FootprintViewer>({
    namespace: 'surveylab-footprint'
  });
  let settings: Promise<IFootprintSettings> = Promise.resolve(DEFAULT_SETTINGS);
  if (settingRegistry) {
    settings = settingRegistry
      .load(FOOTPRINT_PLUGIN_ID)
      .then(loaded => readSettings(loaded.composite as Record<string, unknown>))
      .catch((reason: unknown) => {
        console.error(
          `${FOOTPRINT_PLUGIN_ID}: cannot read the settings.`,
          reason
        );
        return DEFAULT_SETTINGS;
      });
  }

  app.commands.addCommand(CommandIDs.openFootprint, {
    label: args =>
      typeof args.target === 'string' && args.target.length > 0
        ? `Footprint at ${args.target}`
        : 'Footprint',
    caption:
      "Open the footprint viewer: the survey's tiles, HEALPix counts, MOC and sky image",
    icon: footprintIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          target: {
            type: 'string',
            description: 'A position (RA Dec) or tile name to go to'
          }
        }
      }
    },
    execute: async args => {
      performance.mark(OPEN_MARK);
      // One viewer at a time: reuse the open one.
      let viewer = tracker.find(() => true);
      if (viewer === undefined) {
        const options = await settings;
        const model = new FootprintModel(new FootprintAPI(), options.overlays);
        viewer = new FootprintViewer({
          model,
          commands: app.commands,
          sky: {
            healpixNside: options.healpixNside,
            mocOrder: options.mocOrder
          }
        });
        void tracker.add(viewer);
      }
      if (!viewer.isAttached) {
        app.shell.add(viewer, 'main');
      }
      app.shell.activateById(viewer.id);
      const target = typeof args.target === 'string' ? args.target.trim() : '';
      if (target.length > 0) {
        void viewer.search(target);
      }
      return viewer;
    }
  });

  whenShown('footprint', () => {
    palette?.addItem({ command: CommandIDs.openFootprint, category: CATEGORY });
    launcher?.add({
      command: CommandIDs.openFootprint,
      category: CATEGORY,
      rank: 5
    });
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.openFootprint,
      name: () => 'surveylab-footprint'
    });
  }
}

/** The footprint viewer plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: FOOTPRINT_PLUGIN_ID,
  description:
    "surveylab: the footprint viewer (Aladin Lite with the survey's tiles, HEALPix counts, MOC and HiPS).",
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ILayoutRestorer, ISettingRegistry],
  activate
};

export default plugin;
