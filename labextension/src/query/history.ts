/**
 * The query history: the queries a user ran, newest first, kept in the
 * plugin's settings. Pure: no settings registry here.
 */

/** One query of the history. */
export interface IHistoryEntry {
  /** The SQL as it was run. */
  sql: string;
  /** When it was run, ISO 8601. */
  time: string;
  /** How it went: `quick` rows, a `job` id, or an error. */
  outcome?: string;
}

/** The default number of queries kept. */
export const DEFAULT_HISTORY_SIZE = 100;

/**
 * The history with `entry` first; an older run of the same SQL (ignoring
 * whitespace at its ends) is dropped, and at most `limit` entries are kept.
 */
export function addToHistory(
  entries: readonly IHistoryEntry[],
  entry: IHistoryEntry,
  limit = DEFAULT_HISTORY_SIZE
): IHistoryEntry[] {
  const key = entry.sql.trim();
  if (key.length === 0 || limit <= 0) {
    return entries.slice(0, Math.max(limit, 0));
  }
  const rest = entries.filter(other => other.sql.trim() !== key);
  return [entry, ...rest].slice(0, limit);
}

/**
 * Read a stored history; entries that are not `{sql, time}` objects are
 * skipped, so a damaged setting loses nothing else.
 */
export function parseHistory(value: unknown): IHistoryEntry[] {
  if (!Array.isArray(value)) {
    return [];
  }
  const entries: IHistoryEntry[] = [];
  for (const item of value) {
    if (typeof item !== 'object' || item === null) {
      continue;
    }
    const record = item as Record<string, unknown>;
    if (typeof record.sql !== 'string' || typeof record.time !== 'string') {
      continue;
    }
    const entry: IHistoryEntry = { sql: record.sql, time: record.time };
    if (typeof record.outcome === 'string') {
      entry.outcome = record.outcome;
    }
    entries.push(entry);
  }
  return entries;
}

/** A one-line title for a query: its text with whitespace collapsed, cut at `width`. */
export function queryTitle(sql: string, width = 80): string {
  const line = sql.replace(/\s+/g, ' ').trim();
  return line.length <= width ? line : `${line.slice(0, width - 1)}\u2026`;
}

/** Keep only entries whose SQL contains `filter` (any case). */
export function filterHistory(
  entries: readonly IHistoryEntry[],
  filter: string
): IHistoryEntry[] {
  const needle = filter.trim().toLowerCase();
  return needle
    ? entries.filter(entry => entry.sql.toLowerCase().includes(needle))
    : entries.slice();
}
