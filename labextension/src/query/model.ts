/**
 * The query panel's state: what was asked last (quick, check, explain or a
 * job) and how it went. The requests are injected, so it runs in tests
 * without a server.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import { describeError } from '../format';
import type { IJob, IJobRequest } from '../jobs-api';
import { submitJob } from '../jobs-api';
import { SurveylabAPIError } from '../request';
import type { ICheckResult, IQuickResult } from './api';
import { checkQuery, explainQuery, quickQuery } from './api';
import { parseQuickResult } from './result';

/** The four things the panel can do with a query. */
export type QueryAction = 'quick' | 'check' | 'explain' | 'submit';

/** What went wrong, where (for syntax errors) and the HTTP detail. */
export interface IQueryError {
  action: QueryAction;
  message: string;
  /** e.g. `"HTTP 400 (Bad Request)"`, or `""`. */
  detail: string;
  line: number | null;
  column: number | null;
}

/** The state: idle, running, or the answer of the last action. */
export type QueryState =
  | { readonly kind: 'idle' }
  | { readonly kind: 'running'; readonly action: QueryAction }
  | { readonly kind: 'result'; readonly result: IQuickResult }
  | { readonly kind: 'checked'; readonly check: ICheckResult }
  | { readonly kind: 'plan'; readonly plan: string }
  | { readonly kind: 'submitted'; readonly job: IJob }
  | { readonly kind: 'error'; readonly error: IQueryError };

/** What the model calls to reach the server. */
export interface IQueryBackend {
  quick(
    sql: string,
    options: { maxRows?: number; timeout?: number }
  ): Promise<unknown>;
  check(sql: string): Promise<ICheckResult>;
  explain(sql: string): Promise<string>;
  submit(request: IJobRequest): Promise<IJob>;
}

/** The real server. */
export const SERVER_BACKEND: IQueryBackend = {
  quick: quickQuery,
  check: checkQuery,
  explain: explainQuery,
  submit: submitJob
};

/** Turn anything thrown into an {@link IQueryError}. */
export function queryError(action: QueryAction, error: unknown): IQueryError {
  const view = describeError(error);
  const body = error instanceof SurveylabAPIError ? error.body : null;
  return {
    action,
    message: view.message,
    detail: view.detail,
    line: body?.line ?? null,
    column: body?.column ?? null
  };
}

const EMPTY_QUERY =
  'The query is empty: write a SELECT (or WITH) query in the editor.';

/**
 * Runs the panel's actions one at a time and keeps the last answer.
 */
export class QueryModel {
  constructor(backend: IQueryBackend = SERVER_BACKEND) {
    this._backend = backend;
  }

  get state(): QueryState {
    return this._state;
  }

  /** Whether an action is under way. */
  get busy(): boolean {
    return this._state.kind === 'running';
  }

  /** Emitted with the new state. */
  get stateChanged(): ISignal<this, QueryState> {
    return this._stateChanged;
  }

  /** Run a quick query. */
  quick(
    sql: string,
    options: { maxRows?: number; timeout?: number } = {}
  ): Promise<QueryState> {
    return this._run('quick', sql, async () => ({
      kind: 'result',
      result: parseQuickResult(await this._backend.quick(sql, options))
    }));
  }

  /** Check the syntax. */
  check(sql: string): Promise<QueryState> {
    return this._run('check', sql, async () => ({
      kind: 'checked',
      check: await this._backend.check(sql)
    }));
  }

  /** Fetch the execution plan. */
  explain(sql: string): Promise<QueryState> {
    return this._run('explain', sql, async () => ({
      kind: 'plan',
      plan: await this._backend.explain(sql)
    }));
  }

  /** Start a job (the request carries the SQL). */
  submit(request: IJobRequest): Promise<QueryState> {
    const sql = typeof request.sql === 'string' ? request.sql : '';
    return this._run('submit', sql, async () => ({
      kind: 'submitted',
      job: await this._backend.submit(request)
    }));
  }

  /** Show an error found before any request (e.g. a bad form). */
  fail(action: QueryAction, message: string): QueryState {
    this._generation++;
    return this._set({
      kind: 'error',
      error: { action, message, detail: '', line: null, column: null }
    });
  }

  private async _run(
    action: QueryAction,
    sql: string,
    request: () => Promise<QueryState>
  ): Promise<QueryState> {
    if (sql.trim().length === 0) {
      return this.fail(action, EMPTY_QUERY);
    }
    const generation = ++this._generation;
    this._set({ kind: 'running', action });
    let next: QueryState;
    try {
      next = await request();
    } catch (error) {
      next = { kind: 'error', error: queryError(action, error) };
    }
    // A later action started meanwhile: its answer wins.
    if (generation !== this._generation) {
      return next;
    }
    return this._set(next);
  }

  private _set(state: QueryState): QueryState {
    this._state = state;
    this._stateChanged.emit(state);
    return state;
  }

  private readonly _backend: IQueryBackend;
  private _generation = 0;
  private _state: QueryState = { kind: 'idle' };
  private readonly _stateChanged = new Signal<this, QueryState>(this);
}
