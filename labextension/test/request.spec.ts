import {
  API_NAMESPACE,
  SurveylabAPIError,
  apiURL,
  parseErrorBody,
  requestAPI
} from '../src/request';

import { fakeServer } from './fake-server';
import type { IFakeAnswer } from './fake-server';

async function caught(promise: Promise<unknown>): Promise<SurveylabAPIError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SurveylabAPIError);
    return error as SurveylabAPIError;
  }
  throw new Error('expected the request to fail');
}

describe('apiURL', () => {
  it.each([
    [
      'info',
      'http://lab.test/user/ana/',
      'http://lab.test/user/ana/surveylab/api/info'
    ],
    [
      'info',
      'http://lab.test/user/ana',
      'http://lab.test/user/ana/surveylab/api/info'
    ],
    ['/info', 'http://lab.test/', 'http://lab.test/surveylab/api/info'],
    [
      'jobs?limit=5',
      'http://lab.test/',
      'http://lab.test/surveylab/api/jobs?limit=5'
    ],
    ['', 'http://lab.test/', 'http://lab.test/surveylab/api']
  ])('joins %j to base %j', (endPoint, baseUrl, expected) => {
    expect(apiURL(endPoint, { baseUrl })).toBe(expected);
  });

  it('uses the surveylab/api namespace', () => {
    expect(API_NAMESPACE).toBe('surveylab/api');
  });
});

describe('parseErrorBody', () => {
  it.each<[string, unknown, ReturnType<typeof parseErrorBody>]>([
    [
      'message only',
      { message: 'no such table' },
      { message: 'no such table' }
    ],
    [
      'message and reason',
      { message: 'down', reason: 'backend_unavailable' },
      { message: 'down', reason: 'backend_unavailable' }
    ],
    ['null reason dropped', { message: 'x', reason: null }, { message: 'x' }],
    [
      'syntax error position kept',
      { message: 'bad', reason: 'Bad Request', line: 2, column: 7 },
      { message: 'bad', reason: 'Bad Request', line: 2, column: 7 }
    ],
    [
      'unusable position dropped',
      { message: 'bad', line: null, column: 0 },
      { message: 'bad' }
    ],
    [
      'help desk field, address and wait kept',
      { message: 'm', field: 'subject', address: null, retry_after: 30 },
      { message: 'm', field: 'subject', address: null, retry_after: 30 }
    ],
    ['empty message', { message: '' }, null],
    ['message not a string', { message: 42 }, null],
    ['no message', { error: 'x' }, null],
    ['array', ['message'], null],
    ['null', null, null],
    ['string', 'message', null]
  ])('%s', (_, data, expected) => {
    expect(parseErrorBody(data)).toEqual(expected);
  });
});

describe('requestAPI', () => {
  it('GETs <baseUrl>/surveylab/api/<endPoint> and parses the JSON', async () => {
    const body = {
      version: '0.1.0',
      release: 'DR2',
      backend: 'duckdb',
      tables: []
    };
    const { settings, requests } = fakeServer({ body: JSON.stringify(body) });

    await expect(requestAPI('info', {}, settings)).resolves.toEqual(body);

    expect(requests).toHaveLength(1);
    // JupyterLab may append a cache-busting timestamp: compare the path.
    const url = new URL(requests[0].url);
    expect(url.origin + url.pathname).toBe(
      'http://lab.test/user/ana/surveylab/api/info'
    );
    expect(requests[0].method).toBe('GET');
  });

  it('passes the method and body through', async () => {
    const { settings, requests } = fakeServer({
      status: 201,
      body: '{"id":"j1"}'
    });

    const answer = await requestAPI<{ id: string }>(
      'jobs',
      { method: 'POST', body: JSON.stringify({ sql: 'SELECT 1' }) },
      settings
    );

    expect(answer.id).toBe('j1');
    expect(requests[0].method).toBe('POST');
    await expect(requests[0].text()).resolves.toBe('{"sql":"SELECT 1"}');
  });

  it('resolves an empty body (204) to undefined', async () => {
    const { settings } = fakeServer({ status: 204 });
    await expect(
      requestAPI('jobs/j1', { method: 'DELETE' }, settings)
    ).resolves.toBeUndefined();
  });

  it.each<
    [
      string,
      IFakeAnswer,
      { status: number; message: string; reason: string | null }
    ]
  >([
    [
      'the server message and reason',
      {
        status: 503,
        statusText: 'Service Unavailable',
        body: '{"message": "The catalog backend is down", "reason": "backend_unavailable"}'
      },
      {
        status: 503,
        message: 'The catalog backend is down',
        reason: 'backend_unavailable'
      }
    ],
    [
      'jupyter_server style null reason',
      {
        status: 404,
        body: '{"message": "Unknown table y6_gold", "reason": null}'
      },
      { status: 404, message: 'Unknown table y6_gold', reason: null }
    ],
    [
      'an HTML proxy page',
      {
        status: 502,
        statusText: 'Bad Gateway',
        body: '<html><body>Bad Gateway</body></html>',
        contentType: 'text/html'
      },
      {
        status: 502,
        message: 'The surveylab server answered HTTP 502 Bad Gateway',
        reason: null
      }
    ],
    [
      'JSON without a message',
      { status: 500, body: '{"error": "boom"}' },
      {
        status: 500,
        message: 'The surveylab server answered HTTP 500',
        reason: null
      }
    ],
    [
      'a good status with a body that is not JSON',
      { status: 200, body: 'hello', contentType: 'text/plain' },
      {
        status: 200,
        message: 'The surveylab server sent a response that is not JSON',
        reason: null
      }
    ]
  ])('throws SurveylabAPIError carrying %s', async (_, answer, expected) => {
    const { settings } = fakeServer(answer);

    const error = await caught(requestAPI('info', {}, settings));

    expect(error.name).toBe('SurveylabAPIError');
    expect({
      status: error.status,
      message: error.message,
      reason: error.reason
    }).toEqual(expected);
    expect(error.url).toBe('http://lab.test/user/ana/surveylab/api/info');
  });

  it('keeps the parsed error body', async () => {
    const { settings } = fakeServer({
      status: 400,
      body: '{"message": "bad radius", "reason": "bad_request"}'
    });

    const error = await caught(requestAPI('cutouts', {}, settings));

    expect(error.body).toEqual({
      message: 'bad radius',
      reason: 'bad_request'
    });
  });

  it('throws status 0 when the server cannot be reached', async () => {
    const { settings } = fakeServer(new TypeError('Failed to fetch'));

    const error = await caught(requestAPI('info', {}, settings));

    expect(error.status).toBe(0);
    expect(error.message).toMatch(/^Cannot reach the surveylab server: /);
    expect(error.body).toBeNull();
  });
});
