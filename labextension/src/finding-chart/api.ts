/**
 * The finding-chart request: `POST /surveylab/api/finding-chart` answers with
 * a PNG (one target) or a PDF (a page per target).
 */
import { ServerConnection } from '@jupyterlab/services';

import { FINDING_CHART_TARGETS_MAX } from '../generated/limits';
import { SurveylabAPIError, apiURL, parseErrorBody } from '../request';
import type { Schemas } from '../types';

/** The body of `POST /finding-chart`, as the contract says. */
export type IFindingChartRequest = Schemas['FindingChartRequest'];

/** One target: an object id, a name or position, `[ra, dec]` or a row. */
export type ChartTarget = IFindingChartRequest['targets'][number];

/** Thrown before any request for a body the server would refuse. */
export class FindingChartInputError extends Error {}

/**
 * The chart of `body` as a Blob (`image/png` or `application/pdf`).
 *
 * @throws {FindingChartInputError} for no target or more than the contract's
 *   `FINDING_CHART_TARGETS_MAX`.
 * @throws {SurveylabAPIError} when the server refuses or cannot be reached;
 *   its message is the server's own (e.g. "outside the survey's footprint").
 */
export async function requestChart(
  body: IFindingChartRequest,
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<Blob> {
  if (body.targets.length === 0) {
    throw new FindingChartInputError('no target to chart');
  }
  if (body.targets.length > FINDING_CHART_TARGETS_MAX) {
    throw new FindingChartInputError(
      `${body.targets.length} targets: a finding-chart PDF takes at most ${FINDING_CHART_TARGETS_MAX}`
    );
  }
  const url = apiURL('finding-chart', settings);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(
      url,
      { method: 'POST', body: JSON.stringify(body) },
      settings
    );
  } catch (error) {
    throw new SurveylabAPIError({
      status: 0,
      url,
      message: `Cannot reach the surveylab server: ${String(error)}`
    });
  }
  if (!response.ok) {
    let parsed = null;
    try {
      parsed = parseErrorBody(await response.json());
    } catch {
      // not JSON: keep the status line
    }
    throw new SurveylabAPIError({
      status: response.status,
      url,
      message:
        parsed?.message ??
        `The surveylab server answered HTTP ${response.status}`,
      reason: parsed?.reason ?? null,
      body: parsed
    });
  }
  return response.blob();
}

/**
 * A short title for a target: an id or name as given, a position in
 * degrees, or a row's id (else its position).
 */
export function targetTitle(target: ChartTarget): string {
  if (typeof target === 'number' || typeof target === 'string') {
    return String(target);
  }
  if (Array.isArray(target)) {
    return target.map(value => value.toFixed(5)).join(' ');
  }
  const row = target;
  const id = row.COADD_OBJECT_ID ?? row.coadd_object_id;
  if (typeof id === 'number' || typeof id === 'string') {
    return String(id);
  }
  return `${Number(row.RA).toFixed(5)} ${Number(row.DEC).toFixed(5)}`;
}

/**
 * The target of a query result's row: the row as `{COLUMN: value}` when it
 * has RA and DEC columns (any case; an id and magnitudes travel with it),
 * else `null`.
 */
export function rowTarget(
  columns: readonly string[],
  values: readonly unknown[]
): Record<string, unknown> | null {
  const row: Record<string, unknown> = {};
  columns.forEach((name, index) => {
    const upper = name.toUpperCase();
    if (
      upper === 'RA' ||
      upper === 'DEC' ||
      upper === 'COADD_OBJECT_ID' ||
      upper.startsWith('MAG_AUTO_')
    ) {
      row[upper] = values[index];
    }
  });
  return typeof row.RA === 'number' && typeof row.DEC === 'number' ? row : null;
}

/**
 * What a cutout's finding chart is of: the object id it was asked by (as
 * digits: an id may pass 2^53), else its position; null for neither.
 */
export function cutoutTarget(item: {
  id: number | null;
  ra: number | null;
  dec: number | null;
}): ChartTarget | null {
  if (item.id !== null) {
    return String(item.id);
  }
  return item.ra !== null && item.dec !== null ? [item.ra, item.dec] : null;
}
