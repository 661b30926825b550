import type { IPartStatus, IStatusReport } from '../src/status/model';
import { partNotice, StatusModel, summaryText } from '../src/status/model';

function part(
  name: IPartStatus['name'],
  state: IPartStatus['state'],
  extra: Partial<IPartStatus> = {}
): IPartStatus {
  return {
    name,
    label: name,
    state,
    checked_at: new Date().toISOString(),
    latency: 0.01,
    detail: 'fine',
    error: null,
    queued: null,
    running: null,
    workers: null,
    ...extra
  };
}

function report(...parts: IPartStatus[]): IStatusReport {
  const states = parts.map(p => p.state);
  const state = states.includes('down')
    ? 'down'
    : states.includes('degraded')
      ? 'degraded'
      : 'ok';
  return { state, checked_at: new Date().toISOString(), parts };
}

describe('partNotice', () => {
  it.each<[IPartStatus | null, string | null]>([
    [null, null],
    [part('catalog', 'ok'), null],
    [part('hub', 'off'), null],
    [part('catalog', 'down'), 'catalog unreachable: queries are unavailable'],
    [
      part('cutouts', 'down'),
      'cutout executor unreachable: cutouts are unavailable'
    ],
    [
      part('catalog', 'degraded', { detail: 'slow: answered in 3.0 s' }),
      'catalog degraded (slow: answered in 3.0 s): queries may be slow'
    ]
  ])('%p', (given, expected) => {
    expect(partNotice(given)).toBe(expected);
  });
});

describe('summaryText', () => {
  it('names each part that is not well', () => {
    const shown = report(
      part('catalog', 'down'),
      part('jobs', 'ok'),
      part('cutouts', 'degraded'),
      part('hub', 'off')
    );
    expect(summaryText(shown, null)).toBe(
      'Survey: catalog down, cutout executor degraded'
    );
  });

  it.each<[IStatusReport | null, string | null, string]>([
    [report(part('catalog', 'ok'), part('hub', 'off')), null, 'Survey: OK'],
    [null, null, 'Survey: checking…'],
    [null, 'No answer from the server', 'Survey: status unknown']
  ])('%#', (given, error, expected) => {
    expect(summaryText(given, error)).toBe(expected);
  });
});

describe('StatusModel', () => {
  it('checks at once, then on demand, and keeps the last error', async () => {
    const answers: (IStatusReport | Error)[] = [
      report(part('catalog', 'ok')),
      new Error('No answer from the server'),
      report(part('catalog', 'down'))
    ];
    let calls = 0;
    const model = new StatusModel(() => {
      const next = answers[calls++];
      return next instanceof Error
        ? Promise.reject(next)
        : Promise.resolve(next);
    }, 60_000);
    await model.refresh();
    expect(model.part('catalog')?.state).toBe('ok');
    await model.refresh();
    expect(model.error).toBe('No answer from the server');
    expect(model.part('catalog')?.state).toBe('ok'); // the last report stays
    await model.refresh();
    expect(model.error).toBeNull();
    expect(partNotice(model.part('catalog'))).toBe(
      'catalog unreachable: queries are unavailable'
    );
    expect(calls).toBe(3);
    model.dispose();
  });
});
