import {
  CARD_LENGTH,
  FITS_BLOCK,
  FitsHeaderError,
  formatCardValue,
  headerLength,
  parseFitsHeader
} from '../src/gallery/fits';

/** FITS header bytes from card texts (padded to 80 characters, blocks of 2880). */
function header(cards: string[], { end = true, pad = true } = {}): Uint8Array {
  const text = [...cards, ...(end ? ['END'] : [])]
    .map(card => card.padEnd(CARD_LENGTH, ' '))
    .join('');
  const length = pad
    ? Math.ceil(text.length / FITS_BLOCK) * FITS_BLOCK
    : text.length;
  const bytes = new Uint8Array(length).fill(0x20);
  for (let k = 0; k < text.length; k++) {
    bytes[k] = text.charCodeAt(k);
  }
  return bytes;
}

/** The first cards of a cutout as surveylab writes them. */
const CUTOUT = [
  'SIMPLE  =                    T / conforms to FITS standard',
  'BITPIX  =                  -32 / 32-bit floating point',
  'NAXIS   =                    2',
  'NAXIS1  =                   15',
  'CRVAL1  =     323.548038903269 / [deg] RA at the reference pixel',
  'CD1_1   = -0.00111111111111111 / [deg/pixel] RA increases to the left',
  "RADESYS = 'ICRS    '           / celestial reference frame",
  "TILENAME= 'DES2134-0041'       / tile owning the position",
  "OBJECT  = 'M2''s core'         / a quote inside",
  'STITCHED=                    F / pixels come from more than one tile',
  'EXPTIME =               9.0D02 / Fortran exponent',
  'BIGINT  = 123456789012345678901 / past 2**53',
  'COMPLEX = (1.0, 2.0)',
  'EMPTY   =                      / no value',
  'COMMENT made by surveylab / not a value',
  'HISTORY cut from DES2134-0041_i.fits.fz',
  '        blank keyword text',
  "LONGSTR = 'first half &'       / long",
  "CONTINUE  'second half'        / string",
  'HIERARCH ESO DET CHIP = 3 / a HIERARCH card'
];

describe('parseFitsHeader', () => {
  it('reads every kind of card up to END', () => {
    const cards = parseFitsHeader(header(CUTOUT));

    expect(cards).toEqual([
      { keyword: 'SIMPLE', value: true, comment: 'conforms to FITS standard' },
      { keyword: 'BITPIX', value: -32, comment: '32-bit floating point' },
      { keyword: 'NAXIS', value: 2, comment: '' },
      { keyword: 'NAXIS1', value: 15, comment: '' },
      {
        keyword: 'CRVAL1',
        value: 323.548038903269,
        comment: '[deg] RA at the reference pixel'
      },
      {
        keyword: 'CD1_1',
        value: -0.00111111111111111,
        comment: '[deg/pixel] RA increases to the left'
      },
      {
        keyword: 'RADESYS',
        value: 'ICRS',
        comment: 'celestial reference frame'
      },
      {
        keyword: 'TILENAME',
        value: 'DES2134-0041',
        comment: 'tile owning the position'
      },
      { keyword: 'OBJECT', value: "M2's core", comment: 'a quote inside' },
      {
        keyword: 'STITCHED',
        value: false,
        comment: 'pixels come from more than one tile'
      },
      { keyword: 'EXPTIME', value: 900, comment: 'Fortran exponent' },
      {
        keyword: 'BIGINT',
        value: '123456789012345678901',
        comment: 'past 2**53'
      },
      { keyword: 'COMPLEX', value: '(1.0, 2.0)', comment: '' },
      { keyword: 'EMPTY', value: null, comment: 'no value' },
      {
        keyword: 'COMMENT',
        value: null,
        comment: 'made by surveylab / not a value'
      },
      {
        keyword: 'HISTORY',
        value: null,
        comment: 'cut from DES2134-0041_i.fits.fz'
      },
      { keyword: '', value: null, comment: 'blank keyword text' },
      {
        keyword: 'LONGSTR',
        value: 'first half second half',
        comment: 'long string'
      },
      { keyword: 'ESO DET CHIP', value: 3, comment: 'a HIERARCH card' }
    ]);
  });

  it('stops at END and ignores the data after it', () => {
    const bytes = new Uint8Array(FITS_BLOCK * 2);
    bytes.set(header(['SIMPLE  =                    T']));
    bytes.fill(0xff, FITS_BLOCK);
    expect(parseFitsHeader(bytes)).toHaveLength(1);
  });

  it('reads an extension header', () => {
    expect(parseFitsHeader(header(["XTENSION= 'IMAGE   '"]))[0].value).toBe(
      'IMAGE'
    );
  });

  it.each<[string, Uint8Array, string]>([
    [
      'fewer bytes than a card',
      new Uint8Array(10),
      'not a FITS file: 10 bytes, less than one header card'
    ],
    [
      'a PNG',
      header(['\u0089PNG']),
      'not a FITS file: it does not start with a SIMPLE or XTENSION card'
    ],
    [
      'no END',
      header(CUTOUT.slice(0, 3), { end: false }),
      'the FITS header has no END card in its first 2,880 bytes'
    ],
    [
      'an unclosed string',
      header(['SIMPLE  =                    T', "BAD     = 'never closed"]),
      'a string value has no closing quote'
    ]
  ])('refuses %s', (_, bytes, message) => {
    expect(() => parseFitsHeader(bytes)).toThrow(FitsHeaderError);
    expect(() => parseFitsHeader(bytes)).toThrow(message);
  });
});

describe('headerLength', () => {
  it('is the whole blocks up to END, or -1 before END has arrived', () => {
    const cards = Array.from(
      { length: 40 },
      (_, k) => `KEY${k}`.padEnd(8) + '=                    1'
    );
    const bytes = header(['SIMPLE  =                    T', ...cards]);
    expect(headerLength(bytes)).toBe(2 * FITS_BLOCK);
    expect(headerLength(bytes.slice(0, FITS_BLOCK))).toBe(-1);
    expect(headerLength(header(['SIMPLE  =                    T']))).toBe(
      FITS_BLOCK
    );
  });

  it('does not take ENDX or an END with text for the end', () => {
    expect(
      headerLength(header(['ENDX    = 1', 'END     x'], { end: false }))
    ).toBe(-1);
  });
});

describe('formatCardValue', () => {
  it.each<[Parameters<typeof formatCardValue>[0], string]>([
    ['DES2134-0041', "'DES2134-0041'"],
    [true, 'T'],
    [false, 'F'],
    [-32, '-32'],
    [0.5, '0.5'],
    [null, '']
  ])('formats %j as %j', (value, text) => {
    expect(formatCardValue(value)).toBe(text);
  });
});
