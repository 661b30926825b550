/**
 * The status plugin: an item in the status bar saying whether each part of
 * the platform answers (catalog, job runner, cutout executor, hub, platform
 * service), checked every 30 s, and the Status panel it opens.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { IStatusBar } from '@jupyterlab/statusbar';
import { refreshIcon, ToolbarButton } from '@jupyterlab/ui-components';

import { CATEGORY } from '../commands';
import { sharedStatus } from './model';
import { STATUS_PANEL_ID, StatusItem, StatusPanel } from './panel';

export * from './model';
export { STATUS_PANEL_ID, StatusItem, StatusPanel } from './panel';
export { PartNotice, usePartNotice } from './notice';

/** The plugin's id. */
export const STATUS_PLUGIN_ID = '@surveylab/labextension:status';

/** The command that opens the Status panel. */
export const OPEN_STATUS = 'surveylab:open-status';

function activate(
  app: JupyterFrontEnd,
  statusBar: IStatusBar | null,
  palette: ICommandPalette | null
): void {
  const model = sharedStatus();
  let panel: MainAreaWidget<StatusPanel> | null = null;

  app.commands.addCommand(OPEN_STATUS, {
    label: 'Survey Status',
    caption:
      'Show whether each part of the platform answers: catalog, jobs, cutouts, hub',
    execute: () => {
      if (panel === null || panel.isDisposed) {
        panel = new MainAreaWidget({ content: new StatusPanel(model) });
        panel.id = STATUS_PANEL_ID;
        panel.title.label = 'Survey Status';
        panel.title.closable = true;
        panel.toolbar.addItem(
          'refresh',
          new ToolbarButton({
            icon: refreshIcon,
            label: 'Check now',
            tooltip: 'Check every part now',
            dataset: { testid: 'status-refresh' },
            onClick: () => void model.refresh()
          })
        );
      }
      if (!panel.isAttached) {
        app.shell.add(panel, 'main');
      }
      app.shell.activateById(panel.id);
      void model.refresh();
      return panel;
    }
  });
  palette?.addItem({ command: OPEN_STATUS, category: CATEGORY });

  statusBar?.registerStatusItem(STATUS_PLUGIN_ID, {
    item: new StatusItem(model, () => {
      void app.commands.execute(OPEN_STATUS);
    }),
    align: 'left',
    rank: 10
  });
}

/** The status plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: STATUS_PLUGIN_ID,
  description:
    'A status bar item and a Status panel: whether each part of the platform answers.',
  autoStart: true,
  optional: [IStatusBar, ICommandPalette],
  activate
};

export default plugin;
