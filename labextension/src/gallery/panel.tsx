/**
 * The cutout gallery panel: the form for new cutouts, and a job's images as
 * a grid of thumbnails with an enlarged view and quick labels.
 *
 * ```
 * GalleryPanel  #surveylab-gallery .sl-Gallery [data-view=form|job]
 * ├── header   job picker, "New cutouts", download all
 * ├── FormView (view "form")
 * └── JobView  (view "job"): progress, label counts, GridView, Viewer
 * ```
 */
import { ServerConnection } from '@jupyterlab/services';
import {
  Button,
  HTMLSelect,
  ReactWidget,
  addIcon,
  downloadIcon,
  imageIcon,
  refreshIcon,
  stopIcon
} from '@jupyterlab/ui-components';
import type { Message } from '@lumino/messaging';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';
import * as React from 'react';

import { ChartOpenerContext } from '../finding-chart/context';
import type { ChartOpener } from '../finding-chart/context';
import { SimilarOpenerContext } from '../similar/context';
import type { SimilarOpener } from '../similar/context';
import { describeError } from '../format';
import { sharedStatus } from '../status/model';
import { usePartNotice } from '../status/notice';
import type { IErrorView } from '../format';
import {
  ACTIVE_PHASES,
  GALLERY_JOB_TYPES,
  archiveURL,
  cancelJob,
  fileURL,
  listJobs,
  makesGallery,
  submitJob
} from '../jobs-api';
import type { IJob } from '../jobs-api';
import { fetchSummary, hasSummary, watchJob } from './api';
import {
  DEFAULT_FORM,
  FormError,
  buildCutoutRequest,
  formFromArgs
} from './form';
import type { IGalleryForm } from './form';
import { FormView } from './form-view';
import { GridView } from './grid-view';
import {
  LABEL_VALUES,
  LabelSaver,
  countLabels,
  fetchLabels,
  storeLabels,
  withLabel
} from './labels';
import type { Labels, SaveState } from './labels';
import type { IGalleryItem, IGallerySummary } from './summary';
import { DEFAULT_SETTINGS } from './settings';
import type { IGallerySettings } from './settings';
import { Viewer } from './viewer';

/** The DOM id of the (single) gallery panel. */
export const GALLERY_ID = 'surveylab-gallery';

/** What the panel is told to show. */
export type GalleryRequest =
  { kind: 'form'; form: IGalleryForm } | { kind: 'job'; jobId: string };

/**
 * The gallery panel. {@link showView} switches it to a job or to the form; its
 * `jobId` is what the layout restorer keeps.
 */
export class GalleryPanel extends ReactWidget {
  constructor() {
    super();
    this.id = GALLERY_ID;
    this.addClass('sl-Gallery');
    this.title.label = 'Cutout gallery';
    this.title.caption = 'Cutout jobs: new cutouts, thumbnails, labels';
    this.title.icon = imageIcon;
    this.title.closable = true;
    this.node.tabIndex = -1;
  }

  /** The job shown, or null for the form. */
  get jobId(): string | null {
    return this._request.kind === 'job' ? this._request.jobId : null;
  }

  /** Emitted when the job shown changes (the restorer saves it). */
  get jobChanged(): ISignal<this, string | null> {
    return this._jobChanged;
  }

  /** The settings in use. */
  get settings(): IGallerySettings {
    return this._settings;
  }
  set settings(settings: IGallerySettings) {
    this._settings = settings;
    this.update();
  }

  /** Opens finding charts from the viewer's "Finding chart" action (none: no action). */
  get chartOpener(): ChartOpener | null {
    return this._chartOpener;
  }
  set chartOpener(opener: ChartOpener | null) {
    this._chartOpener = opener;
    this.update();
  }

  /** Opens "objects like this" from the viewer's action (none: no action). */
  get similarOpener(): SimilarOpener | null {
    return this._similarOpener;
  }
  set similarOpener(opener: SimilarOpener | null) {
    this._similarOpener = opener;
    this.update();
  }

  /** Show a job's gallery, or the form (pre-filled). */
  showView(request: GalleryRequest): void {
    this._request = request;
    this._generation++;
    this.node.dataset.view = request.kind;
    this._jobChanged.emit(this.jobId);
    this.update();
  }

  dispose(): void {
    if (!this.isDisposed) {
      Signal.clearData(this);
    }
    super.dispose();
  }

  protected onActivateRequest(msg: Message): void {
    super.onActivateRequest(msg);
    if (!this.node.contains(document.activeElement)) {
      const target =
        this.node.querySelector<HTMLElement>('.sl-GalleryGrid') ??
        this.node.querySelector<HTMLElement>('textarea, input') ??
        this.node;
      target.focus();
    }
  }

  protected onCloseRequest(msg: Message): void {
    super.onCloseRequest(msg);
    this.dispose();
  }

  protected render(): React.ReactElement {
    return (
      <ChartOpenerContext.Provider value={this._chartOpener}>
        <SimilarOpenerContext.Provider value={this._similarOpener}>
          <GalleryApp
            key={this._generation}
            request={this._request}
            settings={this._settings}
            onShow={request => {
              this.showView(request);
            }}
          />
        </SimilarOpenerContext.Provider>
      </ChartOpenerContext.Provider>
    );
  }

  private _request: GalleryRequest = {
    kind: 'form',
    form: formFromArgs({}, DEFAULT_FORM)
  };
  private _generation = 0;
  private _settings: IGallerySettings = DEFAULT_SETTINGS;
  private _chartOpener: ChartOpener | null = null;
  private _similarOpener: SimilarOpener | null = null;
  private readonly _jobChanged = new Signal<this, string | null>(this);
}

function GalleryApp(props: {
  request: GalleryRequest;
  settings: IGallerySettings;
  onShow: (request: GalleryRequest) => void;
}): React.ReactElement {
  const { request, settings, onShow } = props;
  const [form, setForm] = React.useState<IGalleryForm>(
    request.kind === 'form' ? request.form : DEFAULT_FORM
  );
  const [submitting, setSubmitting] = React.useState(false);
  const [error, setError] = React.useState<
    (IErrorView & { field?: string }) | null
  >(null);
  // "cutout executor unreachable: cutouts are unavailable" while it is down.
  const notice = usePartNotice(sharedStatus(), 'cutouts');
  // Bumped when the job shown ends, so that the job picker shows its new phase.
  const [listVersion, setListVersion] = React.useState(0);

  const submit = () => {
    let body;
    try {
      body = buildCutoutRequest(form);
    } catch (reason) {
      if (reason instanceof FormError) {
        setError({
          message: reason.message,
          detail: '',
          status: null,
          field: reason.field
        });
        return;
      }
      throw reason;
    }
    setSubmitting(true);
    setError(null);
    submitJob(body)
      .then(job => {
        setSubmitting(false);
        onShow({ kind: 'job', jobId: job.id });
      })
      .catch((reason: unknown) => {
        setSubmitting(false);
        setError(describeError(reason));
      });
  };

  return (
    <div className="sl-Gallery-app">
      <GalleryHeader
        jobId={request.kind === 'job' ? request.jobId : null}
        onShow={onShow}
        form={form}
        listVersion={listVersion}
      />
      {notice !== null && (
        <div
          className="sl-PartNotice"
          role="status"
          data-testid="notice-cutouts"
        >
          {notice}
        </div>
      )}
      {request.kind === 'form' ? (
        <div className="sl-Gallery-formScroll">
          <FormView
            form={form}
            onChange={setForm}
            onSubmit={submit}
            bandChoices={settings.bands}
            submitting={submitting}
            error={error}
          />
        </div>
      ) : (
        <JobView
          jobId={request.jobId}
          settings={settings}
          onEnded={() => {
            setListVersion(value => value + 1);
          }}
        />
      )}
    </div>
  );
}

function GalleryHeader(props: {
  jobId: string | null;
  form: IGalleryForm;
  listVersion: number;
  onShow: (request: GalleryRequest) => void;
}): React.ReactElement {
  const { jobId, onShow, listVersion } = props;
  const [jobs, setJobs] = React.useState<IJob[]>([]);
  const [reload, setReload] = React.useState(0);
  React.useEffect(() => {
    let live = true;
    Promise.all(GALLERY_JOB_TYPES.map(type => listJobs({ type, limit: 100 })))
      .then(lists => {
        if (live) {
          const all = lists.flatMap(list => list.jobs);
          all.sort((a, b) => b.created.localeCompare(a.created));
          setJobs(all.slice(0, 100));
        }
      })
      .catch((reason: unknown) => {
        console.warn('surveylab gallery: cannot list the cutout jobs', reason);
      });
    return () => {
      live = false;
    };
  }, [jobId, reload, listVersion]);

  const options = [
    { label: 'Choose a cutout job…', value: '' },
    ...jobs.map(job => ({
      label:
        job.type === 'anomaly'
          ? `${job.name} (${job.phase.toLowerCase()}, anomalies in ${job.rows.toLocaleString('en-US')} rows)`
          : `${job.name} (${job.phase.toLowerCase()}, ${job.rows.toLocaleString('en-US')} positions)`,
      value: job.id
    }))
  ];
  if (jobId !== null && !jobs.some(job => job.id === jobId)) {
    options.push({ label: jobId, value: jobId });
  }

  return (
    <div className="sl-Gallery-header">
      <imageIcon.react tag="span" className="sl-Gallery-icon" />
      <HTMLSelect
        className="sl-Gallery-jobPicker"
        data-testid="gallery-job-picker"
        aria-label="Cutout job"
        value={jobId ?? ''}
        options={options}
        onFocus={() => {
          setReload(value => value + 1);
        }}
        onChange={event => {
          const id = event.target.value;
          if (id !== '') {
            onShow({ kind: 'job', jobId: id });
          }
        }}
      />
      <Button
        className="jp-mod-styled"
        data-testid="gallery-new"
        title="Make new cutouts"
        disabled={jobId === null}
        onClick={() => {
          onShow({ kind: 'form', form: props.form });
        }}
      >
        <addIcon.react tag="span" className="sl-Gallery-buttonIcon" />
        New cutouts
      </Button>
      {jobId !== null && (
        <a
          className="jp-mod-styled sl-Gallery-link"
          href={archiveURL(jobId)}
          download
          data-testid="gallery-archive"
          title="Download every file of the job as a zip"
        >
          <downloadIcon.react tag="span" className="sl-Gallery-buttonIcon" />
          Download all
        </a>
      )}
    </div>
  );
}

type JobState =
  | { status: 'loading' }
  | { status: 'running'; job: IJob }
  | { status: 'ready'; job: IJob; summary: IGallerySummary }
  | { status: 'error'; job: IJob | null; error: IErrorView };

function JobView(props: {
  jobId: string;
  settings: IGallerySettings;
  onEnded: () => void;
}): React.ReactElement {
  const { jobId, settings, onEnded } = props;
  const [state, setState] = React.useState<JobState>({ status: 'loading' });
  const [labels, setLabels] = React.useState<Labels>({});
  const [saveState, setSaveState] = React.useState<SaveState>({
    status: 'saved'
  });
  const [selected, setSelected] = React.useState(0);
  const [open, setOpen] = React.useState<number | null>(null);
  const [attempt, setAttempt] = React.useState(0);
  const gridRef = React.useRef<HTMLDivElement>(null);
  const saver = React.useMemo(
    () =>
      new LabelSaver(
        next => storeLabels(jobId, next),
        next => {
          setSaveState(next);
        }
      ),
    [jobId]
  );
  const serverSettings = React.useMemo(
    () => ServerConnection.makeSettings(),
    []
  );
  const urlOf = React.useCallback(
    (file: string) => fileURL(jobId, file, serverSettings),
    [jobId, serverSettings]
  );

  React.useEffect(() => {
    const controller = new AbortController();
    setState({ status: 'loading' });
    const load = async () => {
      const job = await watchJob(
        jobId,
        update => {
          if (ACTIVE_PHASES.has(update.phase)) {
            setState({ status: 'running', job: update });
          }
        },
        { signal: controller.signal }
      );
      if (job === null) {
        return;
      }
      onEnded();
      if (!hasSummary(job)) {
        setState({
          status: 'error',
          job,
          error: {
            message: !makesGallery(job.type)
              ? `Job ${job.name} is a ${job.type} job, not a cutout job.`
              : (job.error ?? `The job ended ${job.phase} with no summary.`),
            detail: job.phase,
            status: null
          }
        });
        return;
      }
      const [summary, saved] = await Promise.all([
        fetchSummary(jobId),
        fetchLabels(jobId)
      ]);
      if (!controller.signal.aborted) {
        setLabels(saved);
        setState({ status: 'ready', job, summary });
      }
    };
    load().catch((reason: unknown) => {
      if (!controller.signal.aborted) {
        setState({ status: 'error', job: null, error: describeError(reason) });
      }
    });
    return () => {
      controller.abort();
    };
  }, [jobId, attempt]);

  const items = state.status === 'ready' ? state.summary.items : [];
  const labelKeys = React.useMemo(
    () => items.filter(item => item.name !== null).map(item => item.key),
    [items]
  );

  const label = (index: number, value: number | null) => {
    const item = items[index] as IGalleryItem | undefined;
    if (item === undefined || item.name === null) {
      return;
    }
    const next = withLabel(labels, item.key, value);
    setLabels(next);
    void saver.save(next);
  };

  const closeViewer = () => {
    setOpen(null);
    gridRef.current?.focus();
  };

  if (state.status === 'loading') {
    return (
      <p
        className="sl-Gallery-note"
        role="status"
        data-testid="gallery-loading"
      >
        Loading job {jobId}…
      </p>
    );
  }
  if (state.status === 'running') {
    return <JobProgress job={state.job} />;
  }
  if (state.status === 'error') {
    return (
      <div
        className="sl-Gallery-error"
        role="alert"
        data-testid="gallery-job-error"
      >
        <p className="sl-Gallery-errorMessage">{state.error.message}</p>
        {state.error.detail && (
          <p className="sl-Gallery-errorDetail">{state.error.detail}</p>
        )}
        <Button
          className="jp-mod-styled"
          onClick={() => {
            setAttempt(value => value + 1);
          }}
        >
          <refreshIcon.react tag="span" className="sl-Gallery-buttonIcon" />
          Retry
        </Button>
      </div>
    );
  }

  const { job, summary } = state;
  const counts = countLabels(labels, labelKeys);
  const openItem =
    open === null ? undefined : (items[open] as IGalleryItem | undefined);
  return (
    <div
      className="sl-Gallery-job"
      data-testid="gallery-job"
      data-job-id={job.id}
    >
      <div className="sl-Gallery-summary">
        <span className="sl-Gallery-jobName" data-testid="gallery-job-name">
          {job.name}
        </span>
        <span className={`sl-Gallery-phase sl-mod-${job.phase.toLowerCase()}`}>
          {job.phase}
        </span>
        <span data-testid="gallery-counts">
          {summary.counts.ok.toLocaleString('en-US')} of{' '}
          {summary.counts.positions.toLocaleString('en-US')} positions cut
          {summary.counts.error > 0
            ? `, ${summary.counts.error.toLocaleString('en-US')} failed`
            : ''}
        </span>
        {job.phase === 'ERROR' && job.error && (
          <span className="sl-Gallery-jobError">{job.error}</span>
        )}
      </div>
      <div
        className="sl-Gallery-labelBar"
        data-testid="gallery-label-counts"
        aria-label="Labels: press 0-9 on a selected image"
      >
        <span className="sl-Gallery-labelHint">Labels (keys 0–9):</span>
        {LABEL_VALUES.map(value => (
          <span
            key={value}
            className={
              'sl-Gallery-labelCount' +
              (counts.byLabel[value] > 0 ? ' sl-mod-used' : '')
            }
            data-testid={`gallery-label-count-${value}`}
            data-count={counts.byLabel[value]}
            title={settings.labelNames[value] || `label ${value}`}
          >
            <b>{value}</b>
            {settings.labelNames[value] ? ` ${settings.labelNames[value]}` : ''}
            : {counts.byLabel[value]}
          </span>
        ))}
        <span
          className="sl-Gallery-labelCount"
          data-testid="gallery-label-count-none"
          data-count={counts.unlabelled}
        >
          none: {counts.unlabelled}
        </span>
        <SaveStatus state={saveState} onRetry={() => void saver.retry()} />
      </div>
      {items.length === 0 ? (
        <p className="sl-Gallery-note">This job has no positions.</p>
      ) : (
        <GridView
          items={items}
          urlOf={urlOf}
          labels={labels}
          labelNames={settings.labelNames}
          selected={selected}
          onSelect={setSelected}
          onOpen={index => {
            setSelected(index);
            setOpen(index);
          }}
          onLabel={label}
          thumbnailSize={settings.thumbnailSize}
          gridRef={gridRef}
        />
      )}
      {openItem !== undefined && open !== null && (
        <Viewer
          jobId={job.id}
          item={openItem}
          index={open}
          count={items.length}
          urlOf={urlOf}
          label={labels[openItem.key] ?? null}
          labelNames={settings.labelNames}
          onLabel={value => {
            label(open, value);
          }}
          onMove={index => {
            setSelected(index);
            setOpen(index);
          }}
          onClose={closeViewer}
        />
      )}
    </div>
  );
}

function SaveStatus(props: {
  state: SaveState;
  onRetry: () => void;
}): React.ReactElement {
  const { state } = props;
  if (state.status === 'error') {
    return (
      <span
        className="sl-Gallery-saveState sl-mod-error"
        role="alert"
        data-testid="gallery-save-state"
        data-state="error"
      >
        Labels not saved: {state.message}{' '}
        <Button minimal small onClick={props.onRetry}>
          Retry
        </Button>
      </span>
    );
  }
  return (
    <span
      className="sl-Gallery-saveState"
      data-testid="gallery-save-state"
      data-state={state.status}
      role="status"
    >
      {state.status === 'saving' ? 'Saving…' : 'Saved with the job'}
    </span>
  );
}

function JobProgress(props: { job: IJob }): React.ReactElement {
  const { job } = props;
  const [cancelling, setCancelling] = React.useState(false);
  const [error, setError] = React.useState<string | null>(null);
  const percent = Math.round(job.progress * 100);
  return (
    <div className="sl-Gallery-progress" data-testid="gallery-progress">
      <p>
        <b>{job.name}</b>: {job.phase.toLowerCase()}
        {job.message ? ` · ${job.message}` : ''}
      </p>
      <progress
        max={1}
        value={job.progress}
        aria-label={`Cutout job progress: ${percent}%`}
      />
      <span className="sl-Gallery-percent">{percent}%</span>
      <Button
        className="jp-mod-styled jp-mod-warn"
        data-testid="gallery-cancel"
        disabled={cancelling}
        onClick={() => {
          setCancelling(true);
          cancelJob(job.id).catch((reason: unknown) => {
            setCancelling(false);
            setError(describeError(reason).message);
          });
        }}
      >
        <stopIcon.react tag="span" className="sl-Gallery-buttonIcon" />
        Cancel
      </Button>
      {error && (
        <p className="sl-Gallery-errorMessage" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
