/**
 * The finding-chart request's targets: a query row becomes a target only with
 * RA and DEC, a target's title, and the contract's cap checked before any
 * request.
 */
import {
  FindingChartInputError,
  cutoutTarget,
  requestChart,
  rowTarget,
  targetTitle
} from '../src/finding-chart/api';
import { FINDING_CHART_TARGETS_MAX } from '../src/generated/limits';

describe('rowTarget', () => {
  it.each([
    [
      'ra-dec-id-mags',
      ['coadd_object_id', 'ra', 'dec', 'mag_auto_i', 'flags_i'],
      [42, 323.36, -0.82, 18.5, 0],
      { COADD_OBJECT_ID: 42, RA: 323.36, DEC: -0.82, MAG_AUTO_I: 18.5 }
    ],
    ['no-dec', ['RA', 'MAG_AUTO_G'], [1, 20], null],
    ['null-ra', ['RA', 'DEC'], [null, 1], null]
  ])('%s', (_name, columns, values, expected) => {
    expect(rowTarget(columns, values)).toEqual(expected);
  });
});

describe('targetTitle', () => {
  it.each([
    [123, '123'],
    ['DES2134-0041', 'DES2134-0041'],
    [[323.36, -0.82], '323.36000 -0.82000'],
    [{ RA: 1, DEC: 2, COADD_OBJECT_ID: 7 }, '7'],
    [{ RA: 1, DEC: 2 }, '1.00000 2.00000']
  ])('%j', (target, title) => {
    expect(targetTitle(target)).toBe(title);
  });
});

describe('requestChart', () => {
  it('refuses no target and more than the contract allows, before any request', async () => {
    await expect(requestChart({ targets: [] })).rejects.toThrow(
      FindingChartInputError
    );
    const many = Array.from({ length: FINDING_CHART_TARGETS_MAX + 1 }, () => [
      1, 2
    ]);
    await expect(requestChart({ targets: many })).rejects.toThrow(
      `at most ${FINDING_CHART_TARGETS_MAX}`
    );
  });
});

describe('cutoutTarget', () => {
  const item = { id: null, ra: 323.36, dec: -0.82 };

  it('is the object id when the cutout was asked by id, else the position', () => {
    expect(cutoutTarget({ ...item, id: 99 })).toBe('99');
    expect(cutoutTarget(item)).toEqual([323.36, -0.82]);
    expect(cutoutTarget({ ...item, ra: null })).toBeNull();
  });
});
