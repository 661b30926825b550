/**
 * Pure rules of the job browser: which jobs just finished, how often to poll,
 * which actions a job offers, where its folder is, what a valid name is.
 */
import { JOB_NAME_MAX_LENGTH } from '../generated/limits';
import type { IJob, Phase } from '../jobs-api';
import { ACTIVE_PHASES, makesGallery } from '../jobs-api';

/** The phases a job ends in; reaching one raises a notification. */
export const FINISHED_PHASES: ReadonlySet<Phase> = new Set<Phase>([
  'COMPLETED',
  'ERROR',
  'ABORTED'
]);

/** Whether a job may still change (pending, queued or running). */
export function isActive(job: Pick<IJob, 'phase'>): boolean {
  return ACTIVE_PHASES.has(job.phase);
}

function createdMs(job: IJob): number {
  const time = Date.parse(job.created);
  return Number.isNaN(time) ? -Infinity : time;
}

/**
 * The jobs that finished between two listings of the newest jobs.
 *
 * A job finished if it is now COMPLETED, ERROR or ABORTED and either it was
 * active in `previous`, or it is new and newer than every job in `previous`
 * (a job submitted and ended between two polls). A job that only moved into
 * the page because a newer one was deleted is older than the page: not new.
 * With no `previous` listing (the first load) nothing has finished.
 *
 * @param previous - the last listing, or `null` before the first one.
 * @param next - the listing just received.
 */
export function finishedJobs(
  previous: readonly IJob[] | null,
  next: readonly IJob[]
): IJob[] {
  if (previous === null) {
    return [];
  }
  const before = new Map(previous.map(job => [job.id, job]));
  const newest = previous.reduce(
    (latest, job) => Math.max(latest, createdMs(job)),
    -Infinity
  );
  return next.filter(job => {
    if (!FINISHED_PHASES.has(job.phase)) {
      return false;
    }
    const old = before.get(job.id);
    if (old !== undefined) {
      return isActive(old);
    }
    return createdMs(job) > newest;
  });
}

/** How often to poll, in seconds, by situation. */
export interface IPollIntervals {
  /** While a job is pending, queued or running. */
  activeSeconds: number;
  /** While the job browser is shown and no job is active. */
  visibleSeconds: number;
  /** Otherwise: the one slow poll of an idle lab. */
  idleSeconds: number;
}

/** The default {@link IPollIntervals}. */
export const DEFAULT_INTERVALS: IPollIntervals = {
  activeSeconds: 2,
  visibleSeconds: 10,
  idleSeconds: 60
};

/**
 * The delay before the next poll, in milliseconds: short while any job is
 * active, medium while the browser is shown, long otherwise.
 */
export function pollDelay(
  jobs: readonly IJob[] | null,
  browserShown: boolean,
  intervals: IPollIntervals = DEFAULT_INTERVALS
): number {
  const seconds =
    jobs !== null && jobs.some(isActive)
      ? intervals.activeSeconds
      : browserShown
        ? intervals.visibleSeconds
        : intervals.idleSeconds;
  return Math.round(seconds * 1000);
}

/**
 * A job's folder as a file browser path (`surveylab-jobs/<id>`), or `null`
 * when the job store is outside the file browser's root.
 *
 * @param jobsFolder - `jobs_folder` of `GET /lab`: the store's folder relative
 *   to the server root (`""` or `"."` for the root itself), or `null`.
 */
export function jobFolderPath(
  jobsFolder: string | null,
  id: string
): string | null {
  if (jobsFolder === null) {
    return null;
  }
  const parts = jobsFolder
    .split('/')
    .filter(part => part !== '' && part !== '.');
  return [...parts, id].join('/');
}

/** The longest job name the server accepts. */
export const MAX_NAME_LENGTH = JOB_NAME_MAX_LENGTH;

/**
 * What is wrong with a job name, or `null` if the server will accept it
 * (1 to {@link MAX_NAME_LENGTH} characters after trimming, no `/`).
 */
export function checkJobName(name: string): string | null {
  const trimmed = name.trim();
  if (trimmed.length === 0) {
    return 'A job name cannot be empty.';
  }
  if (trimmed.length > MAX_NAME_LENGTH) {
    return `A job name has at most ${MAX_NAME_LENGTH} characters (this one has ${trimmed.length}).`;
  }
  if (trimmed.includes('/')) {
    return 'A job name cannot contain "/".';
  }
  return null;
}

/** Everything the job browser can do with a job. */
export type JobAction =
  | 'cancel'
  | 'rename'
  | 'renew'
  | 'delete'
  | 'openFolder'
  | 'downloadAll'
  | 'copyQuery'
  | 'openGallery'
  | 'askHelp';

/** Which of the other panels' commands exist in this lab. */
export interface ICommandAvailability {
  /** The query panel's `surveylab:open-query`. */
  openQuery: boolean;
  /** The gallery's `surveylab:open-gallery`. */
  openGallery: boolean;
  /** The help desk form's `surveylab:contact-help-desk`. */
  contactHelpDesk?: boolean;
}

/** The SQL of a query job (or an anomaly job's sample), or `null` if it has none. */
export function jobSQL(job: IJob): string | null {
  const sql = job.parameters?.sql;
  const hasQuery = job.type === 'query' || job.type === 'anomaly';
  return hasQuery && typeof sql === 'string' && sql.trim() ? sql : null;
}

/** The actions a job offers now, in the order the browser shows them. */
export function jobActions(
  job: IJob,
  commands: ICommandAvailability
): JobAction[] {
  const actions: JobAction[] = [];
  if (isActive(job)) {
    actions.push('cancel');
  }
  if (makesGallery(job.type) && commands.openGallery) {
    actions.push('openGallery');
  }
  if (commands.openQuery && jobSQL(job) !== null) {
    actions.push('copyQuery');
  }
  actions.push('openFolder');
  if (job.files.length > 0) {
    actions.push('downloadAll');
  }
  actions.push('rename');
  if (job.phase !== 'ARCHIVED') {
    actions.push('renew');
  }
  if (commands.contactHelpDesk === true) {
    actions.push('askHelp');
  }
  actions.push('delete');
  return actions;
}

/**
 * The row to focus after `id` leaves the list: the next one, else the one
 * before, else none.
 */
export function neighbourAfterRemoval(
  ids: readonly string[],
  id: string
): string | null {
  const index = ids.indexOf(id);
  if (index === -1) {
    return null;
  }
  if (index + 1 < ids.length) {
    return ids[index + 1];
  }
  return index > 0 ? ids[index - 1] : null;
}

/** The id `step` rows from `id` (clamped to the list), for arrow keys. */
export function moveSelection(
  ids: readonly string[],
  id: string | null,
  step: number
): string | null {
  if (ids.length === 0) {
    return null;
  }
  const index = id === null ? -1 : ids.indexOf(id);
  if (index === -1) {
    return step < 0 ? ids[ids.length - 1] : ids[0];
  }
  return ids[Math.min(ids.length - 1, Math.max(0, index + step))];
}
