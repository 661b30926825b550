import type { IJob, IJobRequest } from '../src/jobs-api';
import { SurveylabAPIError } from '../src/request';
import type { ICheckResult } from '../src/query/api';
import { QueryModel, queryError } from '../src/query/model';
import type { IQueryBackend, QueryState } from '../src/query/model';

const RESULT = {
  query: 'SELECT RA FROM DR1_MAIN',
  sql: 'SELECT RA FROM DR1_MAIN',
  columns: [
    { name: 'RA', type: 'double', unit: 'deg', ucd: '', description: '' }
  ],
  rows: [[323.36]],
  row_count: 1,
  truncated: false,
  elapsed: 0.02
};

const JOB: IJob = {
  id: 'abc123',
  type: 'query',
  name: 'm2',
  phase: 'QUEUED',
  created: '2026-11-22T05:00:00Z',
  destruction: '2026-12-06T05:00:00Z',
  progress: 0,
  rows: 0,
  files: []
};

const syntaxError = new SurveylabAPIError({
  status: 400,
  url: 'query',
  message: "syntax error near 'DR1_MAIN' (line 2, column 6)",
  reason: 'Bad Request',
  body: { message: "syntax error near 'DR1_MAIN'", line: 2, column: 6 }
});

function backend(overrides: Partial<IQueryBackend> = {}): IQueryBackend {
  return {
    quick: () => Promise.resolve(RESULT),
    check: () =>
      Promise.resolve<ICheckResult>({
        valid: true,
        sql: 'SELECT 1',
        tables: []
      }),
    explain: () => Promise.resolve('PROJECTION'),
    submit: () => Promise.resolve(JOB),
    ...overrides
  };
}

function kinds(model: QueryModel): string[] {
  const seen: string[] = [];
  model.stateChanged.connect((_, state: QueryState) => seen.push(state.kind));
  return seen;
}

describe('QueryModel', () => {
  it('runs a quick query: running, then the result', async () => {
    const model = new QueryModel(backend());
    const seen = kinds(model);
    const state = await model.quick('SELECT RA FROM DR1_MAIN');
    expect(seen).toEqual(['running', 'result']);
    expect(state.kind === 'result' && state.result.rows).toEqual([[323.36]]);
  });

  it('passes the row cap and time limit', async () => {
    const quick = jest.fn(() => Promise.resolve(RESULT));
    const model = new QueryModel(backend({ quick }));
    await model.quick('SELECT 1', { maxRows: 5, timeout: 2 });
    expect(quick).toHaveBeenCalledWith('SELECT 1', { maxRows: 5, timeout: 2 });
  });

  it('keeps the line and column of a syntax error', async () => {
    const model = new QueryModel(
      backend({ quick: () => Promise.reject(syntaxError) })
    );
    const state = await model.quick('SELECT *\nFORM DR1_MAIN');
    expect(state).toEqual({
      kind: 'error',
      error: {
        action: 'quick',
        message: "syntax error near 'DR1_MAIN' (line 2, column 6)",
        detail: 'HTTP 400 (Bad Request)',
        line: 2,
        column: 6
      }
    });
  });

  it('refuses an empty query without asking the server', async () => {
    const quick = jest.fn(() => Promise.resolve(RESULT));
    const model = new QueryModel(backend({ quick }));
    const state = await model.quick('  \n ');
    expect(quick).not.toHaveBeenCalled();
    expect(state.kind === 'error' && state.error.message).toMatch(/empty/);
  });

  it('turns a malformed answer into an error', async () => {
    const model = new QueryModel(
      backend({ quick: () => Promise.resolve({ rows: [] }) })
    );
    const state = await model.quick('SELECT 1');
    expect(state.kind === 'error' && state.error.message).toMatch(
      /columns must be an array/
    );
  });

  it('checks, explains and submits', async () => {
    const submit = jest.fn((request: IJobRequest) =>
      Promise.resolve({ ...JOB, name: request.name ?? JOB.name })
    );
    const model = new QueryModel(backend({ submit }));
    expect((await model.check('SELECT 1')).kind).toBe('checked');
    expect(await model.explain('SELECT 1')).toEqual({
      kind: 'plan',
      plan: 'PROJECTION'
    });
    const request: IJobRequest = {
      type: 'query',
      sql: 'SELECT 1',
      format: 'fits'
    };
    expect(await model.submit(request)).toEqual({
      kind: 'submitted',
      job: JOB
    });
    expect(submit).toHaveBeenCalledWith(request);
  });

  it('keeps only the answer of the latest action', async () => {
    let release!: (value: unknown) => void;
    const slow = new Promise(resolve => {
      release = resolve;
    });
    const model = new QueryModel(
      backend({
        quick: sql => (sql === 'slow' ? slow : Promise.resolve(RESULT))
      })
    );
    const first = model.quick('slow');
    await model.explain('SELECT 1');
    release(RESULT);
    await first;
    expect(model.state.kind).toBe('plan');
  });
});

describe('queryError', () => {
  it('describes a plain error with no place', () => {
    expect(queryError('check', new Error('boom'))).toEqual({
      action: 'check',
      message: 'boom',
      detail: '',
      line: null,
      column: null
    });
  });
});
