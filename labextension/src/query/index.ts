/**
 * The query plugin: the query panel (`surveylab:open-query`), in the launcher
 * and the palette, and `surveylab:open-sql-terminal` (a terminal running
 * `surveylab sql`).
 */
import type {
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ILayoutRestorer } from '@jupyterlab/application';
import {
  ICommandPalette,
  IThemeManager,
  MainAreaWidget,
  Notification,
  WidgetTracker
} from '@jupyterlab/apputils';
import { ILauncher } from '@jupyterlab/launcher';
import { INotebookTracker } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import {
  ToolbarButton,
  checkIcon,
  downloadIcon,
  fileUploadIcon,
  imageIcon,
  inspectorIcon,
  notebookIcon,
  runIcon,
  searchIcon,
  terminalIcon
} from '@jupyterlab/ui-components';
import { CommandRegistry } from '@lumino/commands';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Menu } from '@lumino/widgets';

import { CATEGORY, CommandIDs } from '../commands';
import type { IQueryArgs } from '../commands';
import { commandOpener } from '../finding-chart/context';
import { rowTarget } from '../finding-chart/api';
import { similarOpener } from '../similar/context';
import { describeError } from '../format';
import { requestAPI } from '../request';
import type { ILabInfo } from '../types';
import { fetchExamples } from './api';
import { parseExamples } from './examples';
import { QueryHistory } from './history-store';
import { queryIcon } from './icon';
import { askAnomalyOptions } from './anomaly-dialog';
import { anomalyRequest, defaultAnomalyForm } from './anomaly-form';
import type { IAnomalyForm } from './anomaly-form';
import { askJobOptions } from './job-dialog';
import { defaultJobForm, isJobFormat, jobRequest } from './job-form';
import type { IJobForm } from './job-form';
import { QueryModel } from './model';
import type { QueryState } from './model';
import { openInNotebook } from './notebook';
import { ExamplePicker, QUERY_PANEL_ID, QueryPanel } from './panel';
import { toCSV } from './result';
import { SchemaModel } from './schema';
import { sharedStatus } from '../status/model';
import { PartNotice } from '../status/notice';
import { whenShown } from '../role';

/** The plugin's id; also the id of its settings (`schema/query.json`). */
export const QUERY_PLUGIN_ID = '@surveylab/labextension:query';

/** The command that opens a terminal running the `surveylab sql` shell. */
export const OPEN_SQL_TERMINAL = 'surveylab:open-sql-terminal';

/** The plugin's settings, as read at each use. */
interface IQuerySettings {
  maxRows: number | undefined;
  timeout: number | undefined;
  defaultFormat: IJobForm['format'];
}

function readSettings(
  settings: ISettingRegistry.ISettings | null
): IQuerySettings {
  const get = (key: string): unknown => settings?.get(key).composite;
  const maxRows = get('maxRows');
  const timeout = get('timeout');
  const format = get('defaultFormat');
  return {
    maxRows:
      typeof maxRows === 'number' && Number.isInteger(maxRows) && maxRows > 0
        ? maxRows
        : undefined,
    timeout: typeof timeout === 'number' && timeout > 0 ? timeout : undefined,
    defaultFormat: isJobFormat(format) ? format : 'csv'
  };
}

/** A short note of how a run went, for the history list. */
function outcomeOf(state: QueryState): string {
  switch (state.kind) {
    case 'result':
      return `${state.result.row_count}${state.result.truncated ? '+' : ''} rows`;
    case 'submitted':
      return `job ${state.job.id}`;
    case 'error':
      return 'error';
    default:
      return state.kind;
  }
}

/** Save text as a file download (the browser's own "save"). */
function download(text: string, filename: string, type: string): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.style.display = 'none';
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => {
    URL.revokeObjectURL(url);
  }, 10_000);
}

interface ITerminalSession {
  connectionStatus?: string;
  connectionStatusChanged?: {
    connect: (slot: (sender: unknown, status: string) => void) => boolean;
    disconnect: (slot: (sender: unknown, status: string) => void) => boolean;
  };
  send: (message: { type: string; content: unknown[] }) => void;
}

/** Type `text` into a terminal once its connection is up. */
function typeIntoTerminal(session: ITerminalSession, text: string): void {
  const send = (): void => {
    session.send({ type: 'stdin', content: [text] });
  };
  if (
    session.connectionStatus === 'connected' ||
    session.connectionStatusChanged === undefined
  ) {
    send();
    return;
  }
  const signal = session.connectionStatusChanged;
  const onStatus = (_: unknown, status: string): void => {
    if (status === 'connected') {
      signal.disconnect(onStatus);
      send();
    }
  };
  signal.connect(onStatus);
}

function activate(
  app: JupyterFrontEnd,
  palette: ICommandPalette | null,
  launcher: ILauncher | null,
  restorer: ILayoutRestorer | null,
  settingRegistry: ISettingRegistry | null,
  notebooks: INotebookTracker | null,
  themeManager: IThemeManager | null
): void {
  const { commands } = app;
  const tracker = new WidgetTracker<MainAreaWidget<QueryPanel>>({
    namespace: 'surveylab-query'
  });
  const schema = new SchemaModel();
  let settings: ISettingRegistry.ISettings | null = null;
  let history = new QueryHistory();
  const settingsLoaded: Promise<void> = settingRegistry
    ? settingRegistry
        .load(QUERY_PLUGIN_ID)
        .then(loaded => {
          settings = loaded;
          history = new QueryHistory(loaded);
        })
        .catch((reason: unknown) => {
          console.error(
            `${QUERY_PLUGIN_ID}: cannot read the settings.`,
            reason
          );
        })
    : Promise.resolve();

  let lastJobForm: IJobForm | null = null;
  let lastAnomalyForm: IAnomalyForm | null = null;

  function createPanel(sql: string): MainAreaWidget<QueryPanel> {
    const model = new QueryModel();
    // While the catalog is down (the status model says so) nothing runs.
    let catalogDown = false;
    const runQuick = (): void => {
      if (!catalogDown) {
        void run('quick');
      }
    };
    const content = new QueryPanel({
      model,
      schema,
      history,
      sql,
      onRun: runQuick,
      onChange: () => {
        saveLater();
      }
    });
    const widget = new MainAreaWidget({ content });
    widget.id = QUERY_PANEL_ID;
    widget.addClass('sl-QueryMain');
    widget.title.label = 'SQL Query';
    widget.title.caption = 'Query the survey catalog with SQL';
    widget.title.icon = queryIcon;
    widget.title.closable = true;

    let saveTimer = 0;
    const saveLater = (): void => {
      window.clearTimeout(saveTimer);
      saveTimer = window.setTimeout(() => {
        if (!widget.isDisposed) {
          void tracker.save(widget);
        }
      }, 1000);
    };

    async function run(action: 'quick' | 'check' | 'explain'): Promise<void> {
      const sqlText = content.sql;
      // Keep the draft in the workspace now, not only after the edit's delay.
      window.clearTimeout(saveTimer);
      void tracker.save(widget);
      const { maxRows, timeout } = readSettings(settings);
      const state =
        action === 'quick'
          ? await model.quick(sqlText, { maxRows, timeout })
          : action === 'check'
            ? await model.check(sqlText)
            : await model.explain(sqlText);
      if (action === 'quick' && sqlText.trim() !== '') {
        content.history.add(sqlText, outcomeOf(state));
      }
    }

    async function submit(): Promise<void> {
      const sqlText = content.sql;
      if (sqlText.trim() === '') {
        model.fail(
          'submit',
          'The query is empty: write a SELECT (or WITH) query in the editor.'
        );
        return;
      }
      const initial =
        lastJobForm ?? defaultJobForm(readSettings(settings).defaultFormat);
      const form = await askJobOptions(sqlText, initial);
      if (form === null) {
        return;
      }
      lastJobForm = { ...form, name: '' };
      const state = await model.submit(jobRequest(sqlText, form));
      content.history.add(sqlText, outcomeOf(state));
      if (state.kind === 'submitted') {
        const job = state.job;
        Notification.success(`Job ${job.id} submitted (${job.name}).`, {
          autoClose: 10_000,
          actions: [
            {
              label: 'Show in job browser',
              caption: 'Open the job browser on this job',
              callback: () => {
                void commands.execute(CommandIDs.openJobs, { jobId: job.id });
              }
            }
          ]
        });
      } else if (state.kind === 'error') {
        Notification.error(
          `The job was not submitted: ${state.error.message}`,
          {
            autoClose: 10_000
          }
        );
      }
    }

    async function findAnomalies(): Promise<void> {
      const sqlText = content.sql;
      if (sqlText.trim() === '') {
        model.fail(
          'submit',
          'The query is empty: write the query of the sample to search.'
        );
        return;
      }
      const form = await askAnomalyOptions(
        sqlText,
        lastAnomalyForm ?? defaultAnomalyForm()
      );
      if (form === null) {
        return;
      }
      lastAnomalyForm = { ...form, name: '' };
      const state = await model.submit(anomalyRequest(sqlText, form));
      if (state.kind === 'submitted') {
        const job = state.job;
        Notification.success(
          `Anomaly job ${job.id} submitted (${job.name}); open its gallery of the top rows when it ends.`,
          {
            autoClose: 10_000,
            actions: [
              {
                label: 'Show in job browser',
                caption: 'Open the job browser on this job',
                callback: () => {
                  void commands.execute(CommandIDs.openJobs, { jobId: job.id });
                }
              },
              {
                label: 'Open gallery',
                caption: "Open the gallery of the job's top rows",
                callback: () => {
                  void commands.execute(CommandIDs.openGallery, {
                    jobId: job.id
                  });
                }
              }
            ]
          }
        );
      } else if (state.kind === 'error') {
        Notification.error(
          `The anomaly job was not submitted: ${state.error.message}`,
          { autoClose: 10_000 }
        );
      }
    }

    const button = (
      testid: string,
      options: ConstructorParameters<typeof ToolbarButton>[0]
    ): ToolbarButton => new ToolbarButton({ ...options, dataset: { testid } });

    const toolbar = widget.toolbar;
    const quickButton = button('query-quick', {
      icon: runIcon,
      label: 'Quick',
      tooltip:
        'Run a quick query: the first 10,000 rows within 30 s (Shift+Enter)',
      onClick: runQuick
    });
    toolbar.addItem('quick', quickButton);
    const submitButton = button('query-submit', {
      icon: fileUploadIcon,
      label: 'Submit job',
      tooltip:
        'Run the whole query as a job writing a CSV, FITS, HDF5 or Parquet file',
      onClick: () => void submit()
    });
    toolbar.addItem('submit', submitButton);
    const anomalyButton = button('query-anomalies', {
      icon: searchIcon,
      label: 'Find anomalies',
      tooltip:
        "Find anomalies in this query's result: an anomaly job with a gallery of the top rows",
      onClick: () => void findAnomalies()
    });
    toolbar.addItem('anomalies', anomalyButton);
    toolbar.addItem(
      'check',
      button('query-check', {
        icon: checkIcon,
        tooltip: 'Check: the syntax, without running the query',
        onClick: () => void run('check')
      })
    );
    const explainButton = button('query-explain', {
      icon: inspectorIcon,
      tooltip: "Explain: show the database's execution plan",
      onClick: () => void run('explain')
    });
    toolbar.addItem('explain', explainButton);
    // While the catalog is down: say so, and offer nothing that needs it.
    widget.contentHeader.addWidget(
      new PartNotice(sharedStatus(), 'catalog', down => {
        catalogDown = down;
        for (const item of [
          quickButton,
          submitButton,
          anomalyButton,
          explainButton
        ]) {
          item.enabled = !down;
        }
      })
    );
    const examples = new ExamplePicker(example => {
      content.setSQL(example.sql);
    });
    toolbar.addItem('examples', examples);
    toolbar.addItem(
      'notebook',
      button('query-notebook', {
        icon: notebookIcon,
        tooltip:
          'Open in notebook: insert a cell that runs this query into the current notebook (or a new one)',
        onClick: () => {
          const sqlText = content.sql;
          if (sqlText.trim() === '') {
            model.fail(
              'quick',
              'The query is empty: there is nothing to put in a notebook.'
            );
            return;
          }
          openInNotebook(app, notebooks, sqlText).catch((reason: unknown) => {
            Notification.error(
              `Cannot open a notebook: ${describeError(reason).message}`
            );
          });
        }
      })
    );
    const exportButton = button('query-export', {
      icon: downloadIcon,
      label: 'CSV',
      tooltip: 'Download the shown rows, in their shown order, as CSV',
      enabled: false,
      onClick: () => {
        const grid = content.grid.model;
        if (grid === null) {
          return;
        }
        download(
          toCSV(grid.result.columns, grid.result.rows, grid.order),
          'query-result.csv',
          'text/csv'
        );
      }
    });
    toolbar.addItem('export', exportButton);
    model.stateChanged.connect((_, state) => {
      exportButton.enabled = state.kind === 'result';
    });
    // The finding chart of the row with the cursor (a result with RA and DEC).
    let cursorRow: number | null = null;
    const cursorRowTarget = (): Record<string, unknown> | null => {
      const grid = content.grid.model;
      if (grid === null || cursorRow === null) {
        return null;
      }
      return rowTarget(
        grid.result.columns.map(column => column.name),
        grid.rowAt(cursorRow)
      );
    };
    const chartButton = button('query-finding-chart', {
      icon: imageIcon,
      label: 'Finding chart',
      tooltip:
        "A finding chart of the selected row's object (the result needs RA and DEC)",
      enabled: false,
      onClick: () => {
        const target = cursorRowTarget();
        if (target !== null) {
          commandOpener(app.commands)([target]);
        }
      }
    });
    toolbar.addItem('finding-chart', chartButton);
    // "Objects like this": the selected row's neighbours, opened as a gallery.
    const similarButton = button('query-objects-like-this', {
      icon: imageIcon,
      label: 'Objects like this',
      tooltip:
        "The imaged objects whose stamps look most like the selected row's object, as a gallery",
      enabled: false,
      onClick: () => {
        const target = cursorRowTarget();
        if (target !== null) {
          similarOpener(app.commands)(target);
        }
      }
    });
    toolbar.addItem('objects-like-this', similarButton);
    // The result's row menu (right click): the finding chart of that row.
    const rowMenuCommands = new CommandRegistry();
    let menuTarget: Record<string, unknown> | null = null;
    rowMenuCommands.addCommand('finding-chart', {
      label: 'Finding chart',
      caption: "A finding chart of this row's object",
      isEnabled: () => menuTarget !== null,
      execute: () => {
        if (menuTarget !== null) {
          commandOpener(app.commands)([menuTarget]);
        }
      }
    });
    rowMenuCommands.addCommand('objects-like-this', {
      label: 'Objects like this',
      caption:
        "The imaged objects that look most like this row's, as a gallery",
      isEnabled: () => menuTarget !== null,
      execute: () => {
        if (menuTarget !== null) {
          similarOpener(app.commands)(menuTarget);
        }
      }
    });
    const rowMenu = new Menu({ commands: rowMenuCommands });
    rowMenu.addClass('sl-QueryRowMenu');
    rowMenu.addItem({ command: 'finding-chart' });
    rowMenu.addItem({ command: 'objects-like-this' });
    content.grid.node.addEventListener('contextmenu', event => {
      const row = content.grid.selectRowAt(event.clientX, event.clientY);
      if (row === null) {
        return; // not on a row: JupyterLab's own menu
      }
      event.preventDefault();
      event.stopPropagation();
      cursorRow = row;
      menuTarget = cursorRowTarget();
      rowMenu.open(event.clientX, event.clientY);
    });
    widget.disposed.connect(() => {
      rowMenu.dispose();
    });
    content.grid.cellChanged.connect((_, cell) => {
      cursorRow = cell?.row ?? null;
      chartButton.enabled = cursorRowTarget() !== null;
      similarButton.enabled = chartButton.enabled;
    });

    fetchExamples()
      .then(data => {
        examples.setExamples(parseExamples(data));
      })
      .catch((reason: unknown) => {
        examples.setExamples([], describeError(reason).message);
      });

    widget.disposed.connect(() => {
      window.clearTimeout(saveTimer);
    });
    return widget;
  }

  commands.addCommand(CommandIDs.openQuery, {
    label: 'SQL Query',
    caption: 'Open the query panel: SQL on the survey catalog',
    icon: queryIcon,
    describedBy: {
      args: {
        type: 'object',
        properties: {
          sql: { type: 'string', description: 'SQL to put in the editor' }
        }
      }
    },
    execute: async (args: ReadonlyPartialJSONObject & IQueryArgs) => {
      await settingsLoaded;
      const sql = typeof args.sql === 'string' ? args.sql : undefined;
      let widget = tracker.find(() => true);
      if (widget === undefined) {
        widget = createPanel(sql ?? '');
        void tracker.add(widget);
      } else if (sql !== undefined) {
        widget.content.setSQL(sql);
      }
      if (!widget.isAttached) {
        app.shell.add(widget, 'main');
      }
      app.shell.activateById(widget.id);
      return widget;
    }
  });

  commands.addCommand(OPEN_SQL_TERMINAL, {
    label: 'SQL Terminal',
    caption: 'Open a terminal running the surveylab SQL shell (surveylab sql)',
    icon: terminalIcon,
    execute: async () => {
      if (!commands.hasCommand('terminal:create-new')) {
        Notification.error('Terminals are not available in this JupyterLab.');
        return;
      }
      const lab = await requestAPI<ILabInfo>('lab').catch(() => null);
      if (lab !== null && lab.sql_command === null) {
        const role = lab.role?.name ?? '';
        Notification.error(
          `Your role '${role}' does not allow the SQL terminal.`
        );
        return;
      }
      const terminal = (await commands.execute('terminal:create-new')) as
        { content?: { session?: ITerminalSession } } | undefined;
      const session = terminal?.content?.session;
      if (session === undefined) {
        Notification.error('The terminal did not open.');
        return;
      }
      // By its full path: the terminal's login shell may reset PATH.
      typeIntoTerminal(session, `${lab?.sql_command ?? 'surveylab sql'}\r`);
      return terminal;
    }
  });

  whenShown('query', () => {
    palette?.addItem({ command: CommandIDs.openQuery, category: CATEGORY });
    launcher?.add({
      command: CommandIDs.openQuery,
      category: CATEGORY,
      rank: 1
    });
  });
  whenShown('sql-terminal', () => {
    palette?.addItem({ command: OPEN_SQL_TERMINAL, category: CATEGORY });
    launcher?.add({ command: OPEN_SQL_TERMINAL, category: CATEGORY, rank: 6 });
  });

  if (restorer) {
    void restorer.restore(tracker, {
      command: CommandIDs.openQuery,
      // The draft SQL comes back with the layout.
      args: widget => ({ sql: widget.content.sql }),
      name: () => 'query'
    });
  }

  themeManager?.themeChanged.connect(() => {
    // The new theme's CSS variables apply once its style sheet is in.
    requestAnimationFrame(() => {
      tracker.forEach(widget => {
        widget.content.applyTheme();
      });
    });
  });
}

/**
 * The query panel plugin.
 */
const plugin: JupyterFrontEndPlugin<void> = {
  id: QUERY_PLUGIN_ID,
  description:
    'The query panel: a SQL editor with the schema, quick queries, jobs, history and examples.',
  autoStart: true,
  optional: [
    ICommandPalette,
    ILauncher,
    ILayoutRestorer,
    ISettingRegistry,
    INotebookTracker,
    IThemeManager
  ],
  activate
};

export default plugin;
