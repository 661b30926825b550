/**
 * The finding-chart plugin: the `surveylab:open-finding-chart` command (args
 * {@link IFindingChartArgs}), which the cutout gallery, the query panel and
 * the footprint viewer run from their "Finding chart" actions. The chart
 * opens in the main area with a "Download PDF" button.
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, InputDialog } from '@jupyterlab/apputils';

import { CATEGORY, CommandIDs } from '../commands';
import type { IFindingChartArgs } from '../commands';
import type { ChartTarget } from './api';
import { createFindingChart } from './widget';

export {
  FindingChartInputError,
  requestChart,
  rowTarget,
  targetTitle
} from './api';
export type { ChartTarget, IFindingChartRequest } from './api';
export { FindingChartView, createFindingChart } from './widget';
export { ChartOpenerContext, commandOpener } from './context';
export type { ChartOpener } from './context';

/** The plugin's id. */
export const FINDING_CHART_PLUGIN_ID = '@surveylab/labextension:finding-chart';

function activate(app: JupyterFrontEnd, palette: ICommandPalette | null): void {
  app.commands.addCommand(CommandIDs.openFindingChart, {
    label: 'Finding chart',
    caption:
      'A finding chart: a cutout around an object with a compass, a scale bar and the target marked',
    describedBy: {
      args: {
        type: 'object',
        properties: {
          targets: {
            type: 'array',
            description:
              'Object ids, names, positions ("ra dec"), [ra, dec] or rows with RA and DEC'
          },
          size: { type: 'number', description: 'Side in arcmin' },
          band: { type: 'string', description: 'One band, or three for colour' }
        }
      }
    },
    execute: async args => {
      const chart = args as IFindingChartArgs;
      let targets: ChartTarget[] = Array.isArray(chart.targets)
        ? (chart.targets as ChartTarget[])
        : [];
      if (targets.length === 0) {
        const asked = await InputDialog.getText({
          title: 'Finding chart',
          label: 'Object id, DES name, tile or position (RA Dec):',
          placeholder: '323.36 -0.82'
        });
        if (!asked.button.accept || !asked.value?.trim()) {
          return null;
        }
        targets = [asked.value.trim()];
      }
      const widget = createFindingChart({
        targets,
        ...(chart.size === undefined ? {} : { size: chart.size }),
        ...(chart.band === undefined ? {} : { band: chart.band }),
        ...(chart.catalog === undefined ? {} : { catalog: chart.catalog })
      });
      app.shell.add(widget, 'main');
      app.shell.activateById(widget.id);
      return widget;
    }
  });
  palette?.addItem({
    command: CommandIDs.openFindingChart,
    category: CATEGORY
  });
}

/** The finding-chart plugin. */
const plugin: JupyterFrontEndPlugin<void> = {
  id: FINDING_CHART_PLUGIN_ID,
  description: 'surveylab: finding charts of objects and positions (PNG, PDF).',
  autoStart: true,
  optional: [ICommandPalette],
  activate
};

export default plugin;
