/**
 * The job store's REST API (`/surveylab/api/jobs...`), typed: shared by the
 * query panel (submit), the job browser and the cutout gallery.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';

import type { operations } from './generated/openapi';
import { apiURL, requestAPI } from './request';
import type { Schemas } from './types';

/** A job's IVOA UWS phase. */
export type Phase = Schemas['Phase'];

/** The phases in which a job may still change. */
export const ACTIVE_PHASES: ReadonlySet<Phase> = new Set<Phase>([
  'PENDING',
  'QUEUED',
  'EXECUTING'
]);

/** Job types whose folder holds a cutout gallery (`summary.json`): a cutout
 * job's cutouts, an anomaly job's top rows. */
export const GALLERY_JOB_TYPES: readonly string[] = ['cutout', 'anomaly'];

/** Whether jobs of this type make a cutout gallery. */
export function makesGallery(type: string): boolean {
  return GALLERY_JOB_TYPES.includes(type);
}

/** One complete result file of a job. */
export type IResultFile = Schemas['ResultFile'];

/** A job record, as the server sends it. */
export type IJob = Schemas['Job'];

/** A page of `GET /jobs`. */
export type IJobList = Schemas['JobList'];

/** What `GET /jobs` may filter and sort by. */
export type IJobQuery = NonNullable<
  operations['listJobs']['parameters']['query']
>;

/** A new job: `{type: 'query', sql, format?, ...}`, `{type: 'cutout', ...}` or
 * `{type: 'anomaly', sql, features?, trees?, top?, ...}`. */
export type IJobRequest = Schemas['JobRequest'];

/** The jobs of the user, newest first unless `query.sort` says otherwise. */
export function listJobs(query: IJobQuery = {}): Promise<IJobList> {
  const search = Object.entries<unknown>(query)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${encodeURIComponent(String(value))}`)
    .join('&');
  return requestAPI<IJobList>(search ? `jobs?${search}` : 'jobs');
}

/** One job. */
export function getJob(id: string): Promise<IJob> {
  return requestAPI<IJob>(jobPath(id));
}

/** The sender of {@link jobSubmitted}. */
const JOB_EVENTS = {};
const submitted = new Signal<typeof JOB_EVENTS, IJob>(JOB_EVENTS);

/** Emitted with each job this page submits (the job browser refreshes on it). */
export const jobSubmitted: ISignal<typeof JOB_EVENTS, IJob> = submitted;

/** Start a job; the server answers 201 with its record (400 with a message if refused). */
export async function submitJob(
  request: IJobRequest,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IJob> {
  const job = await requestAPI<IJob>(
    'jobs',
    { method: 'POST', body: JSON.stringify(request) },
    settings
  );
  submitted.emit(job);
  return job;
}

/** Rename a job and/or renew it (`true` for the default lifetime, or days). */
export function updateJob(
  id: string,
  changes: { name?: string; renew?: boolean | number }
): Promise<IJob> {
  return requestAPI<IJob>(jobPath(id), {
    method: 'PATCH',
    body: JSON.stringify(changes)
  });
}

/** Cancel a queued or running job. */
export function cancelJob(id: string): Promise<IJob> {
  return requestAPI<IJob>(`${jobPath(id)}/cancel`, { method: 'POST' });
}

/** Delete a job and its files. */
export async function deleteJob(id: string): Promise<void> {
  await requestAPI<undefined>(jobPath(id), { method: 'DELETE' });
}

/** The job's log as text. */
export async function jobLog(
  id: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<string> {
  const response = await ServerConnection.makeRequest(
    apiURL(`${jobPath(id)}/log`, settings),
    {},
    settings
  );
  return response.ok ? response.text() : '';
}

/** The download URL of one result file (an `<a download>` or an `<img>` may use it). */
export function fileURL(
  id: string,
  name: string,
  settings: Pick<
    ServerConnection.ISettings,
    'baseUrl'
  > = ServerConnection.makeSettings()
): string {
  return apiURL(`${jobPath(id)}/files/${encodeURIComponent(name)}`, settings);
}

/** The URL of the zip of all of a job's files ("download all"). */
export function archiveURL(
  id: string,
  settings: Pick<
    ServerConnection.ISettings,
    'baseUrl'
  > = ServerConnection.makeSettings()
): string {
  return apiURL(`${jobPath(id)}/archive`, settings);
}

function jobPath(id: string): string {
  return URLExt.join('jobs', encodeURIComponent(id));
}
