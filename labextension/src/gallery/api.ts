/**
 * The gallery's requests: a job's summary, a cutout's FITS header (read from
 * the first bytes of the file), and watching a job until it ends.
 */
import { ServerConnection } from '@jupyterlab/services';

import { ACTIVE_PHASES, fileURL, getJob } from '../jobs-api';
import type { IJob } from '../jobs-api';
import { SurveylabAPIError, requestAPI } from '../request';
import { FitsHeaderError, headerLength, parseFitsHeader } from './fits';
import type { IFitsCard } from './fits';
import { parseSummary } from './summary';
import type { IGallerySummary } from './summary';

/** The name of a cutout job's summary file. */
export const SUMMARY_NAME = 'summary.json';

/** Whether the job has written its summary (it has ended). */
export function hasSummary(job: IJob): boolean {
  return job.files.some(file => file.name === SUMMARY_NAME);
}

/** The job's `summary.json`, parsed. */
export async function fetchSummary(jobId: string): Promise<IGallerySummary> {
  const data = await requestAPI<unknown>(
    `jobs/${encodeURIComponent(jobId)}/files/${SUMMARY_NAME}`
  );
  return parseSummary(data);
}

/** Read at most this many bytes looking for a header's END card. */
const MAX_HEADER_BYTES = 2880 * 40;

/**
 * The header cards of a job's FITS file. Only the header's blocks are read:
 * the download stops once `END` has arrived.
 */
export async function fetchFitsHeader(
  jobId: string,
  name: string,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<IFitsCard[]> {
  const url = fileURL(jobId, name, settings);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, {}, settings);
  } catch (error) {
    throw new SurveylabAPIError({
      status: 0,
      url,
      message: `Cannot reach the surveylab server: ${String(error)}`
    });
  }
  if (!response.ok) {
    let message = `Cannot read ${name}: HTTP ${response.status}`;
    try {
      const body = (await response.json()) as { message?: unknown };
      if (typeof body.message === 'string') {
        message = body.message;
      }
    } catch {
      // not JSON: keep the status line
    }
    throw new SurveylabAPIError({ status: response.status, url, message });
  }
  const bytes = await readUntilHeaderEnd(response);
  return parseFitsHeader(bytes);
}

async function readUntilHeaderEnd(response: Response): Promise<Uint8Array> {
  const reader = response.body?.getReader();
  if (reader === undefined) {
    return new Uint8Array(await response.arrayBuffer());
  }
  let buffer = new Uint8Array(0);
  for (;;) {
    const { done, value } = await reader.read();
    if (value !== undefined) {
      const next = new Uint8Array(buffer.length + value.length);
      next.set(buffer);
      next.set(value, buffer.length);
      buffer = next;
    }
    const length = headerLength(buffer);
    if (length !== -1 || done || buffer.length >= MAX_HEADER_BYTES) {
      if (!done) {
        await reader.cancel();
      }
      if (length === -1 && buffer.length >= MAX_HEADER_BYTES) {
        throw new FitsHeaderError(
          `no END card in the first ${MAX_HEADER_BYTES.toLocaleString('en-US')} bytes`
        );
      }
      return buffer;
    }
  }
}

/**
 * Call `onUpdate` with the job every `intervalMs` until it leaves the active
 * phases (or `signal` aborts); resolves to the last record.
 */
export async function watchJob(
  jobId: string,
  onUpdate: (job: IJob) => void,
  options: {
    signal: AbortSignal;
    intervalMs?: number;
    fetchJob?: (id: string) => Promise<IJob>;
  }
): Promise<IJob | null> {
  const fetchJob = options.fetchJob ?? getJob;
  const interval = options.intervalMs ?? 1000;
  const aborted = () => options.signal.aborted;
  for (;;) {
    if (aborted()) {
      return null;
    }
    const job = await fetchJob(jobId);
    if (aborted()) {
      return null;
    }
    onUpdate(job);
    if (!ACTIVE_PHASES.has(job.phase)) {
      return job;
    }
    if (aborted()) {
      return null; // aborted by onUpdate: no wait, the abort event has fired
    }
    await new Promise<void>(resolve => {
      const timer = setTimeout(resolve, interval);
      options.signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          resolve();
        },
        { once: true }
      );
    });
  }
}
