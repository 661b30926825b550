import {
  UNKNOWN,
  compareRows,
  describeError,
  formatRows,
  summarizeTables
} from '../src/format';
import { SurveylabAPIError } from '../src/request';
import type { ISurveyTable } from '../src/types';

function table(name: string, rows: number | null): ISurveyTable {
  return { name, rows, description: `The ${name} table` };
}

describe('formatRows', () => {
  it.each<[number | null, string]>([
    [0, '0'],
    [7, '7'],
    [1234, '1,234'],
    [691483608, '691,483,608'],
    [null, UNKNOWN],
    [Number.NaN, UNKNOWN],
    [Number.POSITIVE_INFINITY, UNKNOWN],
    [-1, UNKNOWN]
  ])('%p → %p', (rows, expected) => {
    expect(formatRows(rows)).toBe(expected);
  });

  it('shows unknown as an em dash', () => {
    expect(UNKNOWN).toBe('\u2014');
  });
});

describe('compareRows', () => {
  it('sorts by row count with unknown counts last', () => {
    const tables = [
      table('a', null),
      table('b', 10),
      table('c', 2),
      table('d', null),
      table('e', 10)
    ];
    expect([...tables].sort(compareRows).map(t => t.name)).toEqual([
      'c',
      'b',
      'e',
      'a',
      'd'
    ]);
  });
});

describe('summarizeTables', () => {
  it.each<[string, ISurveyTable[], string]>([
    ['no tables', [], 'No tables'],
    ['one table of one row', [table('a', 1)], '1 table, 1 row'],
    [
      'all counts known',
      [table('a', 1000), table('b', 234)],
      '2 tables, 1,234 rows'
    ],
    [
      'some counts unknown',
      [table('a', 1000), table('b', null)],
      '2 tables, at least 1,000 rows'
    ],
    [
      'no count known',
      [table('a', null), table('b', null), table('c', null)],
      '3 tables'
    ],
    ['zero rows', [table('a', 0)], '1 table, 0 rows']
  ])('%s', (_, tables, expected) => {
    expect(summarizeTables(tables)).toBe(expected);
  });
});

describe('describeError', () => {
  const url = 'http://lab.test/surveylab/api/info';

  it.each<[string, unknown, ReturnType<typeof describeError>]>([
    [
      'an HTTP error with a reason',
      new SurveylabAPIError({
        status: 503,
        url,
        message: 'Backend down',
        reason: 'backend_unavailable'
      }),
      {
        message: 'Backend down',
        detail: 'HTTP 503 (backend_unavailable)',
        status: 503
      }
    ],
    [
      'an HTTP error without a reason',
      new SurveylabAPIError({ status: 500, url, message: 'Oops' }),
      { message: 'Oops', detail: 'HTTP 500', status: 500 }
    ],
    [
      'an unreachable server',
      new SurveylabAPIError({
        status: 0,
        url,
        message: 'Cannot reach the surveylab server: x'
      }),
      {
        message: 'Cannot reach the surveylab server: x',
        detail: 'No answer from the server',
        status: 0
      }
    ],
    [
      'any Error',
      new TypeError('bad'),
      { message: 'bad', detail: '', status: null }
    ],
    ['a thrown string', 'weird', { message: 'weird', detail: '', status: null }]
  ])('%s', (_, error, expected) => {
    expect(describeError(error)).toEqual(expected);
  });
});
