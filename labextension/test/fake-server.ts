/** A fake jupyter server for request tests: settings whose fetch answers once. */
import { ServerConnection } from '@jupyterlab/services';

/** The base URL of the fake lab. */
export const BASE_URL = 'http://lab.test/user/ana/';

export interface IFakeAnswer {
  status?: number;
  statusText?: string;
  body?: string;
  contentType?: string;
}

/** Server settings whose fetch answers once with `answer` and records calls. */
export function fakeServer(answer: IFakeAnswer | Error) {
  const requests: Request[] = [];
  const fetch = (input: RequestInfo, init?: RequestInit): Promise<Response> => {
    requests.push(new Request(input, init));
    if (answer instanceof Error) {
      return Promise.reject(answer);
    }
    const status = answer.status ?? 200;
    const body = status === 204 ? null : (answer.body ?? '');
    return Promise.resolve(
      new Response(body, {
        status,
        statusText: answer.statusText ?? '',
        headers: { 'Content-Type': answer.contentType ?? 'application/json' }
      })
    );
  };
  const settings = ServerConnection.makeSettings({
    baseUrl: BASE_URL,
    token: '',
    fetch
  });
  return { settings, requests };
}
