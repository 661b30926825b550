import { jobSubmitted, submitJob } from '../src/jobs-api';
import type { IJob } from '../src/jobs-api';
import { SurveylabAPIError } from '../src/request';

import { fakeServer } from './fake-server';

const JOB = {
  id: 'a1b2c3',
  type: 'query',
  name: 'm2',
  phase: 'QUEUED',
  created: '2026-11-22T05:00:00Z',
  destruction: '2026-12-06T05:00:00Z',
  progress: 0,
  rows: 0,
  files: []
};

describe('submitJob', () => {
  it('posts the request and tells jobSubmitted of the new job', async () => {
    const { settings, requests } = fakeServer({
      status: 201,
      body: JSON.stringify(JOB)
    });
    const seen: IJob[] = [];
    const listen = (_: unknown, job: IJob) => seen.push(job);
    jobSubmitted.connect(listen);
    try {
      const job = await submitJob({ type: 'query', sql: 'SELECT 1' }, settings);
      expect(job.id).toBe('a1b2c3');
      expect(seen.map(j => j.id)).toEqual(['a1b2c3']);
      expect(requests[0].method).toBe('POST');
      expect(await requests[0].json()).toEqual({
        type: 'query',
        sql: 'SELECT 1'
      });
    } finally {
      jobSubmitted.disconnect(listen);
    }
  });

  it('emits nothing when the server refuses the job', async () => {
    const { settings } = fakeServer({
      status: 400,
      body: JSON.stringify({ message: 'xsize must be 0.1 to 12 arcmin' })
    });
    const seen: IJob[] = [];
    const listen = (_: unknown, job: IJob) => seen.push(job);
    jobSubmitted.connect(listen);
    try {
      await expect(submitJob({ type: 'cutout' }, settings)).rejects.toThrow(
        SurveylabAPIError
      );
      expect(seen).toEqual([]);
    } finally {
      jobSubmitted.disconnect(listen);
    }
  });
});
