/**
 * The cutout gallery plugin: the `surveylab:open-gallery` command (launcher,
 * palette), its panel, its settings and the layout restorer.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { imageIcon } from '@jupyterlab/ui-components';

import { CATEGORY, CommandIDs } from '../commands';
import { commandOpener } from '../finding-chart/context';
import { similarOpener } from '../similar/context';
import type { IGalleryArgs } from '../commands';
import { formFromArgs } from './form';
import { GalleryPanel } from './panel';
import { DEFAULT_SETTINGS, readSettings } from './settings';
import type { IGallerySettings } from './settings';
import { whenShown } from '../role';

/** The plugin's id; also the id of its settings (schema/gallery.json). */
export const GALLERY_PLUGIN_ID = '@surveylab/labextension:gallery';

export { GalleryPanel } from './panel';

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  launcher: ILauncher | null,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null
): void {
  const tracker = new WidgetTracker<GalleryPanel>({
    namespace: 'surveylab-gallery'
  });
  let settings: IGallerySettings = DEFAULT_SETTINGS;

  app.commands.addCommand(CommandIDs.openGallery, {
    label: args => (args.jobId ? 'Cutout Gallery of a Job' : 'Cutout Gallery'),
    caption:
      'Make cutouts around positions or objects, browse them as thumbnails and label them',
    icon: imageIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          jobId: { type: 'string', description: 'Show this cutout job' },
          positions: {
            type: 'string',
            description: 'Pre-fill the form: one "ra dec" per line'
          }
        }
      }
    },
    execute: args => {
      const { jobId, positions } = args as IGalleryArgs;
      // One gallery at a time: reuse the open one.
      let panel = tracker.find(() => true);
      const fresh = panel === undefined;
      if (panel === undefined) {
        panel = new GalleryPanel();
        panel.settings = settings;
        panel.chartOpener = commandOpener(app.commands);
        panel.similarOpener = similarOpener(app.commands);
        panel.jobChanged.connect(changed => void tracker.save(changed));
        void tracker.add(panel);
      }
      if (typeof jobId === 'string' && jobId !== '') {
        panel.showView({ kind: 'job', jobId });
      } else if (typeof positions === 'string' || fresh) {
        panel.showView({ kind: 'form', form: formFromArgs({ positions }) });
      }
      if (!panel.isAttached) {
        app.shell.add(panel, 'main');
      }
      app.shell.activateById(panel.id);
      return panel;
    }
  });

  whenShown('gallery', () => {
    palette?.addItem({ command: CommandIDs.openGallery, category: CATEGORY });
    launcher?.add({
      command: CommandIDs.openGallery,
      category: CATEGORY,
      rank: 3
    });
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.openGallery,
      args: panel => (panel.jobId ? { jobId: panel.jobId } : {}),
      name: () => 'surveylab-gallery'
    });
  }

  if (settingRegistry) {
    settingRegistry
      .load(GALLERY_PLUGIN_ID)
      .then(loaded => {
        const apply = () => {
          settings = readSettings(loaded.composite);
          tracker.forEach(panel => {
            panel.settings = settings;
            panel.chartOpener = commandOpener(app.commands);
            panel.similarOpener = similarOpener(app.commands);
          });
        };
        apply();
        loaded.changed.connect(apply);
      })
      .catch((reason: unknown) => {
        console.error(
          `${GALLERY_PLUGIN_ID}: cannot read the settings.`,
          reason
        );
      });
  }
}

/**
 * The cutout gallery: `surveylab:open-gallery` with `{jobId?, positions?}`,
 * in the launcher's Survey section and the palette.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: GALLERY_PLUGIN_ID,
  description:
    'surveylab: the cutout gallery (new cutouts, thumbnails, FITS headers, labels).',
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ILayoutRestorer, ISettingRegistry],
  activate
};

export default plugin;
