/**
 * The query endpoints of the surveylab REST API, typed (see `openapi.yaml`):
 * quick queries, check, explain, the schema and the examples.
 */
import { requestAPI } from '../request';

/** One column of a quick result (`ResultColumn`). */
export interface IResultColumn {
  name: string;
  /** The Arrow type, e.g. `double`, `float`, `int64`, `string`. */
  type: string;
  unit: string;
  ucd: string;
  description: string;
  /** The name the query gave the column: a repeated name is renamed (`RA`, `RA_2`). */
  original_name?: string;
}

/** The answer of `POST /query` (`QuickResult`). */
export interface IQuickResult {
  query: string;
  sql: string;
  columns: IResultColumn[];
  /** Rows as arrays in column order; NULL (and NaN) is `null`. */
  rows: unknown[][];
  row_count: number;
  truncated: boolean;
  /** Seconds. */
  elapsed: number;
}

/** The answer of `POST /query/check`. */
export interface ICheckResult {
  valid: true;
  sql: string;
  tables: string[];
}

/** One table as listed by `GET /tables`. */
export interface ITableSummary {
  name: string;
  description: string;
  rows: number | null;
}

/** One column of a catalog table (`Column`). */
export interface ITableColumn {
  name: string;
  datatype: string;
  unit: string;
  ucd: string;
  description: string;
}

/** `GET /tables/{name}`. */
export interface ITableDetail extends ITableSummary {
  columns: ITableColumn[];
}

/** Run a quick query (row cap and time limit: the server's unless given). */
export function quickQuery(
  sql: string,
  options: { maxRows?: number; timeout?: number } = {}
): Promise<IQuickResult> {
  const body: Record<string, unknown> = { sql };
  if (options.maxRows !== undefined) {
    body.max_rows = options.maxRows;
  }
  if (options.timeout !== undefined) {
    body.timeout = options.timeout;
  }
  return requestAPI<IQuickResult>('query', {
    method: 'POST',
    body: JSON.stringify(body)
  });
}

/** Check a query's syntax without running it. */
export function checkQuery(sql: string): Promise<ICheckResult> {
  return requestAPI<ICheckResult>('query/check', {
    method: 'POST',
    body: JSON.stringify({ sql })
  });
}

/** The backend's execution plan of a query, as text. */
export async function explainQuery(sql: string): Promise<string> {
  const answer = await requestAPI<{ plan: string }>('query/explain', {
    method: 'POST',
    body: JSON.stringify({ sql })
  });
  return answer.plan;
}

/** The release's tables. */
export async function listTables(): Promise<ITableSummary[]> {
  const answer = await requestAPI<{ tables: ITableSummary[] }>('tables');
  return answer.tables;
}

/** One table with its columns. */
export function getTable(name: string): Promise<ITableDetail> {
  return requestAPI<ITableDetail>(`tables/${encodeURIComponent(name)}`);
}

/** The raw body of `GET /examples` (see `parseExamples`). */
export function fetchExamples(): Promise<unknown> {
  return requestAPI<unknown>('examples');
}
