import { hasSummary, watchJob } from '../src/gallery/api';
import type { IJob, Phase } from '../src/jobs-api';

function job(phase: Phase, files: string[] = []): IJob {
  return {
    id: 'abc',
    type: 'cutout',
    name: 'm2',
    phase,
    created: '2026-11-22T05:00:00Z',
    destruction: '2026-12-06T05:00:00Z',
    progress: 0,
    rows: 0,
    files: files.map(name => ({ name, size: 1 }))
  };
}

describe('watchJob', () => {
  it('reports every record until the job ends', async () => {
    const records = [job('QUEUED'), job('EXECUTING'), job('COMPLETED')];
    const seen: Phase[] = [];
    const last = await watchJob('abc', update => seen.push(update.phase), {
      signal: new AbortController().signal,
      intervalMs: 0,
      fetchJob: () => Promise.resolve(records.shift() ?? job('ERROR'))
    });
    expect(seen).toEqual(['QUEUED', 'EXECUTING', 'COMPLETED']);
    expect(last?.phase).toBe('COMPLETED');
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const seen: Phase[] = [];
    const last = await watchJob(
      'abc',
      update => {
        seen.push(update.phase);
        controller.abort();
      },
      {
        signal: controller.signal,
        intervalMs: 60_000,
        fetchJob: () => Promise.resolve(job('EXECUTING'))
      }
    );
    expect(seen).toEqual(['EXECUTING']);
    expect(last).toBeNull();
  });

  it('passes a failed request on', async () => {
    await expect(
      watchJob('abc', () => undefined, {
        signal: new AbortController().signal,
        fetchJob: () => Promise.reject(new Error('no job abc'))
      })
    ).rejects.toThrow('no job abc');
  });
});

describe('hasSummary', () => {
  it('is whether summary.json is among the files', () => {
    expect(hasSummary(job('COMPLETED', ['a_i.fits', 'summary.json']))).toBe(
      true
    );
    expect(hasSummary(job('EXECUTING', ['a_i.fits']))).toBe(false);
  });
});
