/**
 * The lab's view of `GET /surveylab/api/status`: whether each part of the
 * platform answers, refreshed every 30 s and on demand, shared by the status
 * bar item, the Status panel, the query panel and the cutout gallery.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import { describeError } from '../format';
import { requestAPI } from '../request';
import type { Schemas } from '../types';

/** The body of `GET /surveylab/api/status`. */
export type IStatusReport = Schemas['StatusReport'];
/** One part's check. */
export type IPartStatus = Schemas['PartStatus'];
/** The name of a part: catalog, jobs, cutouts, hub, platform. */
export type PartName = IPartStatus['name'];

/** Milliseconds between two checks. */
export const STATUS_INTERVAL_MS = 30_000;

/** Each part as a sentence names it. */
const SHORT_NAMES: Record<PartName, string> = {
  catalog: 'catalog',
  jobs: 'job runner',
  cutouts: 'cutout executor',
  hub: 'hub',
  platform: 'platform service'
};

/** What stops working while a part is down. */
const CONSEQUENCES: Record<PartName, string> = {
  catalog: 'queries are unavailable',
  jobs: 'new jobs cannot start',
  cutouts: 'cutouts are unavailable',
  hub: 'this lab runs on, but cannot be restarted from the hub',
  platform: 'jobs cannot be submitted'
};

/**
 * What a panel that depends on `part` says about it, or `null` when the part
 * is fine: "catalog unreachable: queries are unavailable" when it is down,
 * "catalog degraded (...): queries may be slow" when it is degraded.
 */
export function partNotice(part: IPartStatus | null): string | null {
  if (part === null) {
    return null;
  }
  const name = SHORT_NAMES[part.name];
  if (part.state === 'down') {
    return `${name} unreachable: ${CONSEQUENCES[part.name]}`;
  }
  if (part.state === 'degraded') {
    return `${name} degraded (${part.detail}): ${part.name === 'catalog' ? 'queries' : 'it'} may be slow`;
  }
  return null;
}

/** The status bar's text for a report (or its absence). */
export function summaryText(
  report: IStatusReport | null,
  error: string | null
): string {
  if (error !== null) {
    return 'Survey: status unknown';
  }
  if (report === null) {
    return 'Survey: checking…';
  }
  const unwell = report.parts.filter(
    part => part.state === 'down' || part.state === 'degraded'
  );
  if (unwell.length === 0) {
    return 'Survey: OK';
  }
  return `Survey: ${unwell
    .map(part => `${SHORT_NAMES[part.name]} ${part.state}`)
    .join(', ')}`;
}

/** The latest status report, fetched now and then every {@link STATUS_INTERVAL_MS}. */
export class StatusModel {
  constructor(
    fetchReport: () => Promise<IStatusReport> = () =>
      requestAPI<IStatusReport>('status'),
    interval: number = STATUS_INTERVAL_MS
  ) {
    this._fetch = fetchReport;
    this._interval = interval;
    void this.refresh();
  }

  /** The latest report, or `null` before the first answer. */
  get report(): IStatusReport | null {
    return this._report;
  }

  /** Why the last check of the status itself failed (the lab's server did not answer). */
  get error(): string | null {
    return this._error;
  }

  /** Emitted after each check. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The latest check of `name`, or `null`. */
  part(name: PartName): IPartStatus | null {
    return this._report?.parts.find(part => part.name === name) ?? null;
  }

  /** Check now (the next periodic check is 30 s after this one). */
  refresh(): Promise<void> {
    this._running ??= this._check().finally(() => {
      this._running = null;
    });
    return this._running;
  }

  dispose(): void {
    this._disposed = true;
    clearTimeout(this._timer);
  }

  private async _check(): Promise<void> {
    clearTimeout(this._timer);
    try {
      this._report = await this._fetch();
      this._error = null;
    } catch (reason) {
      this._error = describeError(reason).message;
    }
    if (this._disposed) {
      return;
    }
    this._timer = setTimeout(() => {
      void this.refresh();
    }, this._interval);
    this._changed.emit();
  }

  private readonly _fetch: () => Promise<IStatusReport>;
  private readonly _interval: number;
  private readonly _changed = new Signal<this, void>(this);
  private _report: IStatusReport | null = null;
  private _error: string | null = null;
  private _running: Promise<void> | null = null;
  private _timer: ReturnType<typeof setTimeout> | undefined = undefined;
  private _disposed = false;
}

let shared: StatusModel | null = null;

/** The one status model of the lab, made on first use. */
export function sharedStatus(): StatusModel {
  shared ??= new StatusModel();
  return shared;
}
