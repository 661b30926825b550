import { SurveylabAPIError } from '../src/request';
import type { ITableDetail } from '../src/query/api';
import type { ISchemaTable } from '../src/query/completion';
import { SchemaModel, filterSchema } from '../src/query/schema';

const TABLES: ISchemaTable[] = [
  {
    name: 'DR1_MAIN',
    description: 'The objects',
    columns: [
      {
        name: 'RA',
        datatype: 'double',
        unit: 'deg',
        description: 'Right ascension'
      },
      {
        name: 'EBV_SFD98',
        datatype: 'float',
        unit: 'mag',
        description: 'Extinction E(B-V)'
      }
    ]
  },
  {
    name: 'DR1_TILE_INFO',
    description: 'Coadd tiles',
    columns: [
      { name: 'TILENAME', datatype: 'string', unit: '', description: 'Tile' }
    ]
  }
];

describe('filterSchema', () => {
  const shown = (search: string) =>
    filterSchema(TABLES, search).map(match => [
      match.table.name,
      match.columns.map(column => column.name)
    ]);

  it('shows everything without a search', () => {
    expect(shown('  ')).toEqual([
      ['DR1_MAIN', ['RA', 'EBV_SFD98']],
      ['DR1_TILE_INFO', ['TILENAME']]
    ]);
  });

  it('shows only matching columns, by name, unit or description, any case', () => {
    expect(shown('extinction')).toEqual([['DR1_MAIN', ['EBV_SFD98']]]);
    expect(shown('DEG')).toEqual([['DR1_MAIN', ['RA']]]);
    expect(shown('tilename')).toEqual([['DR1_TILE_INFO', ['TILENAME']]]);
  });

  it('shows all columns of a table whose name matches', () => {
    expect(shown('coadd')).toEqual([['DR1_TILE_INFO', ['TILENAME']]]);
    expect(shown('dr1_main')).toEqual([['DR1_MAIN', ['RA', 'EBV_SFD98']]]);
  });

  it('shows nothing when nothing matches', () => {
    expect(shown('parallax')).toEqual([]);
  });
});

describe('SchemaModel', () => {
  const detail = (name: string): ITableDetail => ({
    name,
    description: '',
    rows: 1,
    columns: [
      {
        name: `${name}_ID`,
        datatype: 'int64',
        unit: '',
        ucd: '',
        description: ''
      }
    ]
  });

  it('loads the tables, then their columns', async () => {
    const model = new SchemaModel({
      listTables: () =>
        Promise.resolve([
          { name: 'A', description: 'a', rows: 1 },
          { name: 'B', description: 'b', rows: null }
        ]),
      getTable: name => Promise.resolve(detail(name))
    });
    const seen: string[] = [];
    model.changed.connect(() => seen.push(model.status));
    await model.load();
    expect(model.status).toBe('ready');
    expect(model.tables.map(t => t.columns?.map(c => c.name))).toEqual([
      ['A_ID'],
      ['B_ID']
    ]);
    expect(seen[0]).toBe('loading');
  });

  it('loads once however often it is asked', async () => {
    let calls = 0;
    const model = new SchemaModel({
      listTables: () => {
        calls++;
        return Promise.resolve([]);
      },
      getTable: name => Promise.resolve(detail(name))
    });
    await Promise.all([model.load(), model.load()]);
    expect(calls).toBe(1);
    await model.reload();
    expect(calls).toBe(2);
  });

  it("keeps the other tables when one table's columns fail", async () => {
    const warn = jest
      .spyOn(console, 'warn')
      .mockImplementation(() => undefined);
    const model = new SchemaModel({
      listTables: () =>
        Promise.resolve([
          { name: 'A', description: '', rows: 1 },
          { name: 'B', description: '', rows: 1 }
        ]),
      getTable: name =>
        name === 'A'
          ? Promise.reject(new Error('gone'))
          : Promise.resolve(detail(name))
    });
    await model.load();
    expect(model.tables.map(t => t.columns?.length)).toEqual([0, 1]);
    expect(warn).toHaveBeenCalled();
    warn.mockRestore();
  });

  it('says why when the table list fails', async () => {
    const model = new SchemaModel({
      listTables: () =>
        Promise.reject(
          new SurveylabAPIError({
            status: 503,
            url: 'x',
            message: 'The catalog is down'
          })
        ),
      getTable: name => Promise.resolve(detail(name))
    });
    await model.load();
    expect(model.status).toBe('error');
    expect(model.error).toBe('The catalog is down');
  });
});
