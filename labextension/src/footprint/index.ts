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
import { FootprintModel, type OverlayName } from './model';
import { FootprintViewer } from './widget';

/** The plugin's id; also the id of its settings. */
export const FOOTPRINT_PLUGIN_ID = '@surveylab/labextension:footprint';

/** The performance mark set when the command starts opening the viewer. */
export const OPEN_MARK = 'surveylab:footprint-open';

/** The settings the viewer reads (see `schema/footprint.json`). */
export interface IFootprintSettings {
  healpixNside: number;
  mocOrder: number;
  overlays: Record<OverlayName, boolean>;
}

/** The defaults, also used when the settings cannot be read. */
export const DEFAULT_SETTINGS: IFootprintSettings = {
  healpixNside: 32,
  mocOrder: 9,
  overlays: { hips: true, tiles: true, healpix: true, moc: true }
};

/** Read the composite settings, keeping the defaults for anything missing. */
export function readSettings(
  composite: Record<string, unknown>
): IFootprintSettings {
  const nside = composite.healpixNside;
  const order = composite.mocOrder;
  const overlays = composite.overlays;
  const shown: Record<OverlayName, boolean> = { ...DEFAULT_SETTINGS.overlays };
  if (typeof overlays === 'object' && overlays !== null) {
    for (const name of Object.keys(shown) as OverlayName[]) {
      const value = (overlays as Record<string, unknown>)[name];
      if (typeof value === 'boolean') {
        shown[name] = value;
      }
    }
  }
  return {
    healpixNside:
      typeof nside === 'number' ? nside : DEFAULT_SETTINGS.healpixNside,
    mocOrder: typeof order === 'number' ? order : DEFAULT_SETTINGS.mocOrder,
    overlays: shown
  };
}

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

  palette?.addItem({ command: CommandIDs.openFootprint, category: CATEGORY });
  launcher?.add({
    command: CommandIDs.openFootprint,
    category: CATEGORY,
    rank: 5
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
