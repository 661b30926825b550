/**
 * The query endpoints of the surveylab REST API, typed (see `openapi.yaml`):
 * quick queries, check, explain, the schema and the examples.
 */
import { requestAPI } from '../request';
import type { ResponseBody, Schemas } from '../types';

/** One column of a quick result (`ResultColumn`). */
export type IResultColumn = Schemas['ResultColumn'];

/** The answer of `POST /query` (`QuickResult`). */
export type IQuickResult = Schemas['QuickResult'];

/** The answer of `POST /query/check`. */
export type ICheckResult = Schemas['CheckResult'];

/** One table as listed by `GET /tables`. */
export type ITableSummary = Schemas['TableSummary'];

/** One column of a catalog table (`Column`). */
export type ITableColumn = Schemas['Column'];

/** `GET /tables/{name}`. */
export type ITableDetail = Schemas['TableDetail'];

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
  const answer = await requestAPI<ResponseBody<'explainQuery'>>(
    'query/explain',
    {
      method: 'POST',
      body: JSON.stringify({ sql })
    }
  );
  return answer.plan;
}

/** The release's tables. */
export async function listTables(): Promise<ITableSummary[]> {
  const answer = await requestAPI<ResponseBody<'listTables'>>('tables');
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
