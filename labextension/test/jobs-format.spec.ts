// Local times are checked in UTC (Node reads TZ when a Date first needs it).
process.env.TZ = 'UTC';

import type { IJob } from '../src/jobs-api';
import { makeJob } from './job-fixture';
import {
  UNKNOWN,
  finishedNotice,
  formatBytes,
  formatDuration,
  formatExpiry,
  formatTimestamp,
  percent,
  phaseLabel,
  summarizeOutcome
} from '../src/jobs/format';

const FILE = { name: 'result.fits', size: 2880 };

describe('formatDuration', () => {
  it.each<[number | null | undefined, string]>([
    [null, UNKNOWN],
    [undefined, UNKNOWN],
    [-1, UNKNOWN],
    [Number.NaN, UNKNOWN],
    [0, '0.0 s'],
    [0.44, '0.4 s'],
    [9.94, '9.9 s'],
    [12.4, '12 s'],
    [59.4, '59 s'],
    [60, '1 min'],
    [125, '2 min 5 s'],
    [3599, '59 min 59 s'],
    [3600, '1 h'],
    [3780, '1 h 3 min'],
    [90_000, '25 h']
  ])('%p s → %p', (seconds, expected) => {
    expect(formatDuration(seconds)).toBe(expected);
  });
});

describe('formatBytes', () => {
  it.each<[number, string]>([
    [0, '0 B'],
    [812, '812 B'],
    [1024, '1.0 KB'],
    [1536, '1.5 KB'],
    [20 * 1024, '20 KB'],
    [23.4 * 1024 * 1024, '23 MB'],
    [3 * 1024 ** 3, '3.0 GB'],
    [-1, UNKNOWN]
  ])('%p → %p', (bytes, expected) => {
    expect(formatBytes(bytes)).toBe(expected);
  });
});

describe('formatTimestamp', () => {
  it.each<[string | null | undefined, string]>([
    ['2026-11-22T14:05:09+00:00', '2026-11-22 14:05'],
    ['2026-11-22T14:05:09+02:00', '2026-11-22 12:05'],
    ['2026-01-02T03:04:05Z', '2026-01-02 03:04'],
    [null, UNKNOWN],
    ['', UNKNOWN],
    ['not a time', UNKNOWN]
  ])('%p → %p', (iso, expected) => {
    expect(formatTimestamp(iso)).toBe(expected);
  });
});

describe('formatExpiry', () => {
  const now = new Date('2026-11-22T10:00:00Z');
  it.each<[string, string]>([
    ['2026-12-06T10:00:00Z', 'in 14 days'],
    ['2026-12-06T09:59:50Z', 'in 14 days'],
    ['2026-12-05T21:00:00Z', 'in 13 days'],
    ['2026-11-24T10:00:00Z', 'in 2 days'],
    ['2026-11-24T09:59:00Z', 'in 47 h'],
    ['2026-11-22T15:30:00Z', 'in 5 h'],
    ['2026-11-22T10:20:30Z', 'in 20 min'],
    ['2026-11-22T10:00:30Z', 'in under a minute'],
    ['2026-11-22T10:00:00Z', 'expired'],
    ['2026-11-21T10:00:00Z', 'expired'],
    ['garbage', UNKNOWN]
  ])('%p → %p', (destruction, expected) => {
    expect(formatExpiry(destruction, now)).toBe(expected);
  });
});

describe('phaseLabel and percent', () => {
  it.each<[IJob['phase'], string]>([
    ['PENDING', 'Pending'],
    ['QUEUED', 'Queued'],
    ['EXECUTING', 'Running'],
    ['COMPLETED', 'Completed'],
    ['ERROR', 'Failed'],
    ['ABORTED', 'Cancelled'],
    ['ARCHIVED', 'Archived']
  ])('%s is shown as %s', (phase, label) => {
    expect(phaseLabel(phase)).toBe(label);
  });

  it.each<[number, number]>([
    [0, 0],
    [0.256, 26],
    [1, 100],
    [1.5, 100],
    [-0.2, 0],
    [Number.NaN, 0]
  ])('progress %p is %p %%', (progress, expected) => {
    expect(percent(progress)).toBe(expected);
  });
});

describe('summarizeOutcome', () => {
  it.each<[string, IJob, string]>([
    [
      'a completed query',
      makeJob('a', { rows: 1234, files: [FILE] }),
      '1,234 rows, 1 file'
    ],
    [
      'a completed query of one row',
      makeJob('a', { rows: 1, files: [FILE, FILE] }),
      '1 row, 2 files'
    ],
    [
      'a completed cutout job',
      makeJob('a', { type: 'cutout', files: [FILE, FILE, FILE] }),
      '3 files'
    ],
    [
      'a failure with its error',
      makeJob('a', { phase: 'ERROR', error: 'Catalog error: no table X' }),
      'Catalog error: no table X'
    ],
    [
      'a failure with only a message',
      makeJob('a', { phase: 'ERROR', error: null, message: 'worker died' }),
      'worker died'
    ],
    ['a bare failure', makeJob('a', { phase: 'ERROR' }), 'Failed'],
    ['a cancelled job', makeJob('a', { phase: 'ABORTED' }), 'Cancelled'],
    [
      'a cancelled cutout job keeps its files',
      makeJob('a', { phase: 'ABORTED', files: [FILE, FILE] }),
      'Cancelled; 2 files kept'
    ],
    [
      'a running job shows its message',
      makeJob('a', { phase: 'EXECUTING', message: '120 of 400 positions' }),
      '120 of 400 positions'
    ]
  ])('%s', (_, job, expected) => {
    expect(summarizeOutcome(job)).toBe(expected);
  });
});

describe('finishedNotice', () => {
  it.each<[string, IJob[], ReturnType<typeof finishedNotice>]>([
    [
      'one completed',
      [makeJob('a1', { name: 'm2', rows: 5, files: [FILE] })],
      {
        message: 'Job "m2" completed: 5 rows, 1 file.',
        type: 'success',
        jobId: 'a1'
      }
    ],
    [
      'one failed',
      [makeJob('a1', { name: 'm2', phase: 'ERROR', error: 'boom' })],
      { message: 'Job "m2" failed: boom', type: 'error', jobId: 'a1' }
    ],
    [
      'one cancelled',
      [makeJob('a1', { name: 'm2', phase: 'ABORTED' })],
      { message: 'Job "m2" was cancelled.', type: 'info', jobId: 'a1' }
    ],
    [
      'several, one failed',
      [
        makeJob('a'),
        makeJob('b', { phase: 'ERROR' }),
        makeJob('c'),
        makeJob('d', { phase: 'ABORTED' })
      ],
      {
        message: '4 jobs finished: 2 completed, 1 failed, 1 cancelled.',
        type: 'error',
        jobId: null
      }
    ],
    [
      'several completed',
      [makeJob('a'), makeJob('b')],
      { message: '2 jobs finished: 2 completed.', type: 'success', jobId: null }
    ]
  ])('%s', (_, jobs, expected) => {
    expect(finishedNotice(jobs)).toEqual(expected);
  });

  it('shortens a long error', () => {
    const notice = finishedNotice([
      makeJob('a', { phase: 'ERROR', error: 'x'.repeat(500) })
    ]);
    expect(notice.message.length).toBeLessThan(250);
    expect(notice.message.endsWith('…')).toBe(true);
  });
});
