/**
 * Example queries (`GET /surveylab/api/examples`), checked against the
 * contract, and the notebook cell that reproduces a query. Pure.
 */

import type { Schemas } from '../types';

/** One named example query. */
export type IExample = Schemas['Example'];

/** Thrown by {@link parseExamples} for a body that breaks the contract. */
export class ExamplesFormatError extends TypeError {
  constructor(message: string) {
    super(`The server's example queries are malformed: ${message}`);
    this.name = 'ExamplesFormatError';
  }
}

/**
 * Check a `GET /examples` body and return its examples.
 *
 * @throws {ExamplesFormatError} naming the first field that is wrong.
 */
export function parseExamples(data: unknown): IExample[] {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ExamplesFormatError('the body must be a JSON object');
  }
  const list = (data as Record<string, unknown>).examples;
  if (!Array.isArray(list)) {
    throw new ExamplesFormatError('examples must be an array');
  }
  return list.map((item: unknown, index) => {
    if (typeof item !== 'object' || item === null) {
      throw new ExamplesFormatError(`examples[${index}] must be an object`);
    }
    const record = item as Record<string, unknown>;
    const field = (key: keyof IExample): string => {
      const value = record[key];
      if (typeof value !== 'string') {
        throw new ExamplesFormatError(
          `examples[${index}].${key} must be a string`
        );
      }
      return value;
    };
    return {
      name: field('name'),
      title: field('title'),
      description: field('description'),
      sql: field('sql')
    };
  });
}

/**
 * A Python string literal holding `text`: a triple-quoted string when that
 * keeps it readable, otherwise an escaped one-line literal.
 */
export function pythonString(text: string): string {
  if (!/"""|\\|"$|\r/.test(text)) {
    return `"""\n${text}\n"""`;
  }
  return JSON.stringify(text);
}

/**
 * The source of a notebook cell that runs `sql` as a quick query with the
 * surveylab Python API (`Survey.quick` returns a `QuickResult`: its
 * `columns`, `rows` and `truncated`; `Survey.query` gives the whole result as
 * an astropy Table).
 */
export function notebookCellSource(sql: string): string {
  return [
    'from surveylab import Survey',
    '',
    `result = Survey().quick(${pythonString(sql.trim())})`,
    '# result.columns, result.rows (at most 10,000), result.truncated;',
    '# Survey().query(...) returns the whole result as an astropy Table.',
    'result.rows[:10]'
  ].join('\n');
}
