import {
  ExamplesFormatError,
  notebookCellSource,
  parseExamples,
  pythonString
} from '../src/query/examples';

describe('parseExamples', () => {
  const m2 = {
    name: 'm2-stars',
    title: 'Stars around M2',
    description: 'DES example',
    sql: 'SELECT RA FROM DR1_MAIN'
  };

  it('returns the examples', () => {
    expect(parseExamples({ examples: [m2] })).toEqual([m2]);
  });

  it('drops unknown fields', () => {
    expect(parseExamples({ examples: [{ ...m2, extra: 1 }] })).toEqual([m2]);
  });

  it.each([
    ['a list', [], 'the body must be a JSON object'],
    ['no examples', {}, 'examples must be an array'],
    ['a string example', { examples: ['x'] }, 'examples[0] must be an object'],
    [
      'an example without SQL',
      { examples: [m2, { ...m2, sql: null }] },
      'examples[1].sql must be a string'
    ]
  ])('refuses %s', (_, body, message) => {
    expect(() => parseExamples(body)).toThrow(ExamplesFormatError);
    expect(() => parseExamples(body)).toThrow(message);
  });
});

describe('the notebook cell', () => {
  it('uses a triple-quoted string for ordinary SQL', () => {
    expect(pythonString("SELECT 'a'\nFROM dual")).toBe(
      `"""\nSELECT 'a'\nFROM dual\n"""`
    );
  });

  it.each([
    ['triple quotes', 'SELECT """x"""'],
    ['a backslash', "SELECT 'a\\nb'"],
    ['a carriage return', 'SELECT 1\r\nFROM dual']
  ])('escapes SQL with %s into a one-line literal', (_, sql) => {
    const literal = pythonString(sql);
    expect(literal.startsWith('"')).toBe(true);
    expect(literal).not.toContain('\n');
    // A JSON string literal is a valid Python literal with the same value.
    expect(JSON.parse(literal)).toBe(sql);
  });

  it('reproduces the query with Survey().quick', () => {
    const source = notebookCellSource('  SELECT RA FROM DR1_MAIN\n');
    expect(source).toContain('from surveylab import Survey\n');
    expect(source).toContain(
      'result = Survey().quick("""\nSELECT RA FROM DR1_MAIN\n""")'
    );
  });
});
