/**
 * A typed helper for calling the surveylab REST API from the browser.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type { IErrorBody } from './types';

/**
 * The URL path, under the server's base URL, that every endpoint lives in.
 */
export const API_NAMESPACE = 'surveylab/api';

/**
 * The error thrown by {@link requestAPI} for anything but a good JSON answer.
 *
 * `status` is the HTTP status code, or 0 when no HTTP answer arrived (the
 * server could not be reached). `message` is the server's own `message` when
 * its error body has one, so it can be shown to the user as it is.
 */
export class SurveylabAPIError extends Error {
  constructor(options: SurveylabAPIError.IOptions) {
    super(options.message);
    this.name = 'SurveylabAPIError';
    this.status = options.status;
    this.url = options.url;
    this.reason = options.reason ?? null;
    this.body = options.body ?? null;
  }

  /** The HTTP status code, or 0 when the server could not be reached. */
  readonly status: number;
  /** The URL that was requested. */
  readonly url: string;
  /** The server's machine-readable `reason`, if it sent one. */
  readonly reason: string | null;
  /** The server's error body, if it was a JSON `{"message": ...}` object. */
  readonly body: IErrorBody | null;
}

export namespace SurveylabAPIError {
  /** The options of the {@link SurveylabAPIError} constructor. */
  export interface IOptions {
    message: string;
    status: number;
    url: string;
    reason?: string | null;
    body?: IErrorBody | null;
  }
}

/**
 * The full URL of a surveylab endpoint.
 *
 * @param endPoint - the path below `surveylab/api/`, e.g. `"info"`; it may
 *   carry a query string.
 * @param settings - the server connection settings (their `baseUrl` is used).
 */
export function apiURL(
  endPoint: string,
  settings: Pick<ServerConnection.ISettings, 'baseUrl'>
): string {
  return URLExt.join(settings.baseUrl, API_NAMESPACE, endPoint);
}

/**
 * Read an error body, or return `null` when it is not `{"message": string}`.
 *
 * jupyter_server's `APIHandler` sends `{"message": ..., "reason": ...}` with a
 * `reason` that may be `null`; a `reason` that is not a string is dropped.
 */
export function parseErrorBody(data: unknown): IErrorBody | null {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    return null;
  }
  const record = data as Record<string, unknown>;
  if (typeof record.message !== 'string' || record.message.length === 0) {
    return null;
  }
  const body: IErrorBody = { message: record.message };
  if (typeof record.reason === 'string' && record.reason.length > 0) {
    body.reason = record.reason;
  }
  for (const key of ['line', 'column', 'retry_after'] as const) {
    const value = record[key];
    if (typeof value === 'number' && Number.isInteger(value) && value > 0) {
      body[key] = value;
    }
  }
  if (typeof record.field === 'string' && record.field.length > 0) {
    body.field = record.field;
  }
  if (typeof record.address === 'string' || record.address === null) {
    body.address = record.address;
  }
  return body;
}

/**
 * Call a surveylab endpoint and return its JSON body.
 *
 * @param endPoint - the path below `<baseUrl>/surveylab/api/`, e.g. `"info"`.
 * @param init - the fetch options (method, body, headers...).
 * @param settings - the server connection settings; by default the page's.
 * @returns the parsed JSON body, or `undefined` for an empty body (e.g. 204).
 * @throws {SurveylabAPIError} when the server cannot be reached, answers with
 *   an error status, or answers with something that is not JSON.
 */
export async function requestAPI<T>(
  endPoint = '',
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = apiURL(endPoint, settings);

  let response: Response;
  let text: string;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
    text = await response.text();
  } catch (error) {
    throw new SurveylabAPIError({
      status: 0,
      url,
      message: `Cannot reach the surveylab server: ${describe(error)}`
    });
  }

  let data: unknown = undefined;
  let isJSON = true;
  if (text.length > 0) {
    try {
      data = JSON.parse(text) as unknown;
    } catch {
      isJSON = false;
    }
  }

  if (!response.ok) {
    const body = isJSON ? parseErrorBody(data) : null;
    const statusText = response.statusText ? ` ${response.statusText}` : '';
    throw new SurveylabAPIError({
      status: response.status,
      url,
      message:
        body?.message ??
        `The surveylab server answered HTTP ${response.status}${statusText}`,
      reason: body?.reason ?? null,
      body
    });
  }

  if (!isJSON) {
    throw new SurveylabAPIError({
      status: response.status,
      url,
      message: 'The surveylab server sent a response that is not JSON'
    });
  }
  return data as T;
}

function describe(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
