/**
 * A quick result as the grid shows it: typed columns, a sort order, cell
 * text, CSV export and a one-line summary. Pure: no DOM, no Lumino.
 */
import type { IQuickResult, IResultColumn } from './api';

/** How a column's values compare and show. */
export type ColumnKind = 'number' | 'boolean' | 'text';

/** What the grid shows for NULL (and NaN, which the server sends as null). */
export const NULL_TEXT = 'NULL';

const NUMERIC_TYPE =
  /^(u?int(8|16|32|64)|halffloat|float(16|32|64)?|double|decimal(128|256)?\b.*)$/;

/** The kind of an Arrow type name (`double` and `int64` are numbers). */
export function columnKind(arrowType: string): ColumnKind {
  const type = arrowType.trim().toLowerCase();
  if (NUMERIC_TYPE.test(type)) {
    return 'number';
  }
  if (type === 'bool' || type === 'boolean') {
    return 'boolean';
  }
  return 'text';
}

/** The sort of the grid: a column and a direction, or none (server order). */
export interface ISortState {
  column: number;
  descending: boolean;
}

/**
 * The sort after a click on a column's header: ascending, then descending,
 * then back to the server's order; another column starts ascending.
 */
export function nextSort(
  current: ISortState | null,
  column: number
): ISortState | null {
  if (current?.column !== column) {
    return { column, descending: false };
  }
  return current.descending ? null : { column, descending: true };
}

/** A column's header text with the sort's arrow when it is sorted by. */
export function sortedHeader(
  column: Pick<IResultColumn, 'name' | 'unit'>,
  index: number,
  sort: ISortState | null
): string {
  const arrow =
    sort?.column === index ? (sort.descending ? ' \u25BC' : ' \u25B2') : '';
  return columnHeader(column) + arrow;
}

function compareValues(a: unknown, b: unknown, kind: ColumnKind): number {
  if (kind === 'number' || kind === 'boolean') {
    const x = Number(a);
    const y = Number(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) {
      return x - y;
    }
  }
  const x = typeof a === 'string' ? a : JSON.stringify(a);
  const y = typeof b === 'string' ? b : JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The order in which to show the rows: indices into `rows`.
 *
 * Numbers sort numerically, text by code point; NULLs go last in either
 * direction; equal values keep the server's order (the sort is stable).
 */
export function sortOrder(
  rows: readonly (readonly unknown[])[],
  kind: ColumnKind,
  sort: ISortState | null
): number[] {
  const order = rows.map((_, index) => index);
  if (sort === null) {
    return order;
  }
  const sign = sort.descending ? -1 : 1;
  const column = sort.column;
  order.sort((i, j) => {
    const a = rows[i][column];
    const b = rows[j][column];
    const aNull = a === null || a === undefined;
    const bNull = b === null || b === undefined;
    if (aNull || bNull) {
      return aNull === bNull ? i - j : aNull ? 1 : -1;
    }
    return sign * compareValues(a, b, kind) || i - j;
  });
  return order;
}

/** The text of one cell: {@link NULL_TEXT} for NULL, values as JSON gives them. */
export function cellText(value: unknown): string {
  if (value === null || value === undefined) {
    return NULL_TEXT;
  }
  if (typeof value === 'string') {
    return value;
  }
  if (
    typeof value === 'number' ||
    typeof value === 'boolean' ||
    typeof value === 'bigint'
  ) {
    return String(value);
  }
  return JSON.stringify(value);
}

/** One CSV field (RFC 4180): quoted when it holds a comma, quote or line break. */
export function csvField(value: unknown): string {
  if (value === null || value === undefined) {
    return '';
  }
  const text = cellText(value);
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/**
 * The rows in `order` as CSV: a header of column names, then one line per
 * row; NULL is an empty field. Lines end with CRLF, as RFC 4180 says.
 */
export function toCSV(
  columns: readonly Pick<IResultColumn, 'name'>[],
  rows: readonly (readonly unknown[])[],
  order: readonly number[] = rows.map((_, index) => index)
): string {
  const lines = [columns.map(column => csvField(column.name)).join(',')];
  for (const index of order) {
    lines.push(rows[index].map(csvField).join(','));
  }
  return lines.join('\r\n') + '\r\n';
}

const countFormat = new Intl.NumberFormat('en-US');

/**
 * A one-line summary of a result, e.g. `"1,234 rows in 0.12 s"`, or
 * `"10,000 rows (truncated: the query has more) in 1.5 s"`.
 */
export function summarizeResult(
  result: Pick<IQuickResult, 'row_count' | 'truncated' | 'elapsed'>
): string {
  const rows = `${countFormat.format(result.row_count)} row${result.row_count === 1 ? '' : 's'}`;
  const truncated = result.truncated ? ' (truncated: the query has more)' : '';
  return `${rows}${truncated} in ${formatSeconds(result.elapsed)}`;
}

/** Seconds, short: `"12 ms"`, `"1.25 s"`, `"75 s"`. */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) {
    return '?';
  }
  if (seconds < 1) {
    return `${Math.round(seconds * 1000)} ms`;
  }
  if (seconds < 10) {
    return `${seconds.toFixed(2)} s`;
  }
  return `${Math.round(seconds)} s`;
}

/** A column's header text: its name, and its unit in brackets when it has one. */
export function columnHeader(
  column: Pick<IResultColumn, 'name' | 'unit'>
): string {
  return column.unit ? `${column.name} [${column.unit}]` : column.name;
}

/**
 * Thrown by {@link parseQuickResult} for an answer that breaks the contract.
 */
export class QuickResultFormatError extends TypeError {
  constructor(message: string) {
    super(`The server's query result is malformed: ${message}`);
    this.name = 'QuickResultFormatError';
  }
}

/**
 * Check a `POST /query` answer's shape (columns, rows as arrays of the
 * columns' width) and return it typed.
 *
 * @throws {QuickResultFormatError} naming what is wrong.
 */
export function parseQuickResult(data: unknown): IQuickResult {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new QuickResultFormatError('the body must be a JSON object');
  }
  const record = data as Record<string, unknown>;
  if (!Array.isArray(record.columns)) {
    throw new QuickResultFormatError('columns must be an array');
  }
  const columns = record.columns.map((value: unknown, index): IResultColumn => {
    const column = (value ?? {}) as Record<string, unknown>;
    if (typeof column.name !== 'string') {
      throw new QuickResultFormatError(
        `columns[${index}].name must be a string`
      );
    }
    const text = (key: string): string =>
      typeof column[key] === 'string' ? column[key] : '';
    return {
      name: column.name,
      type: text('type'),
      unit: text('unit'),
      ucd: text('ucd'),
      description: text('description'),
      original_name: text('original_name') || column.name
    };
  });
  if (!Array.isArray(record.rows)) {
    throw new QuickResultFormatError('rows must be an array');
  }
  const rows = record.rows as unknown[];
  rows.forEach((row, index) => {
    if (!Array.isArray(row) || row.length !== columns.length) {
      throw new QuickResultFormatError(
        `rows[${index}] must be an array of ${columns.length} values`
      );
    }
  });
  return {
    query: typeof record.query === 'string' ? record.query : '',
    sql: typeof record.sql === 'string' ? record.sql : '',
    columns,
    rows: rows as unknown[][],
    row_count:
      typeof record.row_count === 'number' ? record.row_count : rows.length,
    truncated: record.truncated === true,
    elapsed: typeof record.elapsed === 'number' ? record.elapsed : Number.NaN
  };
}
