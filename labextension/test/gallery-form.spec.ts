import {
  DEFAULT_FORM,
  FormError,
  MAX_CSV_BYTES,
  buildCutoutRequest,
  formFromArgs,
  parseIds,
  parsePositions
} from '../src/gallery/form';
import type { IGalleryForm } from '../src/gallery/form';

function form(changes: Partial<IGalleryForm>): IGalleryForm {
  return { ...formFromArgs({}), ...changes };
}

function refusal(changes: Partial<IGalleryForm>): FormError {
  try {
    buildCutoutRequest(form(changes));
  } catch (error) {
    expect(error).toBeInstanceOf(FormError);
    return error as FormError;
  }
  throw new Error('expected the form to be refused');
}

describe('parsePositions', () => {
  it.each<[string, string, ReturnType<typeof parsePositions>]>([
    ['degrees', '323.36 -0.82', [[323.36, -0.82]]],
    ['comma', '323.36, -0.82', [[323.36, -0.82]]],
    ['sexagesimal pair', '21:33:27 -0:49:24', [['21:33:27', '-0:49:24']]],
    ['one string', '21 33 27 -0 49 24', ['21 33 27 -0 49 24']],
    ['exponent', '3.2336e2 -8.2E-1', [[323.36, -0.82]]],
    [
      'blank lines and comments',
      '# M2\n\n323.36 -0.82\r\n  \n0 0\n',
      [
        [323.36, -0.82],
        [0, 0]
      ]
    ],
    ['nothing', ' \n# only a comment\n', []]
  ])('%s', (_, text, expected) => {
    expect(parsePositions(text)).toEqual(expected);
  });
});

describe('parseIds', () => {
  it('reads ids separated by spaces, commas, semicolons and lines', () => {
    expect(parseIds('100020180, 100020181\n# note\n7;8  9')).toEqual([
      100020180, 100020181, 7, 8, 9
    ]);
  });

  it.each([
    ['1 2\n3 x4', 'Line 2: "x4" is not a COADD_OBJECT_ID (a whole number)'],
    ['-5', 'Line 1: "-5" is not a COADD_OBJECT_ID (a whole number)'],
    ['1.5', 'Line 1: "1.5" is not a COADD_OBJECT_ID (a whole number)'],
    [
      '99999999999999999999',
      'Line 1: "99999999999999999999" is not a COADD_OBJECT_ID (a whole number)'
    ]
  ])('refuses %j', (text, message) => {
    expect(() => parseIds(text)).toThrow(message);
  });
});

describe('buildCutoutRequest', () => {
  it('turns the default form with positions into a cutout job body', () => {
    expect(
      buildCutoutRequest(
        form({ positions: '323.36 -0.82\n21:33:27 -0:49:24', name: ' m2 ' })
      )
    ).toEqual({
      type: 'cutout',
      positions: [
        [323.36, -0.82],
        ['21:33:27', '-0:49:24']
      ],
      xsize: 1,
      ysize: 1,
      bands: ['g', 'r', 'i'],
      rgb: ['i', 'r', 'g'],
      rgb_minimum: 1,
      rgb_stretch: 50,
      rgb_q: 10,
      name: 'm2'
    });
  });

  it('sends ids, CSV text, sizes and no colour image when asked', () => {
    expect(
      buildCutoutRequest(
        form({
          mode: 'ids',
          ids: '100020180 100020181',
          xsize: '2.5',
          ysize: '0.5',
          bands: ['i'],
          rgb: false
        })
      )
    ).toEqual({
      type: 'cutout',
      ids: [100020180, 100020181],
      xsize: 2.5,
      ysize: 0.5,
      bands: ['i'],
      rgb: false
    });
    const csv = 'RA,DEC\n323.36,-0.82\n';
    expect(buildCutoutRequest(form({ mode: 'csv', csv })).csv).toBe(csv);
  });

  it('leaves the positions out when the CSV is chosen', () => {
    const request = buildCutoutRequest(
      form({ mode: 'csv', csv: 'RA,DEC\n1,2\n', positions: '3 4' })
    );
    expect(request.positions).toBeUndefined();
  });

  it.each<[string, Partial<IGalleryForm>, string, string]>([
    [
      'no positions',
      { positions: '# none' },
      'positions',
      'Enter at least one position'
    ],
    ['no ids', { mode: 'ids', ids: ' ' }, 'ids', 'Enter at least one'],
    ['no CSV', { mode: 'csv', csv: '' }, 'csv', 'Choose a CSV file'],
    [
      'a CSV over 1 MB',
      { mode: 'csv', csv: 'x'.repeat(MAX_CSV_BYTES + 1) },
      'csv',
      'split it into several jobs'
    ],
    [
      'a width too small',
      { positions: '1 2', xsize: '0.05' },
      'xsize',
      'Width must be a number of arcmin from 0.1 to 12, not "0.05"'
    ],
    [
      'a height too large',
      { positions: '1 2', ysize: '13' },
      'ysize',
      'Height must be a number of arcmin from 0.1 to 12, not "13"'
    ],
    [
      'a size that is not a number',
      { positions: '1 2', xsize: 'big' },
      'xsize',
      'not "big"'
    ],
    [
      'no band',
      { positions: '1 2', bands: [] },
      'bands',
      'Choose at least one band'
    ],
    [
      'a missing colour channel',
      { positions: '1 2', rgbBands: ['i', '', 'g'] },
      'rgbBands',
      'needs a red, a green and a blue band'
    ],
    [
      'a stretch of zero',
      { positions: '1 2', rgbStretch: '0' },
      'rgbStretch',
      'Stretch must be a positive number, not "0"'
    ],
    [
      'a Q that is not a number',
      { positions: '1 2', rgbQ: 'x' },
      'rgbQ',
      'Q must be a positive number'
    ]
  ])('refuses %s, naming the field', (_, changes, field, message) => {
    const error = refusal(changes);
    expect(error.field).toBe(field);
    expect(error.message).toContain(message);
  });

  it('does not check Lupton parameters without a colour image', () => {
    expect(
      buildCutoutRequest(form({ positions: '1 2', rgb: false, rgbQ: 'x' }))
        .rgb_q
    ).toBeUndefined();
  });
});

describe('formFromArgs', () => {
  it('pre-fills the positions ("Cutouts here")', () => {
    const prefilled = formFromArgs({ positions: ' 323.36 -0.82 \n' });
    expect(prefilled.mode).toBe('positions');
    expect(prefilled.positions).toBe('323.36 -0.82');
  });

  it('gives a copy of the defaults without arguments', () => {
    const fresh = formFromArgs({ positions: 42 });
    expect(fresh).toEqual(DEFAULT_FORM);
    fresh.bands.push('z');
    expect(DEFAULT_FORM.bands).toEqual(['g', 'r', 'i']);
  });
});
