import {
  SurveyInfoFormatError,
  SurveyInfoModel,
  parseSurveyInfo
} from '../src/model';
import type { SurveyInfoState } from '../src/model';
import { SurveylabAPIError } from '../src/request';

const INFO = {
  version: '0.1.0',
  release: 'DR2',
  backend: 'duckdb',
  tables: [
    {
      name: 'dr2_main',
      description: 'The main object catalog',
      rows: 691483608
    },
    { name: 'dr2_tiles', description: 'Coadd tiles', rows: null }
  ]
};

/** A promise whose settling the test controls. */
function deferred<T>() {
  let resolve!: (value: T) => void;
  let reject!: (reason: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

function recordStates(model: SurveyInfoModel): string[] {
  const seen: string[] = [];
  model.stateChanged.connect((_, state: SurveyInfoState) => {
    seen.push(state.status);
  });
  return seen;
}

describe('parseSurveyInfo', () => {
  it('accepts the contract and drops unknown fields', () => {
    const parsed = parseSurveyInfo({
      ...INFO,
      extra: true,
      tables: [{ ...INFO.tables[0], x: 1 }]
    });
    expect(parsed).toEqual({ ...INFO, tables: [INFO.tables[0]] });
  });

  it.each<[string, unknown, string]>([
    ['not an object', [], 'the body must be a JSON object'],
    ['no tables', { ...INFO, tables: undefined }, 'tables must be an array'],
    [
      'release missing',
      { ...INFO, release: undefined },
      'release must be a string'
    ],
    ['version a number', { ...INFO, version: 1 }, 'version must be a string'],
    [
      'table not an object',
      { ...INFO, tables: ['t'] },
      'tables[0] must be an object'
    ],
    [
      'rows a string',
      { ...INFO, tables: [INFO.tables[0], { ...INFO.tables[1], rows: '12' }] },
      'tables[1].rows must be a number or null'
    ],
    [
      'rows missing',
      { ...INFO, tables: [{ name: 't', description: '' }] },
      'tables[0].rows must be a number or null'
    ],
    [
      'table name missing',
      { ...INFO, tables: [{ description: '', rows: 1 }] },
      'tables[0].name must be a string'
    ]
  ])('rejects a body with %s', (_, body, message) => {
    expect(() => parseSurveyInfo(body)).toThrow(SurveyInfoFormatError);
    expect(() => parseSurveyInfo(body)).toThrow(message);
  });
});

describe('SurveyInfoModel', () => {
  it('starts idle', () => {
    const model = new SurveyInfoModel({
      fetchInfo: () => Promise.resolve(INFO)
    });
    expect(model.state).toEqual({ status: 'idle' });
    expect(model.info).toBeNull();
  });

  it('goes loading → ready', async () => {
    const model = new SurveyInfoModel({
      fetchInfo: () => Promise.resolve(INFO)
    });
    const seen = recordStates(model);

    await model.load();

    expect(seen).toEqual(['loading', 'ready']);
    expect(model.info).toEqual(INFO);
  });

  it('goes loading → error with the server message, and recovers on retry', async () => {
    const answers: (() => Promise<unknown>)[] = [
      () =>
        Promise.reject(
          new SurveylabAPIError({
            status: 503,
            url: 'u',
            message: 'The catalog backend is down',
            reason: 'backend_unavailable'
          })
        ),
      () => Promise.resolve(INFO)
    ];
    let call = 0;
    const model = new SurveyInfoModel({ fetchInfo: () => answers[call++]() });
    const seen = recordStates(model);

    await model.load();
    expect(model.state).toEqual({
      status: 'error',
      error: {
        message: 'The catalog backend is down',
        detail: 'HTTP 503 (backend_unavailable)',
        status: 503
      }
    });

    await model.load();
    expect(seen).toEqual(['loading', 'error', 'loading', 'ready']);
    expect(model.info?.release).toBe('DR2');
  });

  it('turns a malformed body into the error state', async () => {
    const model = new SurveyInfoModel({
      fetchInfo: () => Promise.resolve({ release: 'DR2' })
    });

    await model.load();

    expect(model.state.status).toBe('error');
    if (model.state.status === 'error') {
      expect(model.state.error.message).toMatch(/malformed/);
    }
  });

  it('keeps only the answer of the latest load', async () => {
    const first = deferred<unknown>();
    const second = deferred<unknown>();
    const pending = [first, second];
    let call = 0;
    const model = new SurveyInfoModel({
      fetchInfo: () => pending[call++].promise
    });

    const firstLoad = model.load();
    const secondLoad = model.load();
    second.resolve({ ...INFO, release: 'DR3' });
    await secondLoad;
    first.resolve(INFO);
    await firstLoad;

    expect(model.info?.release).toBe('DR3');
  });

  it('stops emitting once disposed', async () => {
    const gate = deferred<unknown>();
    const model = new SurveyInfoModel({ fetchInfo: () => gate.promise });
    const seen = recordStates(model);

    const load = model.load();
    model.dispose();
    gate.resolve(INFO);
    await load;
    await model.load();

    expect(model.isDisposed).toBe(true);
    expect(seen).toEqual(['loading']);
  });
});
