import {
  NULL_TEXT,
  QuickResultFormatError,
  cellText,
  columnHeader,
  columnKind,
  csvField,
  formatSeconds,
  nextSort,
  parseQuickResult,
  sortOrder,
  sortedHeader,
  summarizeResult,
  toCSV
} from '../src/query/result';

describe('columnKind', () => {
  it.each([
    ['double', 'number'],
    ['float', 'number'],
    ['int64', 'number'],
    ['uint8', 'number'],
    ['decimal128(10, 2)', 'number'],
    ['bool', 'boolean'],
    ['string', 'text'],
    ['large_string', 'text'],
    ['timestamp[us]', 'text'],
    ['date32[day]', 'text']
  ])('%s is %s', (type, kind) => {
    expect(columnKind(type)).toBe(kind);
  });
});

describe('sortOrder', () => {
  const rows = [[10], [9], [null], [100], [9.5]];

  it('keeps the server order without a sort', () => {
    expect(sortOrder(rows, 'number', null)).toEqual([0, 1, 2, 3, 4]);
  });

  it('sorts numbers numerically, not as text, NULL last', () => {
    expect(sortOrder(rows, 'number', { column: 0, descending: false })).toEqual(
      [1, 4, 0, 3, 2]
    );
  });

  it('sorts descending with NULL still last', () => {
    expect(sortOrder(rows, 'number', { column: 0, descending: true })).toEqual([
      3, 0, 4, 1, 2
    ]);
  });

  it('sorts text by code point and is stable for equal values', () => {
    const tiles = [['DES2134-0041'], ['DES0001+0001'], ['DES2134-0041'], ['A']];
    expect(sortOrder(tiles, 'text', { column: 0, descending: false })).toEqual([
      3, 1, 0, 2
    ]);
  });

  it('sorts the column it is given', () => {
    const pairs = [
      ['b', 2],
      ['a', 3],
      ['c', 1]
    ];
    expect(
      sortOrder(pairs, 'number', { column: 1, descending: false })
    ).toEqual([2, 0, 1]);
  });

  it('sorts 10,000 rows numerically', () => {
    const many = Array.from({ length: 10_000 }, (_, i) => [
      (i * 7919) % 10_007
    ]);
    const order = sortOrder(many, 'number', { column: 0, descending: false });
    const values = order.map(i => many[i][0]);
    expect(values).toEqual([...values].sort((a, b) => a - b));
  });
});

describe('header clicks', () => {
  it('cycle a column through ascending, descending and server order', () => {
    const ascending = nextSort(null, 2);
    expect(ascending).toEqual({ column: 2, descending: false });
    const descending = nextSort(ascending, 2);
    expect(descending).toEqual({ column: 2, descending: true });
    expect(nextSort(descending, 2)).toBeNull();
  });

  it('start another column ascending', () => {
    expect(nextSort({ column: 2, descending: true }, 0)).toEqual({
      column: 0,
      descending: false
    });
  });

  it('put an arrow on the sorted column only', () => {
    const ra = { name: 'RA', unit: 'deg' };
    expect(sortedHeader(ra, 1, { column: 1, descending: false })).toBe(
      'RA [deg] \u25B2'
    );
    expect(sortedHeader(ra, 1, { column: 1, descending: true })).toBe(
      'RA [deg] \u25BC'
    );
    expect(sortedHeader(ra, 1, { column: 0, descending: true })).toBe(
      'RA [deg]'
    );
    expect(sortedHeader(ra, 1, null)).toBe('RA [deg]');
  });
});

describe('cellText', () => {
  it.each([
    [null, NULL_TEXT],
    [undefined, NULL_TEXT],
    [323.36, '323.36'],
    [0, '0'],
    [false, 'false'],
    ['DES2134-0041', 'DES2134-0041'],
    [[1, 2], '[1,2]']
  ])('%p shows as %p', (value, text) => {
    expect(cellText(value)).toBe(text);
  });
});

describe('CSV export', () => {
  it.each([
    ['plain', 'plain'],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['two\nlines', '"two\nlines"'],
    [' padded', '" padded"'],
    [null, ''],
    [1.5, '1.5']
  ])('field %p is %p', (value, field) => {
    expect(csvField(value)).toBe(field);
  });

  it('writes a header and the rows in the given order, NULL empty', () => {
    const columns = [{ name: 'RA' }, { name: 'TILENAME' }];
    const rows = [
      [1, 'x'],
      [2, null],
      [3, 'a,b']
    ];
    expect(toCSV(columns, rows, [2, 0, 1])).toBe(
      'RA,TILENAME\r\n3,"a,b"\r\n1,x\r\n2,\r\n'
    );
  });

  it('writes every row in server order by default', () => {
    expect(toCSV([{ name: 'N' }], [[1], [2]])).toBe('N\r\n1\r\n2\r\n');
  });
});

describe('summaries', () => {
  it('counts rows, says when truncated, and the time', () => {
    expect(
      summarizeResult({ row_count: 1, truncated: false, elapsed: 0.0123 })
    ).toBe('1 row in 12 ms');
    expect(
      summarizeResult({ row_count: 10_000, truncated: true, elapsed: 1.5 })
    ).toBe('10,000 rows (truncated: the query has more) in 1.50 s');
  });

  it.each([
    [0.0004, '0 ms'],
    [2.345, '2.35 s'],
    [75.4, '75 s'],
    [Number.NaN, '?']
  ])('%p seconds is %p', (seconds, text) => {
    expect(formatSeconds(seconds)).toBe(text);
  });

  it('puts the unit in the header', () => {
    expect(columnHeader({ name: 'RA', unit: 'deg' })).toBe('RA [deg]');
    expect(columnHeader({ name: 'N', unit: '' })).toBe('N');
  });
});

describe('parseQuickResult', () => {
  const good = {
    query: 'SELECT RA FROM DR1_MAIN',
    sql: 'SELECT RA FROM DR1_MAIN',
    columns: [
      {
        name: 'RA',
        type: 'double',
        unit: 'deg',
        ucd: 'pos.eq.ra',
        description: '',
        original_name: 'RA'
      }
    ],
    rows: [[1.5], [null]],
    row_count: 2,
    truncated: false,
    elapsed: 0.01
  };

  it('returns a good answer typed', () => {
    expect(parseQuickResult(good)).toEqual(good);
  });

  it('takes a column without original_name as not renamed', () => {
    const old: Record<string, unknown> = { ...good.columns[0] };
    delete old.original_name;
    const parsed = parseQuickResult({ ...good, columns: [old] });
    expect(parsed.columns[0].original_name).toBe('RA');
  });

  it.each([
    ['not an object', [], 'the body must be a JSON object'],
    ['no columns', { ...good, columns: null }, 'columns must be an array'],
    [
      'a nameless column',
      { ...good, columns: [{ type: 'double' }] },
      'columns[0].name must be a string'
    ],
    ['no rows', { ...good, rows: 'x' }, 'rows must be an array'],
    [
      'a short row',
      { ...good, rows: [[1], []] },
      'rows[1] must be an array of 1 values'
    ]
  ])('refuses %s', (_, body, message) => {
    expect(() => parseQuickResult(body)).toThrow(QuickResultFormatError);
    expect(() => parseQuickResult(body)).toThrow(message);
  });
});
