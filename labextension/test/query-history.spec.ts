import {
  addToHistory,
  filterHistory,
  parseHistory,
  queryTitle
} from '../src/query/history';
import type { IHistoryEntry } from '../src/query/history';

const entry = (sql: string, time = '2026-11-22T05:00:00Z'): IHistoryEntry => ({
  sql,
  time
});

describe('addToHistory', () => {
  it('puts the newest query first', () => {
    const history = addToHistory([entry('SELECT 1')], entry('SELECT 2'));
    expect(history.map(e => e.sql)).toEqual(['SELECT 2', 'SELECT 1']);
  });

  it('moves a query run again to the top instead of repeating it', () => {
    const history = addToHistory(
      [entry('SELECT 1'), entry('SELECT 2')],
      entry('  SELECT 2\n', 'later')
    );
    expect(history.map(e => e.sql)).toEqual(['  SELECT 2\n', 'SELECT 1']);
    expect(history[0].time).toBe('later');
  });

  it('keeps at most the limit, dropping the oldest', () => {
    const history = addToHistory(
      [entry('b'), entry('c'), entry('d')],
      entry('a'),
      3
    );
    expect(history.map(e => e.sql)).toEqual(['a', 'b', 'c']);
  });

  it('ignores an empty query and keeps nothing with limit 0', () => {
    expect(addToHistory([entry('a')], entry('   '))).toEqual([entry('a')]);
    expect(addToHistory([entry('a')], entry('b'), 0)).toEqual([]);
  });

  it('does not change the list it is given', () => {
    const before = [entry('a')];
    addToHistory(before, entry('b'));
    expect(before).toEqual([entry('a')]);
  });
});

describe('parseHistory', () => {
  it('reads good entries and skips broken ones', () => {
    expect(
      parseHistory([
        { sql: 'SELECT 1', time: 't1', outcome: '1 rows' },
        { sql: 3, time: 't2' },
        null,
        'SELECT 2',
        { sql: 'SELECT 3', time: 't3', outcome: 7 }
      ])
    ).toEqual([
      { sql: 'SELECT 1', time: 't1', outcome: '1 rows' },
      { sql: 'SELECT 3', time: 't3' }
    ]);
  });

  it.each([[undefined], [null], [{}], ['x']])('reads %p as empty', value => {
    expect(parseHistory(value)).toEqual([]);
  });
});

describe('queryTitle and filterHistory', () => {
  it('collapses whitespace and cuts long queries', () => {
    expect(queryTitle('SELECT RA,\n       DEC\nFROM DR1_MAIN')).toBe(
      'SELECT RA, DEC FROM DR1_MAIN'
    );
    expect(queryTitle('x'.repeat(100), 10)).toBe('xxxxxxxxx\u2026');
  });

  it('filters by text in any case', () => {
    const history = [
      entry('SELECT RA FROM DR1_MAIN'),
      entry('SELECT 1 FROM dual')
    ];
    expect(filterHistory(history, 'dr1_').map(e => e.sql)).toEqual([
      'SELECT RA FROM DR1_MAIN'
    ]);
    expect(filterHistory(history, ' ')).toHaveLength(2);
  });
});
