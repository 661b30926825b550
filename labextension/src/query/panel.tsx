/**
 * The query panel: the SQL editor, the schema browser and history beside it,
 * and the results below it.
 *
 * ```
 * MainAreaWidget  #surveylab-query     toolbar: Quick, Submit job, Check, Explain, Examples, ...
 * └── QueryPanel  .sl-QueryPanel       (SplitPanel, horizontal)
 *     ├── TabPanel .sl-QuerySidebar    "Schema" (SchemaBrowser), "History" (HistoryView)
 *     └── SplitPanel .sl-QueryPanel-main (vertical)
 *         ├── SqlEditor                 CodeMirror 6
 *         └── Panel .sl-QueryResults    QueryStatusView, ResultGrid
 * ```
 */
import {
  HTMLSelect,
  ReactWidget,
  caretDownIcon,
  caretRightIcon
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Panel, SplitPanel, TabPanel } from '@lumino/widgets';
import * as React from 'react';

import type { ISchemaTable } from './completion';
import { SqlEditor } from './editor';
import type { IExample } from './examples';
import type { ICellInfo } from './grid';
import { ResultGrid } from './grid';
import { filterHistory, queryTitle } from './history';
import type { QueryHistory } from './history-store';
import type { QueryModel, QueryState } from './model';
import { cellText, summarizeResult } from './result';
import type { SchemaModel } from './schema';
import { filterSchema } from './schema';

/** The DOM id of the query panel's main-area widget. */
export const QUERY_PANEL_ID = 'surveylab-query';

/**
 * The panel's content. The plugin wraps it in a `MainAreaWidget` whose
 * toolbar holds the actions.
 */
export class QueryPanel extends SplitPanel {
  constructor(options: QueryPanel.IOptions) {
    super({ orientation: 'horizontal', spacing: 4 });
    this.addClass('sl-QueryPanel');
    this.node.dataset.testid = 'query-panel';
    this.model = options.model;
    this.schema = options.schema;
    this.history = options.history;

    this.editor = new SqlEditor({
      value: options.sql ?? '',
      getTables: () => this.schema.tables,
      onRun: options.onRun,
      onChange: options.onChange
    });
    this.grid = new ResultGrid();
    this._status = new QueryStatusView(this.model);
    this.grid.cellChanged.connect((_, cell) => {
      this._status.setCell(cell);
    });

    const insert = (text: string): void => {
      this.editor.insertAtCursor(text);
    };
    const sidebar = new TabPanel({ tabsMovable: false });
    sidebar.addClass('sl-QuerySidebar');
    sidebar.addWidget(new SchemaBrowser(this.schema, insert));
    sidebar.addWidget(
      new HistoryView(this.history, sql => {
        this.setSQL(sql);
      })
    );

    const results = new Panel();
    results.addClass('sl-QueryResults');
    results.addWidget(this._status);
    results.addWidget(this.grid);

    const main = new SplitPanel({ orientation: 'vertical', spacing: 4 });
    main.addClass('sl-QueryPanel-main');
    main.addWidget(this.editor);
    main.addWidget(results);
    main.setRelativeSizes([2, 3]);

    this.addWidget(sidebar);
    this.addWidget(main);
    this.setRelativeSizes([1, 3]);
    SplitPanel.setStretch(sidebar, 0);
    SplitPanel.setStretch(main, 1);

    this.model.stateChanged.connect(this._onState, this);
  }

  readonly model: QueryModel;
  readonly schema: SchemaModel;
  readonly history: QueryHistory;
  readonly editor: SqlEditor;
  readonly grid: ResultGrid;

  /** The SQL in the editor. */
  get sql(): string {
    return this.editor.value;
  }

  /** Put SQL in the editor (Ctrl+Z brings the old text back). */
  setSQL(sql: string): void {
    this.editor.setValue(sql);
    this.editor.focus();
  }

  /** Read the theme's colours again (the grid draws on a canvas). */
  applyTheme(): void {
    this.grid.applyTheme();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    void this.schema.load();
    if (!this._ready) {
      this._ready = true;
      requestAnimationFrame(() => {
        performance.mark('surveylab:query-ready');
        this.node.dataset.ready = 'true';
      });
    }
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    this.editor.focus();
  }

  private _onState(_: QueryModel, state: QueryState): void {
    this.node.dataset.state = state.kind;
    if (state.kind === 'error' || state.kind === 'running') {
      this.editor.clearError();
    }
    if (state.kind === 'result') {
      performance.mark('surveylab:query-response');
      this.grid.showResult(state.result);
      this.grid.show();
      // Lumino paints the grid in its next animation frame; this callback
      // runs right after it.
      requestAnimationFrame(() => {
        performance.mark('surveylab:query-rendered');
        this.grid.node.dataset.rendered = String(state.result.row_count);
      });
    } else if (state.kind !== 'running') {
      this.grid.hide();
    }
    if (
      state.kind === 'error' &&
      state.error.line !== null &&
      state.error.column !== null
    ) {
      this.editor.markError({
        line: state.error.line,
        column: state.error.column,
        message: state.error.message
      });
    }
  }

  private readonly _status: QueryStatusView;
  private _ready = false;
}

export namespace QueryPanel {
  /** The options of the {@link QueryPanel} constructor. */
  export interface IOptions {
    model: QueryModel;
    schema: SchemaModel;
    history: QueryHistory;
    /** The starting SQL. */
    sql?: string;
    /** Run a quick query (Shift+Enter in the editor). */
    onRun: () => void;
    /** Called after every edit. */
    onChange?: () => void;
  }
}

/**
 * What the last action gave: the row count, truncation and time of a
 * result; an error with its place; a check's SQL; a plan; a job.
 */
class QueryStatusView extends ReactWidget {
  constructor(model: QueryModel) {
    super();
    this.addClass('sl-QueryStatus');
    this._model = model;
    model.stateChanged.connect(() => {
      this._cell = null;
      this.update();
    }, this);
  }

  setCell(cell: ICellInfo | null): void {
    this._cell = cell;
    this.update();
  }

  protected render(): React.ReactElement {
    return <StatusContent state={this._model.state} cell={this._cell} />;
  }

  private readonly _model: QueryModel;
  private _cell: ICellInfo | null = null;
}

const ACTION_LABELS: Record<string, string> = {
  quick: 'Running the quick query',
  check: 'Checking the query',
  explain: 'Asking for the plan',
  submit: 'Submitting the job'
};

function StatusContent(props: {
  state: QueryState;
  cell: ICellInfo | null;
}): React.ReactElement {
  const { state, cell } = props;
  switch (state.kind) {
    case 'idle':
      return (
        <p className="sl-QueryStatus-hint">
          Write a query and press <kbd>Shift</kbd>+<kbd>Enter</kbd> (Quick: at
          most 10,000 rows in 30 s), or submit it as a job for the whole result.
        </p>
      );
    case 'running':
      return (
        <p
          className="sl-QueryStatus-running"
          role="status"
          aria-busy="true"
          data-testid="query-running"
        >
          {ACTION_LABELS[state.action]}…
        </p>
      );
    case 'error': {
      const { error } = state;
      const where =
        error.line !== null && error.column !== null
          ? `Line ${error.line}, column ${error.column}`
          : '';
      return (
        <div
          className="sl-QueryStatus-error"
          role="alert"
          data-testid="query-error"
        >
          <p
            className="sl-QueryStatus-errorMessage"
            data-testid="query-error-message"
          >
            {error.message}
          </p>
          {where || error.detail ? (
            <p
              className="sl-QueryStatus-detail"
              data-testid="query-error-where"
            >
              {[where, error.detail].filter(Boolean).join(' · ')}
            </p>
          ) : null}
        </div>
      );
    }
    case 'checked':
      return (
        <div className="sl-QueryStatus-checked" data-testid="query-checked">
          <p>
            The query is valid
            {state.check.tables.length > 0
              ? ` (tables: ${state.check.tables.join(', ')})`
              : ''}
            . The backend will run:
          </p>
          <pre className="sl-QueryStatus-code">{state.check.sql}</pre>
        </div>
      );
    case 'plan':
      return (
        <pre
          className="sl-QueryStatus-code sl-QueryStatus-plan"
          data-testid="query-plan"
        >
          {state.plan}
        </pre>
      );
    case 'submitted':
      return (
        <p className="sl-QueryStatus-submitted" data-testid="query-submitted">
          Job <code>{state.job.id}</code> ({state.job.name}) is{' '}
          {state.job.phase.toLowerCase()}.
        </p>
      );
    case 'result': {
      const { result } = state;
      return (
        <div className="sl-QueryStatus-result">
          <span
            className="sl-QueryStatus-summary"
            data-testid="query-summary"
            data-rows={result.row_count}
            data-truncated={String(result.truncated)}
            title={`The backend ran: ${result.sql}`}
          >
            {summarizeResult(result)}
          </span>
          {result.truncated ? (
            <span
              className="sl-QueryStatus-truncated"
              data-testid="query-truncated"
            >
              Truncated: submit a job for every row
            </span>
          ) : null}
          {cell !== null ? (
            <span
              className="sl-QueryStatus-cell"
              data-testid="query-cell"
              title={cell.column.description}
            >
              <span className="sl-QueryStatus-cellName">
                {cell.column.name}
                {cell.column.unit ? ` [${cell.column.unit}]` : ''}
              </span>{' '}
              ={' '}
              <code data-testid="query-cell-value">{cellText(cell.value)}</code>
            </span>
          ) : null}
        </div>
      );
    }
  }
}

/**
 * The schema browser: tables and their columns (type, unit, description),
 * a search box, and a click that inserts a name at the editor's cursor.
 */
class SchemaBrowser extends ReactWidget {
  constructor(schema: SchemaModel, insert: (text: string) => void) {
    super();
    this.addClass('sl-SchemaBrowser');
    this.title.label = 'Schema';
    this.title.caption = 'Tables and columns: a click inserts the name';
    this.node.dataset.testid = 'query-schema';
    this._schema = schema;
    this._insert = insert;
    schema.changed.connect(() => {
      this.update();
    }, this);
  }

  protected render(): React.ReactElement {
    return (
      <SchemaTree
        status={this._schema.status}
        error={this._schema.error}
        tables={this._schema.tables}
        insert={this._insert}
        reload={() => void this._schema.reload()}
      />
    );
  }

  private readonly _schema: SchemaModel;
  private readonly _insert: (text: string) => void;
}

function SchemaTree(props: {
  status: string;
  error: string;
  tables: readonly ISchemaTable[];
  insert: (text: string) => void;
  reload: () => void;
}): React.ReactElement {
  const [search, setSearch] = React.useState('');
  const [open, setOpen] = React.useState<ReadonlySet<string>>(new Set());
  const matches = filterSchema(props.tables, search);
  const toggle = (name: string): void => {
    const next = new Set(open);
    if (next.has(name)) {
      next.delete(name);
    } else {
      next.add(name);
    }
    setOpen(next);
  };
  let body: React.ReactNode;
  if (props.status === 'error') {
    body = (
      <div className="sl-SchemaBrowser-message" role="alert">
        <p>{props.error}</p>
        <button className="jp-mod-styled jp-mod-reject" onClick={props.reload}>
          Retry
        </button>
      </div>
    );
  } else if (props.status !== 'ready') {
    body = <p className="sl-SchemaBrowser-message">Loading the tables…</p>;
  } else if (matches.length === 0) {
    body = (
      <p className="sl-SchemaBrowser-message" data-testid="query-schema-empty">
        {search
          ? `Nothing matches "${search}".`
          : 'This release lists no tables.'}
      </p>
    );
  } else {
    body = (
      <ul className="sl-SchemaBrowser-tables" role="tree" aria-label="Tables">
        {matches.map(match => {
          const name = match.table.name;
          const expanded = search.trim() !== '' || open.has(name);
          const Caret = expanded ? caretDownIcon : caretRightIcon;
          return (
            <li
              key={name}
              role="treeitem"
              aria-expanded={expanded}
              data-table={name}
            >
              <div className="sl-SchemaBrowser-tableRow">
                <button
                  className="sl-SchemaBrowser-caret"
                  aria-label={`${expanded ? 'Hide' : 'Show'} the columns of ${name}`}
                  onClick={() => {
                    toggle(name);
                  }}
                >
                  <Caret.react tag="span" />
                </button>
                <button
                  className="sl-SchemaBrowser-table"
                  data-testid="query-schema-table"
                  title={`${match.table.description}\nClick to insert ${name}`}
                  onClick={() => {
                    props.insert(name);
                  }}
                >
                  {name}
                </button>
              </div>
              {expanded ? (
                <ul className="sl-SchemaBrowser-columns" role="group">
                  {match.table.columns === undefined ? (
                    <li className="sl-SchemaBrowser-message">
                      Loading the columns…
                    </li>
                  ) : (
                    match.columns.map(column => (
                      <li key={column.name} role="treeitem">
                        <button
                          className="sl-SchemaBrowser-column"
                          data-testid="query-schema-column"
                          data-column={column.name}
                          title={`${column.description}\nClick to insert ${column.name}`}
                          onClick={() => {
                            props.insert(column.name);
                          }}
                        >
                          <span className="sl-SchemaBrowser-columnName">
                            {column.name}
                          </span>
                          <span className="sl-SchemaBrowser-columnType">
                            {column.datatype}
                          </span>
                          {column.unit ? (
                            <span className="sl-SchemaBrowser-columnUnit">
                              {column.unit}
                            </span>
                          ) : null}
                          {column.description ? (
                            <span className="sl-SchemaBrowser-columnDescription">
                              {column.description}
                            </span>
                          ) : null}
                        </button>
                      </li>
                    ))
                  )}
                </ul>
              ) : null}
            </li>
          );
        })}
      </ul>
    );
  }
  return (
    <div className="sl-SchemaBrowser-content">
      <input
        type="search"
        className="jp-mod-styled sl-SchemaBrowser-search"
        placeholder="Search tables and columns"
        aria-label="Search tables and columns"
        data-testid="query-schema-search"
        value={search}
        onChange={event => {
          setSearch(event.target.value);
        }}
      />
      {body}
    </div>
  );
}

/**
 * The history: the queries run, newest first; a click puts one back into the
 * editor.
 */
class HistoryView extends ReactWidget {
  constructor(history: QueryHistory, load: (sql: string) => void) {
    super();
    this.addClass('sl-QueryHistory');
    this.title.label = 'History';
    this.title.caption = 'Queries you ran: a click puts one back in the editor';
    this.node.dataset.testid = 'query-history';
    this._history = history;
    this._load = load;
    history.changed.connect(() => {
      this.update();
    }, this);
  }

  protected render(): React.ReactElement {
    return (
      <HistoryList
        entries={this._history.entries}
        load={this._load}
        clear={() => {
          this._history.clear();
        }}
      />
    );
  }

  private readonly _history: QueryHistory;
  private readonly _load: (sql: string) => void;
}

function HistoryList(props: {
  entries: QueryHistory['entries'];
  load: (sql: string) => void;
  clear: () => void;
}): React.ReactElement {
  const [filter, setFilter] = React.useState('');
  const shown = filterHistory(props.entries, filter);
  return (
    <div className="sl-QueryHistory-content">
      <div className="sl-QueryHistory-bar">
        <input
          type="search"
          className="jp-mod-styled sl-SchemaBrowser-search"
          placeholder="Search the history"
          aria-label="Search the history"
          value={filter}
          onChange={event => {
            setFilter(event.target.value);
          }}
        />
        <button
          className="jp-mod-styled jp-mod-reject sl-QueryHistory-clear"
          disabled={props.entries.length === 0}
          onClick={props.clear}
          title="Forget every query of the history"
        >
          Clear
        </button>
      </div>
      {shown.length === 0 ? (
        <p className="sl-SchemaBrowser-message">
          {props.entries.length === 0 ? 'No queries yet.' : 'No query matches.'}
        </p>
      ) : (
        <ul className="sl-QueryHistory-list">
          {shown.map(entry => (
            <li key={`${entry.time} ${entry.sql}`}>
              <button
                className="sl-QueryHistory-entry"
                data-testid="query-history-entry"
                title={entry.sql}
                onClick={() => {
                  props.load(entry.sql);
                }}
              >
                <code className="sl-QueryHistory-sql">
                  {queryTitle(entry.sql)}
                </code>
                <span className="sl-QueryHistory-meta">
                  {new Date(entry.time).toLocaleString()}
                  {entry.outcome ? ` · ${entry.outcome}` : ''}
                </span>
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

/**
 * The toolbar's example picker: choosing one puts its SQL in the editor.
 */
export class ExamplePicker extends ReactWidget {
  constructor(load: (example: IExample) => void) {
    super();
    this.addClass('sl-ExamplePicker');
    this._load = load;
  }

  /** Show these examples (or the reason they could not be loaded). */
  setExamples(examples: readonly IExample[], error = ''): void {
    this._examples = examples;
    this._error = error;
    this.update();
  }

  protected render(): React.ReactElement {
    return (
      <HTMLSelect
        className="sl-ExamplePicker-select"
        aria-label="Load an example query"
        title={this._error || 'Load an example query into the editor'}
        data-testid="query-examples"
        value=""
        disabled={this._examples.length === 0}
        onChange={event => {
          const example = this._examples.find(
            e => e.name === event.target.value
          );
          if (example !== undefined) {
            this._load(example);
          }
        }}
      >
        <option value="" disabled>
          {this._error ? 'Examples unavailable' : 'Examples…'}
        </option>
        {this._examples.map(example => (
          <option
            key={example.name}
            value={example.name}
            title={example.description}
          >
            {example.title}
          </option>
        ))}
      </HTMLSelect>
    );
  }

  private readonly _load: (example: IExample) => void;
  private _examples: readonly IExample[] = [];
  private _error = '';
}
