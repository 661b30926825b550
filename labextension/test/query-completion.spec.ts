import { completeSQL, tablesInQuery } from '../src/query/completion';
import type { ISchemaTable } from '../src/query/completion';

const TABLES: ISchemaTable[] = [
  {
    name: 'DR1_MAIN',
    description: 'Objects',
    columns: [
      {
        name: 'RA',
        datatype: 'double',
        unit: 'deg',
        description: 'Right ascension'
      },
      { name: 'MAG_AUTO_G', datatype: 'float', unit: 'mag', description: '' }
    ]
  },
  {
    name: 'DR1_TILE_INFO',
    description: 'Tiles',
    columns: [
      { name: 'TILENAME', datatype: 'string', unit: '', description: '' }
    ]
  },
  { name: 'LOADING', description: 'Columns not loaded yet' }
];

describe('tablesInQuery', () => {
  it.each([
    ['SELECT RA FROM DR1_MAIN', [['DR1_MAIN', null]]],
    ['select ra from dr1_main m where m.ra > 1', [['dr1_main', 'm']]],
    [
      'SELECT * FROM DR1_MAIN AS m JOIN DR1_TILE_INFO t ON m.TILENAME = t.TILENAME',
      [
        ['DR1_MAIN', 'm'],
        ['DR1_TILE_INFO', 't']
      ]
    ],
    [
      'SELECT * FROM DR1_MAIN m, DR1_TILE_INFO WHERE 1 = 1',
      [
        ['DR1_MAIN', 'm'],
        ['DR1_TILE_INFO', null]
      ]
    ],
    [
      'SELECT * FROM des.DR1_MAIN FETCH FIRST 5 ROWS ONLY',
      [['DR1_MAIN', null]]
    ],
    ['SELECT * FROM "DR1_MAIN" x', [['DR1_MAIN', 'x']]],
    ["SELECT 'from nowhere' FROM dual -- from comment", [['dual', null]]],
    ['SELECT * FROM (SELECT RA FROM DR1_MAIN) sub', [['DR1_MAIN', null]]],
    ['SELECT 1', []]
  ])('%s names %p', (sql, expected) => {
    expect(tablesInQuery(sql).map(ref => [ref.table, ref.alias])).toEqual(
      expected
    );
  });
});

function labels(sql: string, explicit = false): string[] | null {
  const pos = sql.indexOf('|');
  const text = sql.replace('|', '');
  const result = completeSQL(text, pos, TABLES, explicit);
  return result === null ? null : result.options.map(option => option.label);
}

describe('completeSQL', () => {
  it('offers the columns of the table in FROM, then the tables', () => {
    expect(labels('SELECT MA| FROM DR1_MAIN')).toEqual([
      'RA',
      'MAG_AUTO_G',
      'DR1_MAIN',
      'DR1_TILE_INFO',
      'LOADING'
    ]);
  });

  it('replaces the word begun at the cursor', () => {
    const text = 'SELECT MA FROM DR1_MAIN';
    expect(completeSQL(text, 9, TABLES)?.from).toBe(7);
  });

  it('offers the columns of an alias or table after a dot', () => {
    expect(labels('SELECT t.| FROM DR1_TILE_INFO t')).toEqual(['TILENAME']);
    expect(labels('SELECT DR1_MAIN.R| FROM DR1_MAIN')).toEqual([
      'RA',
      'MAG_AUTO_G'
    ]);
  });

  it('offers nothing after an unknown name or a table not loaded yet', () => {
    expect(labels('SELECT x.| FROM DR1_MAIN')).toBeNull();
    expect(labels('SELECT LOADING.| FROM LOADING')).toBeNull();
  });

  it('offers only tables right after FROM or JOIN', () => {
    expect(labels('SELECT * FROM D|')).toEqual([
      'DR1_MAIN',
      'DR1_TILE_INFO',
      'LOADING'
    ]);
    expect(labels('SELECT * FROM DR1_MAIN m JOIN |', true)).toEqual([
      'DR1_MAIN',
      'DR1_TILE_INFO',
      'LOADING'
    ]);
  });

  it('answers with no word begun only when asked', () => {
    expect(labels('SELECT | FROM DR1_MAIN')).toBeNull();
    expect(labels('SELECT | FROM DR1_MAIN', true)).toContain('RA');
  });

  it('describes columns by type, unit, table and description', () => {
    const result = completeSQL('SELECT R FROM DR1_MAIN', 8, TABLES);
    expect(result?.options[0]).toEqual({
      label: 'RA',
      type: 'property',
      detail: 'double [deg] · DR1_MAIN',
      info: 'Right ascension',
      boost: 1
    });
  });
});
