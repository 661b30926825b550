/**
 * Pure formatting helpers for the Survey panel (no DOM, no React).
 */
import { SurveylabAPIError } from './request';
import type { ISurveyTable } from './types';

/** Shown where a number is unknown. */
export const UNKNOWN = '\u2014';

const integerFormat = new Intl.NumberFormat('en-US', {
  maximumFractionDigits: 0
});

/**
 * Format a row count with thousands separators (`1234567` → `"1,234,567"`).
 *
 * `null` (the backend does not know) and non-finite or negative numbers give
 * {@link UNKNOWN}.
 */
export function formatRows(rows: number | null): string {
  if (rows === null || !Number.isFinite(rows) || rows < 0) {
    return UNKNOWN;
  }
  return integerFormat.format(rows);
}

/**
 * Order two tables by row count, smallest first, unknown counts last.
 */
export function compareRows(a: ISurveyTable, b: ISurveyTable): number {
  if (a.rows === b.rows) {
    return 0;
  }
  if (a.rows === null) {
    return 1;
  }
  if (b.rows === null) {
    return -1;
  }
  return a.rows - b.rows;
}

function plural(count: number, word: string): string {
  return `${integerFormat.format(count)} ${word}${count === 1 ? '' : 's'}`;
}

/**
 * A one-line summary of the release's tables, e.g. `"3 tables, 1,234 rows"`.
 *
 * When some row counts are unknown the known ones give a lower bound
 * (`"3 tables, at least 1,234 rows"`); when none is known only the tables are
 * counted.
 */
export function summarizeTables(tables: readonly ISurveyTable[]): string {
  if (tables.length === 0) {
    return 'No tables';
  }
  const known = tables
    .map(table => table.rows)
    .filter((rows): rows is number => rows !== null && rows >= 0);
  const head = plural(tables.length, 'table');
  if (known.length === 0) {
    return head;
  }
  const total = known.reduce((sum, rows) => sum + rows, 0);
  const bound = known.length < tables.length ? 'at least ' : '';
  return `${head}, ${bound}${plural(total, 'row')}`;
}

/**
 * What the panel shows for an error: the message, and a detail line.
 */
export interface IErrorView {
  /** The message for the user: the server's own `message` when it sent one. */
  message: string;
  /** e.g. `"HTTP 503 (backend_unavailable)"`, or `""` when nothing to add. */
  detail: string;
  /** The HTTP status, 0 when the server was not reached, `null` if no HTTP. */
  status: number | null;
}

/**
 * Turn anything thrown while loading into what the panel shows.
 */
export function describeError(error: unknown): IErrorView {
  if (error instanceof SurveylabAPIError) {
    const detail =
      error.status === 0
        ? 'No answer from the server'
        : `HTTP ${error.status}${error.reason ? ` (${error.reason})` : ''}`;
    return { message: error.message, detail, status: error.status };
  }
  if (error instanceof Error) {
    return { message: error.message || error.name, detail: '', status: null };
  }
  return { message: String(error), detail: '', status: null };
}
