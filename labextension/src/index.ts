/**
 * The surveylab JupyterLab extension: the Survey panel and its command.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import { ICommandPalette, WidgetTracker } from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { ISettingRegistry } from '@jupyterlab/settingregistry';

import { CATEGORY, CommandIDs } from './commands';
import deadlinePlugin from './deadline';
import findingChartPlugin from './finding-chart';
import footprintPlugin from './footprint';
import galleryPlugin from './gallery';
import helpPlugin from './help';
import { surveyIcon } from './icon';
import jobsPlugin from './jobs';
import { SurveyPanel } from './panel';
import queryPlugin from './query';
import similarPlugin from './similar';
import statusPlugin from './status';
import { whenShown } from './role';

export { CATEGORY, CommandIDs } from './commands';
export type { IGalleryArgs, IQueryArgs } from './commands';
export type { IFindingChartArgs } from './commands';
export type { ISimilarArgs } from './commands';
export { surveyIcon } from './icon';
export { SurveyInfoModel } from './model';
export type { SurveyInfoState } from './model';
export { PANEL_ID, SurveyPanel, TablesView } from './panel';
export { requestAPI, SurveylabAPIError } from './request';
export type { IErrorBody, ISurveyInfo, ISurveyTable } from './types';

/** The plugin's id; also the id of its settings. */
export const PLUGIN_ID = '@surveylab/labextension:plugin';

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  launcher: ILauncher | null,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null
): void {
  const tracker = new WidgetTracker<SurveyPanel>({ namespace: 'surveylab' });

  app.commands.addCommand(CommandIDs.open, {
    label: 'Survey',
    caption: 'Open the Survey panel: the data release and its tables',
    icon: surveyIcon,
    execute: () => {
      // One panel at a time: reuse the open one.
      let panel = tracker.find(() => true);
      if (panel === undefined) {
        panel = new SurveyPanel();
        void tracker.add(panel);
      }
      if (!panel.isAttached) {
        app.shell.add(panel, 'main');
      }
      app.shell.activateById(panel.id);
      return panel;
    }
  });

  whenShown('survey', () => {
    palette?.addItem({ command: CommandIDs.open, category: CATEGORY });
    launcher?.add({ command: CommandIDs.open, category: CATEGORY, rank: 0 });
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.open,
      name: () => 'surveylab'
    });
  }

  if (settingRegistry) {
    Promise.all([settingRegistry.load(PLUGIN_ID), app.restored])
      .then(async ([settings]) => {
        if (settings.get('openOnStart').composite === true) {
          await app.commands.execute(CommandIDs.open);
        }
      })
      .catch((reason: unknown) => {
        console.error(`${PLUGIN_ID}: cannot read the settings.`, reason);
      });
  }
}

/**
 * The surveylab plugin: the `surveylab:open` command, in the command palette
 * and the launcher, opening the Survey panel in the main area.
 */
const surveyPlugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Survey panel: the data release, its tables and tools.',
  autoStart: true,
  optional: [ICommandPalette, ILauncher, ILayoutRestorer, ISettingRegistry],
  activate
};

/** Every plugin of the extension: the Survey panel and the four tools. */
const plugins: JupyterFrontEndPlugin<void>[] = [
  surveyPlugin,
  queryPlugin,
  jobsPlugin,
  galleryPlugin,
  footprintPlugin,
  deadlinePlugin,
  findingChartPlugin,
  helpPlugin,
  statusPlugin,
  similarPlugin
];

export default plugins;
