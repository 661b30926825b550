import {
  formatDec,
  formatRA,
  parseSearch,
  SEARCH_HINT
} from '../src/footprint/search';

/** Degrees of h:m:s and ±d:m:s, for expected values. */
const hms = (h: number, m: number, s: number): number =>
  (h + m / 60 + s / 3600) * 15;
const dms = (sign: 1 | -1, d: number, m: number, s: number): number =>
  sign * (d + m / 60 + s / 3600);

describe('parseSearch: positions', () => {
  const M2_RA = hms(21, 33, 27);
  const M2_DEC = dms(-1, 0, 49, 24);
  it.each([
    ['degrees', '323.36 -0.82', 323.36, -0.82],
    ['degrees with a comma', '323.36,-0.82', 323.36, -0.82],
    ['degrees, comma and spaces', ' 323.36 ,  -0.82 ', 323.36, -0.82],
    ['explicit plus sign', '10 +5.5', 10, 5.5],
    ['negative RA wraps', '-10 5', 350, 5],
    ['RA 360 wraps to 0', '360 0', 0, 0],
    ['colons (RA in hours)', '21:33:27 -0:49:24', M2_RA, M2_DEC],
    ['letters', '21h33m27s -00d49m24s', M2_RA, M2_DEC],
    ['degree and prime signs', '21h33m27s -0°49′24″', M2_RA, M2_DEC],
    ['six numbers', '21 33 27 -0 49 24', M2_RA, M2_DEC],
    ['typographic minus', '21:33:27 \u22120:49:24', M2_RA, M2_DEC],
    [
      'fractional seconds',
      '21:33:27.5 +12:00:00.5',
      hms(21, 33, 27.5),
      dms(1, 12, 0, 0.5)
    ],
    ['no seconds', '21:33 -0:49', hms(21, 33, 0), dms(-1, 0, 49, 0)],
    ['the pole', '0 90', 0, 90]
  ])('%s: %s', (_, text, ra, dec) => {
    const parsed = parseSearch(text);
    expect(parsed.ok).toBe(true);
    if (parsed.ok && parsed.target.kind === 'position') {
      expect(parsed.target.ra).toBeCloseTo(ra, 9);
      expect(parsed.target.dec).toBeCloseTo(dec, 9);
    } else {
      throw new Error(`not a position: ${JSON.stringify(parsed)}`);
    }
  });

  it('keeps the sign of a Dec whose degrees are 0', () => {
    const parsed = parseSearch('0:00:00 -0:30:00');
    expect(parsed).toEqual({
      ok: true,
      target: { kind: 'position', ra: 0, dec: -0.5 }
    });
  });
});

describe('parseSearch: tile names', () => {
  it.each([
    ['DES2134-0041', 'DES2134-0041'],
    ['des2359+0001', 'DES2359+0001'],
    ['  DES0001-0041 ', 'DES0001-0041']
  ])('%s is the tile %s', (text, name) => {
    expect(parseSearch(text)).toEqual({
      ok: true,
      target: { kind: 'tile', name }
    });
  });
});

describe('parseSearch: bad input says what is wrong', () => {
  it.each([
    ['empty', '   ', SEARCH_HINT],
    ['Dec beyond the pole', '10 95', 'Dec "95" is outside -90…+90 degrees'],
    [
      'sexagesimal Dec beyond the pole',
      '10 -91:00:00',
      'Dec "-91:00:00" is outside -90…+90 degrees'
    ],
    [
      'RA hours ≥ 24',
      '24:00:00 0',
      'RA "24:00:00": the hours must be below 24'
    ],
    [
      'RA minutes ≥ 60',
      '21:61:00 0',
      'RA "21:61:00": the minutes must be below 60'
    ],
    [
      'Dec arcseconds ≥ 60',
      '21:00:00 -0:10:75',
      'Dec "-0:10:75": the arcseconds must be below 60'
    ],
    [
      'negative RA in hours',
      '-1:00:00 0',
      'RA "-1:00:00" in hours cannot be negative'
    ],
    ['RA out of range', '400 0', 'RA "400" is outside -360…360 degrees'],
    [
      'one number',
      '323.36',
      '"323.36" is not a position: give two coordinates'
    ],
    ['three numbers', '1 2 3', '"1 2 3" is not a position'],
    ['garbage RA', 'abc 5', 'RA "abc" is not a number or a sexagesimal value'],
    [
      'garbage Dec',
      '5 1.2.3',
      'Dec "1.2.3" is not a number or a sexagesimal value'
    ],
    [
      'an object name',
      'M2',
      '"M2" is not a tile name (like DES2134-0041) or a position'
    ]
  ])('%s: %s', (_, text, message) => {
    const parsed = parseSearch(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.message).toContain(message);
    }
  });
});

describe('formatRA and formatDec', () => {
  it.each([
    [hms(21, 33, 27), '21:33:27.0'],
    [0, '00:00:00.0'],
    [359.99999999, '00:00:00.0'],
    [hms(1, 2, 3.45), '01:02:03.5']
  ])('RA %f is %s', (ra, text) => {
    expect(formatRA(ra)).toBe(text);
  });

  it.each([
    [dms(-1, 0, 49, 24), '-00:49:24'],
    [0, '+00:00:00'],
    [dms(1, 89, 59, 59.6), '+90:00:00'],
    [-45.5, '-45:30:00']
  ])('Dec %f is %s', (dec, text) => {
    expect(formatDec(dec)).toBe(text);
  });

  it('round-trips through parseSearch', () => {
    const ra = 123.456789;
    const dec = -12.345678;
    const parsed = parseSearch(`${formatRA(ra)} ${formatDec(dec)}`);
    if (!parsed.ok || parsed.target.kind !== 'position') {
      throw new Error('the formatted position does not parse');
    }
    // h:m:s.s is 1.5″ of RA; d:m:s is 1″ of Dec.
    expect(Math.abs(parsed.target.ra - ra)).toBeLessThan(1.5 / 3600);
    expect(Math.abs(parsed.target.dec - dec)).toBeLessThan(1 / 3600);
  });
});
