/**
 * The release's schema for the schema browser and completion: the tables
 * (`GET /tables`) and their columns (`GET /tables/{name}`), and the search.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import { describeError } from '../format';
import type { ITableDetail, ITableSummary } from './api';
import { getTable, listTables } from './api';
import type { ISchemaColumn, ISchemaTable } from './completion';

/** One table as the browser shows it after a search. */
export interface ITableMatch {
  table: ISchemaTable;
  /** The columns to show: all of them, or those that match the search. */
  columns: readonly ISchemaColumn[];
  /** Whether the table's own name or description matched. */
  tableMatched: boolean;
}

function matches(needle: string, ...texts: string[]): boolean {
  return texts.some(text => text.toLowerCase().includes(needle));
}

/**
 * The tables and columns matching `search` (any case, in names, units and
 * descriptions). A table that matches shows all its columns; otherwise it
 * shows only its matching columns, and is left out when none does.
 */
export function filterSchema(
  tables: readonly ISchemaTable[],
  search: string
): ITableMatch[] {
  const needle = search.trim().toLowerCase();
  const result: ITableMatch[] = [];
  for (const table of tables) {
    const columns = table.columns ?? [];
    if (!needle) {
      result.push({ table, columns, tableMatched: false });
      continue;
    }
    const tableMatched = matches(needle, table.name, table.description);
    const hits = columns.filter(column =>
      matches(needle, column.name, column.unit, column.description)
    );
    if (tableMatched || hits.length > 0) {
      result.push({
        table,
        columns: tableMatched ? columns : hits,
        tableMatched
      });
    }
  }
  return result;
}

/** The state of the schema: loading, ready (tables may still lack columns) or failed. */
export type SchemaStatus = 'idle' | 'loading' | 'ready' | 'error';

/**
 * Loads the schema once and tells its views when it changes: first the
 * table list, then each table's columns.
 */
export class SchemaModel {
  constructor(options: SchemaModel.IOptions = {}) {
    this._listTables = options.listTables ?? listTables;
    this._getTable = options.getTable ?? getTable;
  }

  /** The tables known so far, in the server's order. */
  get tables(): readonly ISchemaTable[] {
    return this._tables;
  }

  get status(): SchemaStatus {
    return this._status;
  }

  /** The error message when {@link status} is `error`. */
  get error(): string {
    return this._error;
  }

  /** Emitted whenever tables or columns arrive, or the status changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Load the table list and then every table's columns; it never rejects. A
   * table whose columns fail to load keeps none (and the others still load).
   */
  load(): Promise<void> {
    if (this._loading === null) {
      this._loading = this._load();
    }
    return this._loading;
  }

  /** Forget everything and load again. */
  reload(): Promise<void> {
    this._loading = null;
    return this.load();
  }

  private async _load(): Promise<void> {
    this._status = 'loading';
    this._changed.emit();
    let summaries: ITableSummary[];
    try {
      summaries = await this._listTables();
    } catch (error) {
      this._status = 'error';
      this._error = describeError(error).message;
      this._changed.emit();
      return;
    }
    this._tables = summaries.map(summary => ({
      name: summary.name,
      description: summary.description
    }));
    this._status = 'ready';
    this._changed.emit();
    await Promise.all(
      summaries.map(async (summary, index) => {
        try {
          const detail = await this._getTable(summary.name);
          this._tables = this._tables.map((table, i) =>
            i === index ? { ...table, columns: detail.columns } : table
          );
        } catch (error) {
          console.warn(
            `surveylab: cannot load the columns of ${summary.name}:`,
            describeError(error).message
          );
          this._tables = this._tables.map((table, i) =>
            i === index ? { ...table, columns: [] } : table
          );
        }
        this._changed.emit();
      })
    );
  }

  private readonly _listTables: () => Promise<ITableSummary[]>;
  private readonly _getTable: (name: string) => Promise<ITableDetail>;
  private _loading: Promise<void> | null = null;
  private _status: SchemaStatus = 'idle';
  private _error = '';
  private _tables: readonly ISchemaTable[] = [];
  private readonly _changed = new Signal<this, void>(this);
}

export namespace SchemaModel {
  /** Where the schema comes from (tests pass their own). */
  export interface IOptions {
    listTables?: () => Promise<ITableSummary[]>;
    getTable?: (name: string) => Promise<ITableDetail>;
  }
}
