/**
 * The job browser: a table of the user's jobs with their phase, progress and
 * expiry; a row opens to show its files, SQL, error and actions.
 *
 * ```
 * JobBrowser (MainAreaWidget)  #surveylab-jobs      toolbar: Refresh
 * └── JobBrowserView (ReactWidget) .sl-JobBrowser   [data-testid=surveylab-jobs]
 *     ├── table   one focusable row per job (Enter opens, Delete deletes)
 *     └── footer  "newest 50 of 120" and Show more
 * ```
 */
import { MainAreaWidget } from '@jupyterlab/apputils';
import {
  Button,
  ReactWidget,
  ToolbarButton,
  caretDownIcon,
  caretRightIcon,
  deleteIcon,
  refreshIcon,
  stopIcon
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import * as React from 'react';

import type { IErrorView } from '../format';
import type { IJob } from '../jobs-api';
import { archiveURL, fileURL, jobLog } from '../jobs-api';
import type { IJobActionRunner } from './actions';
import { ACTION_CAPTIONS, ACTION_LABELS } from './actions';
import {
  UNKNOWN,
  formatBytes,
  formatDuration,
  formatExpiry,
  formatTimestamp,
  parseTime,
  percent,
  phaseLabel,
  summarizeOutcome
} from './format';
import { jobsIcon } from './icon';
import type { JobMonitor } from './monitor';
import { MAX_PAGE_SIZE, PAGE_SIZE } from './monitor';
import type { ICommandAvailability, JobAction } from './state';
import {
  isActive,
  jobActions,
  jobSQL,
  moveSelection,
  neighbourAfterRemoval
} from './state';

/** The DOM id of the (single) job browser. */
export const JOB_BROWSER_ID = 'surveylab-jobs';

/** The performance mark set once the first list is on screen. */
export const RENDERED_MARK = 'surveylab:jobs-rendered';

/**
 * The job browser's content: the table, its selection and open rows.
 */
export class JobBrowserView extends ReactWidget {
  constructor(options: JobBrowserView.IOptions) {
    super();
    this.addClass('sl-JobBrowser');
    this.node.dataset.testid = 'surveylab-jobs';
    this.node.tabIndex = -1;
    this.monitor = options.monitor;
    this._actions = options.actions;
    this.monitor.changed.connect(this._onListChanged, this);
  }

  /** The jobs shown, shared with the rest of the lab. */
  readonly monitor: JobMonitor;

  /** The selected job's id. */
  get selectedId(): string | null {
    return this._selectedId;
  }

  /**
   * Select a job, open its details and move the keyboard to it. A job not
   * listed yet is selected as soon as it appears.
   */
  select(id: string): void {
    this._selectedId = id;
    this._openIds.add(id);
    this._focusId = id;
    this._scrollId = id;
    this.update();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this.monitor.changed.disconnect(this._onListChanged, this);
    this.monitor.browserShown = false;
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this.monitor.browserShown = true;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this.monitor.browserShown = this.isVisible;
  }

  protected onBeforeHide(msg: Message): void {
    this.monitor.browserShown = false;
    super.onBeforeHide(msg);
  }

  protected onBeforeDetach(msg: Message): void {
    this.monitor.browserShown = false;
    super.onBeforeDetach(msg);
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    const row = this._rowNode(this._selectedId ?? this._firstId());
    if (row) {
      row.focus();
    } else if (!this.node.contains(document.activeElement)) {
      this.node.focus();
    }
  }

  protected render(): React.ReactElement {
    const jobs = this.monitor.jobs;
    return (
      <JobTable
        jobs={jobs}
        total={this.monitor.total}
        limit={this.monitor.limit}
        error={this.monitor.error}
        now={new Date()}
        selectedId={this._selectedId}
        openIds={this._openIds}
        commands={this._actions.availability()}
        onSelect={this._selectRow}
        onToggle={this._toggleRow}
        onAction={this._runAction}
        onKeyDown={this._onRowKey}
        onRetry={() => void this.monitor.refresh()}
        onShowMore={() => {
          this.monitor.limit = this.monitor.limit + PAGE_SIZE;
        }}
        onRendered={this._afterRender}
      />
    );
  }

  private _onListChanged(): void {
    this.update();
  }

  private readonly _afterRender = (): void => {
    if (!this._marked && this.monitor.jobs !== null) {
      this._marked = true;
      performance.mark(RENDERED_MARK);
    }
    if (this._focusId !== null) {
      const row = this._rowNode(this._focusId);
      if (row) {
        this._focusId = null;
        row.focus({ preventScroll: this._scrollId !== null });
      }
    }
    if (this._scrollId !== null) {
      const row = this._rowNode(this._scrollId);
      if (row) {
        this._scrollId = null;
        row.scrollIntoView({ block: 'nearest' });
      }
    }
  };

  private readonly _selectRow = (id: string): void => {
    this._selectedId = id;
    this.update();
  };

  private readonly _toggleRow = (id: string): void => {
    if (this._openIds.has(id)) {
      this._openIds.delete(id);
    } else {
      this._openIds.add(id);
    }
    this._selectedId = id;
    this.update();
  };

  private readonly _runAction = (action: JobAction, job: IJob): void => {
    const ids = (this.monitor.jobs ?? []).map(other => other.id);
    void this._actions.run(action, job).then(done => {
      if (done && action === 'delete') {
        this._openIds.delete(job.id);
        if (this._selectedId === job.id) {
          this._selectedId = neighbourAfterRemoval(ids, job.id);
          this._focusId = this._selectedId;
        }
        this.update();
        if (this._selectedId === null) {
          this.node.focus();
        }
      } else if (action === 'rename' || action === 'delete') {
        // The dialog took the focus: give it back to the row.
        this._focusId = job.id;
        this.update();
      }
    });
  };

  private readonly _onRowKey = (
    event: React.KeyboardEvent<HTMLTableRowElement>,
    job: IJob
  ): void => {
    if (event.target !== event.currentTarget) {
      return; // a button or link inside the row handles its own keys
    }
    const ids = (this.monitor.jobs ?? []).map(other => other.id);
    let target: string | null = null;
    switch (event.key) {
      case 'ArrowDown':
        target = moveSelection(ids, job.id, 1);
        break;
      case 'ArrowUp':
        target = moveSelection(ids, job.id, -1);
        break;
      case 'Home':
        target = ids[0] ?? null;
        break;
      case 'End':
        target = ids[ids.length - 1] ?? null;
        break;
      case 'Enter':
      case ' ':
        this._toggleRow(job.id);
        break;
      case 'ArrowRight':
        this._openIds.add(job.id);
        this.update();
        break;
      case 'ArrowLeft':
        this._openIds.delete(job.id);
        this.update();
        break;
      case 'Delete':
        this._runAction('delete', job);
        break;
      case 'F2':
        this._runAction('rename', job);
        break;
      default:
        return;
    }
    event.preventDefault();
    event.stopPropagation();
    if (target !== null) {
      this._selectedId = target;
      this._focusId = target;
      this._scrollId = target;
      this.update();
    }
  };

  private _firstId(): string | null {
    return this.monitor.jobs?.[0]?.id ?? null;
  }

  private _rowNode(id: string | null): HTMLElement | null {
    if (id === null) {
      return null;
    }
    return this.node.querySelector<HTMLElement>(
      `tr[data-job-id="${CSS.escape(id)}"]`
    );
  }

  private readonly _actions: IJobActionRunner;
  private _focusId: string | null = null;
  private _marked = false;
  private readonly _openIds = new Set<string>();
  private _scrollId: string | null = null;
  private _selectedId: string | null = null;
}

export namespace JobBrowserView {
  /** The options of the {@link JobBrowserView} constructor. */
  export interface IOptions {
    monitor: JobMonitor;
    actions: IJobActionRunner;
  }
}

/**
 * The job browser as a main-area panel, with a toolbar.
 */
export class JobBrowser extends MainAreaWidget<JobBrowserView> {
  constructor(options: JobBrowserView.IOptions) {
    const content = new JobBrowserView(options);
    super({ content });
    this.id = JOB_BROWSER_ID;
    this.addClass('sl-JobBrowserPanel');
    this.title.label = 'Jobs';
    this.title.caption =
      'Your jobs: queries, cutouts, anomaly searches, similarity indexes';
    this.title.icon = jobsIcon;
    this.title.closable = true;
    this.toolbar.addItem(
      'refresh',
      new ToolbarButton({
        icon: refreshIcon,
        tooltip: 'Refresh the job list',
        onClick: () => void options.monitor.refresh()
      })
    );
  }
}

interface IJobTableProps {
  jobs: readonly IJob[] | null;
  total: number;
  limit: number;
  error: IErrorView | null;
  now: Date;
  selectedId: string | null;
  openIds: ReadonlySet<string>;
  commands: ICommandAvailability;
  onSelect: (id: string) => void;
  onToggle: (id: string) => void;
  onAction: (action: JobAction, job: IJob) => void;
  onKeyDown: (
    event: React.KeyboardEvent<HTMLTableRowElement>,
    job: IJob
  ) => void;
  onRetry: () => void;
  onShowMore: () => void;
  onRendered: () => void;
}

const COLUMNS = [
  { id: 'toggle', label: '' },
  { id: 'phase', label: 'Phase' },
  { id: 'name', label: 'Name' },
  { id: 'id', label: 'ID' },
  { id: 'type', label: 'Type' },
  { id: 'created', label: 'Created' },
  { id: 'time', label: 'Time' },
  { id: 'progress', label: 'Progress / result' },
  { id: 'expires', label: 'Expires' },
  { id: 'actions', label: '' }
];

function JobTable(props: IJobTableProps): React.ReactElement {
  const { jobs, error, onRendered } = props;
  React.useEffect(onRendered);

  if (jobs === null) {
    return error === null ? (
      <p className="sl-JobBrowser-placeholder" role="status" aria-busy="true">
        Loading your jobs…
      </p>
    ) : (
      <ErrorBanner error={error} onRetry={props.onRetry} />
    );
  }
  // The first row takes the Tab key when none is selected.
  const tabStop = jobs.some(job => job.id === props.selectedId)
    ? props.selectedId
    : (jobs[0]?.id ?? null);
  return (
    <div className="sl-JobBrowser-content">
      {error !== null ? (
        <ErrorBanner error={error} onRetry={props.onRetry} />
      ) : null}
      {jobs.length === 0 ? (
        <p className="sl-JobBrowser-placeholder" data-testid="jobs-empty">
          No jobs yet. Jobs you submit from the query panel, the cutout gallery
          or Python show here.
        </p>
      ) : (
        <table className="sl-JobBrowser-table" aria-label="Your jobs">
          <thead>
            <tr>
              {COLUMNS.map(column => (
                <th
                  key={column.id}
                  scope="col"
                  className={`sl-JobBrowser-col-${column.id}`}
                >
                  {column.label}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {jobs.map(job => (
              <JobRows
                key={job.id}
                job={job}
                props={props}
                tabStop={job.id === tabStop}
              />
            ))}
          </tbody>
        </table>
      )}
      <Footer {...props} jobs={jobs} />
    </div>
  );
}

function ErrorBanner(props: {
  error: IErrorView;
  onRetry: () => void;
}): React.ReactElement {
  return (
    <div className="sl-JobBrowser-error" role="alert" data-testid="jobs-error">
      <span>
        Cannot list your jobs: {props.error.message}
        {props.error.detail ? ` (${props.error.detail})` : ''}
      </span>
      <Button className="jp-mod-styled" onClick={props.onRetry}>
        Retry
      </Button>
    </div>
  );
}

function Footer(
  props: IJobTableProps & { jobs: readonly IJob[] }
): React.ReactElement | null {
  const { jobs, total, limit } = props;
  if (total <= jobs.length) {
    return null;
  }
  return (
    <div className="sl-JobBrowser-footer" data-testid="jobs-footer">
      <span>
        Showing the newest {jobs.length} of {total} jobs.
      </span>
      {limit < MAX_PAGE_SIZE ? (
        <Button className="jp-mod-styled" onClick={props.onShowMore}>
          Show more
        </Button>
      ) : null}
    </div>
  );
}

function elapsedSeconds(job: IJob, now: Date): number | null {
  if (job.execution_seconds !== null && job.execution_seconds !== undefined) {
    return job.execution_seconds;
  }
  const started = parseTime(job.started);
  if (started === null || !isActive(job)) {
    return null;
  }
  return Math.max(0, (now.getTime() - started.getTime()) / 1000);
}

function JobRows(options: {
  job: IJob;
  props: IJobTableProps;
  tabStop: boolean;
}): React.ReactElement {
  const { job, props, tabStop } = options;
  const selected = job.id === props.selectedId;
  const open = props.openIds.has(job.id);
  const active = isActive(job);
  const detailsId = `sl-JobBrowser-details-${job.id}`;
  const Caret = open ? caretDownIcon : caretRightIcon;
  return (
    <>
      <tr
        className={`sl-JobBrowser-row${selected ? ' jp-mod-selected' : ''}`}
        data-testid="job-row"
        data-job-id={job.id}
        data-phase={job.phase}
        tabIndex={tabStop ? 0 : -1}
        aria-selected={selected}
        aria-expanded={open}
        aria-controls={open ? detailsId : undefined}
        onClick={() => {
          props.onSelect(job.id);
        }}
        onDoubleClick={() => {
          props.onToggle(job.id);
        }}
        onKeyDown={event => {
          props.onKeyDown(event, job);
        }}
      >
        <td className="sl-JobBrowser-col-toggle">
          <button
            className="sl-JobBrowser-toggle"
            tabIndex={-1}
            aria-label={open ? 'Hide details' : 'Show details'}
            title={open ? 'Hide details (Enter)' : 'Show details (Enter)'}
            onClick={event => {
              event.stopPropagation();
              props.onToggle(job.id);
            }}
          >
            <Caret.react tag="span" />
          </button>
        </td>
        <td>
          <span
            className={`sl-JobPhase sl-JobPhase-${job.phase.toLowerCase()}`}
            data-testid="job-phase"
          >
            {phaseLabel(job.phase)}
          </span>
        </td>
        <td className="sl-JobBrowser-name" data-testid="job-name">
          {job.name}
        </td>
        <td>
          <code className="sl-JobBrowser-id">{job.id}</code>
        </td>
        <td>{job.type}</td>
        <td title={job.created}>{formatTimestamp(job.created)}</td>
        <td className="sl-JobBrowser-number">
          {formatDuration(elapsedSeconds(job, props.now))}
        </td>
        <td className="sl-JobBrowser-progressCell">
          {active ? (
            <ProgressBar job={job} />
          ) : (
            <span
              className={
                job.phase === 'ERROR' ? 'sl-JobBrowser-failure' : undefined
              }
              data-testid="job-outcome"
            >
              {summarizeOutcome(job)}
            </span>
          )}
        </td>
        <td
          title={`Deleted on ${formatTimestamp(job.destruction)}`}
          data-testid="job-expires"
        >
          {formatExpiry(job.destruction, props.now)}
        </td>
        <td className="sl-JobBrowser-rowActions">
          {active ? (
            <IconAction
              job={job}
              action="cancel"
              icon={stopIcon}
              onAction={props.onAction}
            />
          ) : null}
          <IconAction
            job={job}
            action="delete"
            icon={deleteIcon}
            onAction={props.onAction}
          />
        </td>
      </tr>
      {open ? (
        <tr className="sl-JobBrowser-detailsRow" id={detailsId}>
          <td colSpan={COLUMNS.length}>
            <JobDetails job={job} props={props} />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function IconAction(props: {
  job: IJob;
  action: JobAction;
  icon: typeof stopIcon;
  onAction: (action: JobAction, job: IJob) => void;
}): React.ReactElement {
  const { job, action, icon: Icon } = props;
  const label = `${ACTION_LABELS[action].replace('…', '')} ${job.name}`;
  return (
    <Button
      minimal
      small
      tabIndex={-1}
      className="sl-JobBrowser-iconAction"
      data-testid={`job-row-${action}`}
      title={ACTION_CAPTIONS[action]}
      aria-label={label}
      onClick={event => {
        event.stopPropagation();
        props.onAction(action, job);
      }}
    >
      <Icon.react tag="span" />
    </Button>
  );
}

function ProgressBar(props: { job: IJob }): React.ReactElement {
  const { job } = props;
  const value = percent(job.progress);
  const label = job.message || phaseLabel(job.phase);
  return (
    <div className="sl-JobBrowser-progress" data-testid="job-progress">
      <div
        className="sl-JobBrowser-progressTrack"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={value}
        aria-label={`${job.name}: ${value}%`}
      >
        <div
          className="sl-JobBrowser-progressFill"
          style={{ width: `${value}%` }}
        />
      </div>
      <span className="sl-JobBrowser-progressText">
        {value}% {label}
      </span>
    </div>
  );
}

function JobDetails(options: {
  job: IJob;
  props: IJobTableProps;
}): React.ReactElement {
  const { job, props } = options;
  const sql = jobSQL(job);
  const actions = jobActions(job, props.commands);
  return (
    <div className="sl-JobBrowser-details" data-testid="job-details">
      <div className="sl-JobBrowser-actions" role="group" aria-label="Actions">
        {actions.map(action =>
          action === 'downloadAll' ? (
            <a
              key={action}
              className="sl-JobBrowser-action"
              data-testid="job-action-downloadAll"
              href={archiveURL(job.id)}
              download={`${job.id}.zip`}
              title={ACTION_CAPTIONS[action]}
            >
              {ACTION_LABELS[action]}
            </a>
          ) : (
            <Button
              key={action}
              className={`sl-JobBrowser-action${
                action === 'delete' || action === 'cancel'
                  ? ' sl-mod-danger'
                  : ''
              }`}
              data-testid={`job-action-${action}`}
              title={ACTION_CAPTIONS[action]}
              onClick={() => {
                props.onAction(action, job);
              }}
            >
              {ACTION_LABELS[action]}
            </Button>
          )
        )}
      </div>
      {job.phase === 'ERROR' && job.error ? (
        <pre className="sl-JobBrowser-errorText" data-testid="job-error">
          {job.error}
        </pre>
      ) : null}
      <dl className="sl-JobBrowser-facts">
        <dt>Message</dt>
        <dd>{job.message || UNKNOWN}</dd>
        <dt>Started</dt>
        <dd>{formatTimestamp(job.started)}</dd>
        <dt>Ended</dt>
        <dd>{formatTimestamp(job.ended)}</dd>
        <dt>Expires</dt>
        <dd>{formatTimestamp(job.destruction)}</dd>
      </dl>
      {sql !== null ? (
        <pre className="sl-JobBrowser-sql" data-testid="job-sql">
          {sql}
        </pre>
      ) : null}
      <FileList job={job} />
      <JobLog job={job} />
    </div>
  );
}

/** The job's log, fetched when opened (and again with each update while open). */
function JobLog(props: { job: IJob }): React.ReactElement {
  const { job } = props;
  const [open, setOpen] = React.useState(false);
  const [text, setText] = React.useState<string | null>(null);
  React.useEffect(() => {
    if (!open) {
      return;
    }
    let current = true;
    jobLog(job.id)
      .then(log => {
        if (current) {
          setText(log || 'The log is empty.');
        }
      })
      .catch(() => {
        if (current) {
          setText('The log cannot be read.');
        }
      });
    return () => {
      current = false;
    };
  }, [open, job.id, job.phase, job.progress]);
  return (
    <details
      className="sl-JobBrowser-log"
      onToggle={event => {
        setOpen(event.currentTarget.open);
      }}
    >
      <summary>Log</summary>
      <pre data-testid="job-log">{text ?? 'Loading the log…'}</pre>
    </details>
  );
}

function FileList(props: { job: IJob }): React.ReactElement {
  const { job } = props;
  if (job.files.length === 0) {
    return (
      <p className="sl-JobBrowser-noFiles" data-testid="job-no-files">
        {isActive(job) ? 'No files yet.' : 'No result files.'}
      </p>
    );
  }
  return (
    <table className="sl-JobBrowser-files" data-testid="job-files">
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Size</th>
          <th scope="col">Rows</th>
          <th scope="col">Format</th>
        </tr>
      </thead>
      <tbody>
        {job.files.map(file => (
          <tr key={file.name}>
            <td>
              <a
                className="sl-JobBrowser-file"
                data-testid="job-file"
                href={fileURL(job.id, file.name)}
                download={file.name}
                title={`Download ${file.name}`}
              >
                {file.name}
              </a>
            </td>
            <td className="sl-JobBrowser-number">{formatBytes(file.size)}</td>
            <td className="sl-JobBrowser-number">
              {file.rows === null || file.rows === undefined
                ? UNKNOWN
                : file.rows.toLocaleString('en-US')}
            </td>
            <td>{file.format ?? UNKNOWN}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
