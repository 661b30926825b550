/**
 * SQL completion of table and column names. Pure: the CodeMirror source in
 * `editor.ts` calls {@link completeSQL} with the text and the schema.
 *
 * Columns are offered for the tables the query names after FROM or JOIN (by
 * name or alias), and after `name.` for that table or alias alone.
 */

/** A table as completion knows it; `columns` is undefined until loaded. */
export interface ISchemaTable {
  name: string;
  description: string;
  columns?: readonly ISchemaColumn[];
}

/** A column as completion knows it. */
export interface ISchemaColumn {
  name: string;
  datatype: string;
  unit: string;
  description: string;
}

/** A completion option (the shape of CodeMirror's `Completion`). */
export interface ICompletionOption {
  label: string;
  /** `property` for columns, `type` for tables. */
  type: 'property' | 'type';
  detail?: string;
  info?: string;
  boost?: number;
}

/** The answer of {@link completeSQL}: replace `from`..cursor with an option. */
export interface ICompletionResult {
  from: number;
  options: ICompletionOption[];
}

/** A table named in the query, and the alias it goes by (if any). */
export interface ITableReference {
  table: string;
  alias: string | null;
}

interface IToken {
  text: string;
  kind: 'word' | 'punct';
}

/** Words that end a FROM list or cannot be an alias. */
const NOT_ALIAS = new Set(
  (
    'where group order having join inner left right full outer cross natural on using ' +
    'union intersect except minus fetch limit offset for sample select from with as ' +
    'connect start window qualify'
  ).split(' ')
);

/** Split SQL into words and punctuation; strings and comments are dropped. */
function tokenize(sql: string): IToken[] {
  const tokens: IToken[] = [];
  const pattern =
    /--[^\n]*|\/\*[\s\S]*?(\*\/|$)|'(?:[^']|'')*'?|"((?:[^"]|"")*)"?|([A-Za-z_][\w$#]*)|(\S)/g;
  for (const match of sql.matchAll(pattern)) {
    const [, , quoted, word, punct] = match as (string | undefined)[];
    if (word !== undefined) {
      tokens.push({ text: word, kind: 'word' });
    } else if (quoted !== undefined) {
      tokens.push({ text: quoted.replace(/""/g, '"'), kind: 'word' });
    } else if (punct !== undefined) {
      tokens.push({ text: punct, kind: 'punct' });
    }
  }
  return tokens;
}

/**
 * The tables a query names after FROM (a comma-separated list) or JOIN, with
 * their aliases (`FROM DR1_MAIN m`, `JOIN DR1_TILE_INFO AS t`).
 */
export function tablesInQuery(sql: string): ITableReference[] {
  const tokens = tokenize(sql);
  const found: ITableReference[] = [];
  const word = (index: number): string | null =>
    tokens[index]?.kind === 'word' ? tokens[index].text : null;
  for (let i = 0; i < tokens.length; i++) {
    const keyword = word(i)?.toLowerCase();
    if (keyword !== 'from' && keyword !== 'join') {
      continue;
    }
    let j = i + 1;
    for (;;) {
      let name = word(j);
      if (name === null || NOT_ALIAS.has(name.toLowerCase())) {
        break;
      }
      j++;
      // schema.table: keep the last part, the table.
      for (
        let part = word(j + 1);
        tokens[j]?.text === '.' && part !== null;
        part = word(j + 1)
      ) {
        name = part;
        j += 2;
      }
      let alias: string | null = null;
      if (word(j)?.toLowerCase() === 'as' && word(j + 1) !== null) {
        alias = word(j + 1);
        j += 2;
      } else {
        const next = word(j);
        if (next !== null && !NOT_ALIAS.has(next.toLowerCase())) {
          alias = next;
          j++;
        }
      }
      found.push({ table: name, alias });
      if (keyword === 'from' && tokens[j]?.text === ',') {
        j++;
        continue;
      }
      break;
    }
    i = j - 1;
  }
  return found;
}

function columnOption(column: ISchemaColumn, table: string): ICompletionOption {
  const unit = column.unit ? ` [${column.unit}]` : '';
  return {
    label: column.name,
    type: 'property',
    detail: `${column.datatype}${unit} · ${table}`,
    info: column.description || undefined,
    boost: 1
  };
}

function tableOption(table: ISchemaTable): ICompletionOption {
  return {
    label: table.name,
    type: 'type',
    detail: 'table',
    info: table.description || undefined
  };
}

/** The tables of `tables` the query refers to (unknown names are skipped). */
export function resolveTables(
  references: readonly ITableReference[],
  tables: readonly ISchemaTable[]
): ISchemaTable[] {
  const byName = new Map(
    tables.map(table => [table.name.toUpperCase(), table])
  );
  const seen = new Set<ISchemaTable>();
  for (const reference of references) {
    const table = byName.get(reference.table.toUpperCase());
    if (table !== undefined) {
      seen.add(table);
    }
  }
  return [...seen];
}

/**
 * The completions at `pos` in `sql`.
 *
 * - after `X.`: the columns of table or alias X (or `null` when X is unknown);
 * - right after FROM or JOIN: the table names;
 * - elsewhere: the columns of the tables in the query, then the table names.
 *
 * Without a word begun at the cursor it answers only when `explicit` (the
 * user asked, with Ctrl+Space). CodeMirror filters the options by the word.
 */
export function completeSQL(
  sql: string,
  pos: number,
  tables: readonly ISchemaTable[],
  explicit = false
): ICompletionResult | null {
  const before = sql.slice(0, pos);
  const wordMatch = /[A-Za-z_][\w$#]*$/.exec(before);
  const from = wordMatch ? pos - wordMatch[0].length : pos;
  const head = before.slice(0, from);

  const qualified = /([A-Za-z_][\w$#]*)\.$/.exec(head);
  if (qualified) {
    const qualifier = qualified[1].toUpperCase();
    const references = tablesInQuery(sql);
    const reference = references.find(
      ref => ref.alias?.toUpperCase() === qualifier
    );
    const name = reference?.table ?? qualifier;
    const table = tables.find(t => t.name.toUpperCase() === name.toUpperCase());
    if (table?.columns === undefined) {
      return null;
    }
    return {
      from,
      options: table.columns.map(column => columnOption(column, table.name))
    };
  }

  if (!wordMatch && !explicit) {
    return null;
  }
  const previous = /([A-Za-z_]+)\s*$/.exec(head)?.[1].toLowerCase();
  const tableOptions = tables.map(tableOption);
  if (previous === 'from' || previous === 'join') {
    return { from, options: tableOptions };
  }
  const columnOptions = resolveTables(tablesInQuery(sql), tables).flatMap(
    table =>
      (table.columns ?? []).map(column => columnOption(column, table.name))
  );
  return { from, options: [...columnOptions, ...tableOptions] };
}
