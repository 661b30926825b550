import type { IJob } from '../src/jobs-api';

/** A job record: a completed query job unless `changes` say otherwise. */
export function makeJob(id: string, changes: Partial<IJob> = {}): IJob {
  return {
    id,
    type: 'query',
    name: `job ${id}`,
    phase: 'COMPLETED',
    created: '2026-11-22T10:00:00+00:00',
    destruction: '2026-12-06T10:00:00+00:00',
    progress: 1,
    rows: 0,
    files: [],
    parameters: { sql: 'SELECT 1 FROM dual' },
    ...changes
  };
}
