/**
 * Pure formatting for the job browser: durations, sizes, times and the
 * one-line outcome of a job (no DOM, no React).
 */
import type { IJob, Phase } from '../jobs-api';

/** Shown where a value is unknown. */
export const UNKNOWN = '\u2014';

const integerFormat = new Intl.NumberFormat('en-US', {
  maximumFractionDigits: 0
});

function plural(count: number, word: string): string {
  return `${integerFormat.format(count)} ${word}${count === 1 ? '' : 's'}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}

/**
 * A run time in seconds, e.g. `0.4 s`, `12 s`, `2 min 5 s`, `1 h 3 min`.
 *
 * `null`, `undefined`, negative and non-finite values give {@link UNKNOWN}.
 */
export function formatDuration(seconds: number | null | undefined): string {
  if (
    seconds === null ||
    seconds === undefined ||
    !Number.isFinite(seconds) ||
    seconds < 0
  ) {
    return UNKNOWN;
  }
  if (seconds < 10) {
    return `${(Math.round(seconds * 10) / 10).toFixed(1)} s`;
  }
  const whole = Math.round(seconds);
  if (whole < 60) {
    return `${whole} s`;
  }
  if (whole < 3600) {
    const rest = whole % 60;
    return `${Math.floor(whole / 60)} min${rest ? ` ${rest} s` : ''}`;
  }
  const minutes = Math.round(whole / 60);
  const rest = minutes % 60;
  return `${Math.floor(minutes / 60)} h${rest ? ` ${rest} min` : ''}`;
}

/** A file size in bytes, e.g. `812 B`, `1.5 KB`, `23.4 MB` (powers of 1024). */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) {
    return UNKNOWN;
  }
  const units = ['KB', 'MB', 'GB', 'TB'];
  if (bytes < 1024) {
    return `${Math.round(bytes)} B`;
  }
  let value = bytes;
  let unit = 'B';
  for (const next of units) {
    if (value < 1024) {
      break;
    }
    value /= 1024;
    unit = next;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${unit}`;
}

/** Parse an ISO 8601 time; `null` when it is missing or not a time. */
export function parseTime(iso: string | null | undefined): Date | null {
  if (!iso) {
    return null;
  }
  const time = new Date(iso);
  return Number.isNaN(time.getTime()) ? null : time;
}

/** An ISO 8601 time in the browser's time zone: `2026-11-22 14:05`. */
export function formatTimestamp(iso: string | null | undefined): string {
  const time = parseTime(iso);
  if (time === null) {
    return UNKNOWN;
  }
  return (
    `${time.getFullYear()}-${pad(time.getMonth() + 1)}-${pad(time.getDate())} ` +
    `${pad(time.getHours())}:${pad(time.getMinutes())}`
  );
}

/**
 * When a job's files are deleted, relative to `now`: `in 14 days` (to the
 * nearest day from 2 days on), `in 5 h`, `in 20 min`, `in under a minute`,
 * or `expired`.
 */
export function formatExpiry(destruction: string, now: Date): string {
  const time = parseTime(destruction);
  if (time === null) {
    return UNKNOWN;
  }
  const left = time.getTime() - now.getTime();
  if (left <= 0) {
    return 'expired';
  }
  const minutes = Math.floor(left / 60_000);
  if (minutes < 1) {
    return 'in under a minute';
  }
  if (minutes < 60) {
    return `in ${minutes} min`;
  }
  const hours = Math.floor(minutes / 60);
  if (hours < 48) {
    return `in ${hours} h`;
  }
  return `in ${plural(Math.round(left / 86_400_000), 'day')}`;
}

/** The badge text of a phase: `Running` for EXECUTING, `Failed` for ERROR... */
export function phaseLabel(phase: Phase): string {
  switch (phase) {
    case 'PENDING':
      return 'Pending';
    case 'QUEUED':
      return 'Queued';
    case 'EXECUTING':
      return 'Running';
    case 'COMPLETED':
      return 'Completed';
    case 'ERROR':
      return 'Failed';
    case 'ABORTED':
      return 'Cancelled';
    case 'ARCHIVED':
      return 'Archived';
  }
}

/** A progress fraction as a whole percentage, clamped to 0..100. */
export function percent(progress: number): number {
  if (!Number.isFinite(progress)) {
    return 0;
  }
  return Math.round(Math.min(1, Math.max(0, progress)) * 100);
}

/**
 * One line saying how a job ended (or how far it is), for the table and the
 * notification: `1,234 rows in 2 files`, the error, `Cancelled`...
 */
export function summarizeOutcome(job: IJob): string {
  switch (job.phase) {
    case 'COMPLETED': {
      const files = plural(job.files.length, 'file');
      return job.type === 'query'
        ? `${plural(job.rows, 'row')}, ${files}`
        : files;
    }
    case 'ERROR':
      return job.error || job.message || 'Failed';
    case 'ABORTED':
      return job.files.length > 0
        ? `Cancelled; ${plural(job.files.length, 'file')} kept`
        : 'Cancelled';
    default:
      return job.message ?? '';
  }
}

/** The longest error text put into a notification. */
const NOTICE_ERROR_LENGTH = 200;

/** What to tell the user when jobs finish. */
export interface IFinishedNotice {
  message: string;
  type: 'success' | 'error' | 'info';
  /** The job to show, or `null` to show the list (several jobs). */
  jobId: string | null;
}

function shorten(text: string, length: number): string {
  return text.length <= length ? text : `${text.slice(0, length - 1)}…`;
}

/**
 * The notification for jobs that just finished: one job is named with its
 * outcome; several are counted by outcome.
 */
export function finishedNotice(jobs: readonly IJob[]): IFinishedNotice {
  const failed = jobs.filter(job => job.phase === 'ERROR').length;
  if (jobs.length === 1) {
    const [job] = jobs;
    switch (job.phase) {
      case 'COMPLETED':
        return {
          message: `Job "${job.name}" completed: ${summarizeOutcome(job)}.`,
          type: 'success',
          jobId: job.id
        };
      case 'ERROR':
        return {
          message: `Job "${job.name}" failed: ${shorten(summarizeOutcome(job), NOTICE_ERROR_LENGTH)}`,
          type: 'error',
          jobId: job.id
        };
      default:
        return {
          message: `Job "${job.name}" was cancelled.`,
          type: 'info',
          jobId: job.id
        };
    }
  }
  const counts = (['COMPLETED', 'ERROR', 'ABORTED'] as const)
    .map(
      phase => [phase, jobs.filter(job => job.phase === phase).length] as const
    )
    .filter(([, count]) => count > 0)
    .map(
      ([phase, count]) =>
        `${count} ${phase === 'COMPLETED' ? 'completed' : phase === 'ERROR' ? 'failed' : 'cancelled'}`
    );
  return {
    message: `${jobs.length} jobs finished: ${counts.join(', ')}.`,
    type: failed > 0 ? 'error' : 'success',
    jobId: null
  };
}
