/**
 * The job monitor: the newest page of the user's jobs, polled in the
 * background for the whole lab session (whether the job browser is open or
 * not), quickly while a job is active and slowly when none is.
 */
import type { IDisposable } from '@lumino/disposable';
import type { IPoll } from '@lumino/polling';
import { Poll } from '@lumino/polling';
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import type { IErrorView } from '../format';
import { describeError } from '../format';
import { JOB_PAGE_MAX } from '../generated/limits';
import type { IJob, IJobList } from '../jobs-api';
import { listJobs } from '../jobs-api';
import type { IPollIntervals } from './state';
import { DEFAULT_INTERVALS, finishedJobs, pollDelay } from './state';

/** The first page's size, and the most the browser asks for. */
export const PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = JOB_PAGE_MAX;

/** The longest wait between polls after repeated failures. */
const MAX_BACKOFF_MS = 5 * 60 * 1000;

/**
 * Polls `GET /jobs` for the newest jobs and tells who listens when the list
 * changes and when jobs finish.
 *
 * The poll stands by while the page is hidden. After an action (cancel,
 * rename...) call {@link JobMonitor.refresh} or {@link JobMonitor.update}.
 */
export class JobMonitor implements IDisposable {
  constructor(options: JobMonitor.IOptions = {}) {
    this._fetchJobs = options.fetchJobs ?? (limit => listJobs({ limit }));
    this._intervals = options.intervals ?? DEFAULT_INTERVALS;
    this._limit = options.pageSize ?? PAGE_SIZE;
    this._poll = new Poll({
      auto: false,
      factory: () => this._load(),
      frequency: this._frequency(),
      standby: options.standby ?? 'when-hidden',
      name: 'surveylab:jobs'
    });
  }

  /** Emitted whenever the list, the total or the error changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted with the jobs that finished since the last listing. */
  get finished(): ISignal<this, IJob[]> {
    return this._finished;
  }

  /** The newest jobs, newest first; `null` until the first answer. */
  get jobs(): readonly IJob[] | null {
    return this._jobs;
  }

  /** How many jobs the user has in all (the list may hold fewer). */
  get total(): number {
    return this._total;
  }

  /** The last failure to list the jobs, cleared by the next success. */
  get error(): IErrorView | null {
    return this._error;
  }

  /** Whether a listing is in flight. */
  get loading(): boolean {
    return this._inFlight > 0;
  }

  /** How many of the newest jobs to list. */
  get limit(): number {
    return this._limit;
  }
  set limit(limit: number) {
    const clamped = Math.max(1, Math.min(MAX_PAGE_SIZE, Math.round(limit)));
    if (clamped !== this._limit) {
      this._limit = clamped;
      void this.refresh();
    }
  }

  /** The poll intervals; a change applies from the next poll. */
  get intervals(): IPollIntervals {
    return this._intervals;
  }
  set intervals(intervals: IPollIntervals) {
    this._intervals = intervals;
    this._updateFrequency();
  }

  /**
   * Whether the job browser is on screen (it then polls at the medium
   * interval even when no job is active). Showing it refreshes at once.
   */
  get browserShown(): boolean {
    return this._browserShown;
  }
  set browserShown(shown: boolean) {
    if (shown === this._browserShown) {
      return;
    }
    this._browserShown = shown;
    this._updateFrequency();
    if (shown) {
      void this.refresh();
    }
  }

  get isDisposed(): boolean {
    return this._poll.isDisposed;
  }

  /** Start polling (the first listing is the baseline: nothing "finished"). */
  start(): void {
    void this._poll.start();
  }

  /**
   * List the jobs now; resolves once the answer (or failure) is in. A
   * listing already in flight may predate a change just made, so another
   * one follows it.
   */
  async refresh(): Promise<void> {
    if (this.isDisposed) {
      return;
    }
    if (this._inFlight > 0) {
      await this._poll.tick.catch(() => undefined);
    }
    await this._poll.refresh();
    await this._poll.tick.catch(() => undefined);
  }

  /**
   * Put a job record the server just returned (after cancel, rename, renew)
   * into the list, so the change shows before the next poll. A job the user
   * changed this way raises no "finished" notification.
   */
  update(job: IJob): void {
    if (this._jobs === null) {
      return;
    }
    const index = this._jobs.findIndex(other => other.id === job.id);
    if (index === -1) {
      return;
    }
    const jobs = [...this._jobs];
    jobs[index] = job;
    this._jobs = jobs;
    this._updateFrequency();
    this._changed.emit();
  }

  /** Take a deleted job out of the list. */
  remove(id: string): void {
    if (this._jobs === null || !this._jobs.some(job => job.id === id)) {
      return;
    }
    this._jobs = this._jobs.filter(job => job.id !== id);
    this._total = Math.max(0, this._total - 1);
    this._changed.emit();
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    // Stopping first clears the poll's pending timer (dispose leaves it).
    void this._poll.stop();
    this._poll.dispose();
    Signal.clearData(this);
  }

  private async _load(): Promise<void> {
    const request = ++this._requests;
    this._inFlight++;
    let list: IJobList;
    try {
      list = await this._fetchJobs(this._limit);
    } catch (error) {
      if (request === this._requests && !this.isDisposed) {
        this._error = describeError(error);
        this._changed.emit();
      }
      // Rejecting makes the poll back off.
      throw error;
    } finally {
      this._inFlight--;
    }
    // An older answer arriving after a newer one is dropped.
    if (request !== this._requests || this.isDisposed) {
      return;
    }
    const previous = this._jobs;
    this._jobs = list.jobs;
    this._total = list.total;
    this._error = null;
    this._updateFrequency();
    this._changed.emit();
    const finished = finishedJobs(previous, list.jobs);
    if (finished.length > 0) {
      this._finished.emit(finished);
    }
  }

  private _frequency(): IPoll.Frequency {
    const interval = pollDelay(this._jobs, this._browserShown, this._intervals);
    return {
      interval,
      backoff: true,
      max: Math.max(interval, MAX_BACKOFF_MS)
    };
  }

  private _updateFrequency(): void {
    if (!this.isDisposed) {
      this._poll.frequency = this._frequency();
    }
  }

  private readonly _changed = new Signal<this, void>(this);
  private readonly _fetchJobs: (limit: number) => Promise<IJobList>;
  private readonly _finished = new Signal<this, IJob[]>(this);
  private readonly _poll: Poll;
  private _browserShown = false;
  private _error: IErrorView | null = null;
  private _inFlight = 0;
  private _intervals: IPollIntervals;
  private _jobs: readonly IJob[] | null = null;
  private _limit: number;
  private _requests = 0;
  private _total = 0;
}

export namespace JobMonitor {
  /** The options of the {@link JobMonitor} constructor. */
  export interface IOptions {
    /** Lists the newest `limit` jobs; by default `GET /jobs?limit=`. */
    fetchJobs?: (limit: number) => Promise<IJobList>;
    /** The poll intervals; {@link DEFAULT_INTERVALS} by default. */
    intervals?: IPollIntervals;
    /** How many of the newest jobs to list ({@link PAGE_SIZE}). */
    pageSize?: number;
    /** When to stop polling; `when-hidden` (the page is hidden) by default. */
    standby?: Poll.Standby;
  }
}
