import type { IJob } from '../src/jobs-api';
import { makeJob } from './job-fixture';
import {
  checkJobName,
  finishedJobs,
  jobActions,
  jobFolderPath,
  jobSQL,
  moveSelection,
  neighbourAfterRemoval,
  pollDelay
} from '../src/jobs/state';
import type { ICommandAvailability } from '../src/jobs/state';

const T10 = '2026-11-22T10:00:00+00:00';
const T11 = '2026-11-22T11:00:00+00:00';
const T09 = '2026-11-22T09:00:00+00:00';

function ids(jobs: IJob[]): string[] {
  return jobs.map(job => job.id);
}

describe('finishedJobs', () => {
  it.each<[string, IJob[] | null, IJob[], string[]]>([
    [
      'first listing: nothing finished',
      null,
      [makeJob('a', { phase: 'COMPLETED' })],
      []
    ],
    [
      'running → completed',
      [makeJob('a', { phase: 'EXECUTING' })],
      [makeJob('a', { phase: 'COMPLETED' })],
      ['a']
    ],
    [
      'queued → failed',
      [makeJob('a', { phase: 'QUEUED' })],
      [makeJob('a', { phase: 'ERROR' })],
      ['a']
    ],
    [
      'pending → aborted',
      [makeJob('a', { phase: 'PENDING' })],
      [makeJob('a', { phase: 'ABORTED' })],
      ['a']
    ],
    [
      'still running',
      [makeJob('a', { phase: 'QUEUED' })],
      [makeJob('a', { phase: 'EXECUTING' })],
      []
    ],
    [
      'already completed before',
      [makeJob('a', { phase: 'COMPLETED' })],
      [makeJob('a', { phase: 'COMPLETED' })],
      []
    ],
    [
      'completed → archived is no finish',
      [makeJob('a', { phase: 'COMPLETED' })],
      [makeJob('a', { phase: 'ARCHIVED' })],
      []
    ],
    [
      'a new job that ran and ended between two polls',
      [makeJob('a', { created: T10 })],
      [
        makeJob('b', { created: T11, phase: 'COMPLETED' }),
        makeJob('a', { created: T10 })
      ],
      ['b']
    ],
    [
      'a new job after an empty list',
      [],
      [makeJob('b', { created: T11, phase: 'ERROR' })],
      ['b']
    ],
    [
      'an older job moved into the page by a deletion',
      [makeJob('a', { created: T10 })],
      [makeJob('a', { created: T10 }), makeJob('old', { created: T09 })],
      []
    ],
    [
      'a new job still running',
      [makeJob('a', { created: T10 })],
      [makeJob('b', { created: T11, phase: 'EXECUTING' })],
      []
    ],
    [
      'several at once, in list order',
      [
        makeJob('a', { phase: 'EXECUTING' }),
        makeJob('b', { phase: 'EXECUTING' }),
        makeJob('c', { phase: 'EXECUTING' })
      ],
      [
        makeJob('a', { phase: 'ERROR' }),
        makeJob('b', { phase: 'EXECUTING' }),
        makeJob('c', { phase: 'COMPLETED' })
      ],
      ['a', 'c']
    ]
  ])('%s', (_, previous, next, expected) => {
    expect(ids(finishedJobs(previous, next))).toEqual(expected);
  });
});

describe('pollDelay', () => {
  const intervals = { activeSeconds: 2, visibleSeconds: 10, idleSeconds: 60 };
  it.each<[string, IJob[] | null, boolean, number]>([
    ['before the first listing, hidden browser', null, false, 60_000],
    ['before the first listing, browser shown', null, true, 10_000],
    ['no jobs, browser closed', [], false, 60_000],
    ['only finished jobs, browser shown', [makeJob('a')], true, 10_000],
    [
      'a running job, browser closed',
      [makeJob('a'), makeJob('b', { phase: 'EXECUTING' })],
      false,
      2_000
    ],
    [
      'a queued job, browser shown',
      [makeJob('b', { phase: 'QUEUED' })],
      true,
      2_000
    ]
  ])('%s', (_, jobs, shown, expected) => {
    expect(pollDelay(jobs, shown, intervals)).toBe(expected);
  });

  it('uses the given intervals', () => {
    expect(
      pollDelay([makeJob('a', { phase: 'PENDING' })], false, {
        activeSeconds: 0.5,
        visibleSeconds: 1,
        idleSeconds: 1
      })
    ).toBe(500);
  });
});

describe('jobFolderPath', () => {
  it.each<[string | null, string, string | null]>([
    ['surveylab-jobs', 'abc123', 'surveylab-jobs/abc123'],
    ['data/surveylab-jobs/', 'abc123', 'data/surveylab-jobs/abc123'],
    ['', 'abc123', 'abc123'],
    ['.', 'abc123', 'abc123'],
    ['./jobs', 'x', 'jobs/x'],
    [null, 'abc123', null]
  ])('jobs_folder %j, job %s → %j', (folder, id, expected) => {
    expect(jobFolderPath(folder, id)).toBe(expected);
  });
});

describe('checkJobName', () => {
  it.each<[string, string, RegExp | null]>([
    ['a plain name', 'm2 stars', null],
    ['spaces around are trimmed', '  m2  ', null],
    ['128 characters', 'x'.repeat(128), null],
    ['empty', '', /cannot be empty/],
    ['only spaces', '   ', /cannot be empty/],
    [
      '129 characters',
      'x'.repeat(129),
      /at most 128 characters \(this one has 129\)/
    ],
    ['a slash', 'a/b', /cannot contain "\/"/]
  ])('%s', (_, name, problem) => {
    const result = checkJobName(name);
    if (problem === null) {
      expect(result).toBeNull();
    } else {
      expect(result).toMatch(problem);
    }
  });
});

describe('jobSQL', () => {
  it.each<[string, IJob, string | null]>([
    [
      'a query job',
      makeJob('a', { parameters: { sql: 'SELECT 2' } }),
      'SELECT 2'
    ],
    ['no parameters', makeJob('a', { parameters: undefined }), null],
    ['blank SQL', makeJob('a', { parameters: { sql: '  ' } }), null],
    ['SQL not a string', makeJob('a', { parameters: { sql: 3 } }), null],
    [
      'a cutout job',
      makeJob('a', { type: 'cutout', parameters: { sql: 'SELECT 1' } }),
      null
    ],
    [
      "an anomaly job's sample",
      makeJob('a', { type: 'anomaly', parameters: { sql: 'SELECT 3' } }),
      'SELECT 3'
    ]
  ])('%s', (_, job, expected) => {
    expect(jobSQL(job)).toBe(expected);
  });
});

describe('jobActions', () => {
  const all: ICommandAvailability = { openQuery: true, openGallery: true };
  const none: ICommandAvailability = { openQuery: false, openGallery: false };
  const file = { name: 'result.fits', size: 10 };
  it.each<[string, IJob, typeof all, string[]]>([
    [
      'a running query job',
      makeJob('a', { phase: 'EXECUTING' }),
      all,
      ['cancel', 'copyQuery', 'openFolder', 'rename', 'renew', 'delete']
    ],
    [
      'a completed query job with a file',
      makeJob('a', { files: [file] }),
      all,
      ['copyQuery', 'openFolder', 'downloadAll', 'rename', 'renew', 'delete']
    ],
    [
      'a completed query job, no query panel',
      makeJob('a', { files: [file] }),
      none,
      ['openFolder', 'downloadAll', 'rename', 'renew', 'delete']
    ],
    [
      'a cutout job with the gallery',
      makeJob('a', { type: 'cutout', parameters: {}, files: [file] }),
      all,
      ['openGallery', 'openFolder', 'downloadAll', 'rename', 'renew', 'delete']
    ],
    [
      "an anomaly job's gallery",
      makeJob('a', {
        type: 'anomaly',
        parameters: { sql: 'S' },
        files: [file]
      }),
      all,
      [
        'openGallery',
        'copyQuery',
        'openFolder',
        'downloadAll',
        'rename',
        'renew',
        'delete'
      ]
    ],
    [
      'a cutout job, no gallery',
      makeJob('a', { type: 'cutout', parameters: {}, phase: 'QUEUED' }),
      none,
      ['cancel', 'openFolder', 'rename', 'renew', 'delete']
    ],
    [
      'a failed job with the help desk form',
      makeJob('a', { phase: 'ERROR' }),
      { ...none, contactHelpDesk: true },
      ['openFolder', 'rename', 'renew', 'askHelp', 'delete']
    ],
    [
      'an archived job cannot be renewed',
      makeJob('a', { phase: 'ARCHIVED' }),
      none,
      ['openFolder', 'rename', 'delete']
    ]
  ])('%s', (_, job, commands, expected) => {
    expect(jobActions(job, commands)).toEqual(expected);
  });
});

describe('row navigation', () => {
  const list = ['a', 'b', 'c'];
  it.each<[string, string, string | null]>([
    ['the next row', 'a', 'b'],
    ['the previous row for the last', 'c', 'b'],
    ['the next for the middle', 'b', 'c'],
    ['none when unknown', 'x', null]
  ])('after removal: %s', (_, id, expected) => {
    expect(neighbourAfterRemoval(list, id)).toBe(expected);
  });

  it('after removing the only row: none', () => {
    expect(neighbourAfterRemoval(['a'], 'a')).toBeNull();
  });

  it.each<[string | null, number, string | null]>([
    ['a', 1, 'b'],
    ['c', 1, 'c'],
    ['a', -1, 'a'],
    ['b', -1, 'a'],
    [null, 1, 'a'],
    [null, -1, 'c'],
    ['gone', 1, 'a']
  ])('from %j by %d → %j', (id, step, expected) => {
    expect(moveSelection(list, id, step)).toBe(expected);
  });

  it('has nothing to move to in an empty list', () => {
    expect(moveSelection([], 'a', 1)).toBeNull();
  });
});
