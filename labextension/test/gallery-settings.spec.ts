import { DEFAULT_SETTINGS, readSettings } from '../src/gallery/settings';

describe('readSettings', () => {
  it('takes good values', () => {
    expect(
      readSettings({
        thumbnailSize: 96,
        bands: ['g', 'i'],
        labelNames: ['unsure', 'star', 'galaxy']
      })
    ).toEqual({
      thumbnailSize: 96,
      bands: ['g', 'i'],
      labelNames: ['unsure', 'star', 'galaxy']
    });
  });

  it.each<[string, Record<string, unknown>]>([
    ['nothing', {}],
    ['a size too small', { thumbnailSize: 8 }],
    ['a size that is not a number', { thumbnailSize: 'big' }],
    ['no bands', { bands: [] }],
    ['an empty band', { bands: ['g', ''] }]
  ])('falls back to the defaults for %s', (_, composite) => {
    const settings = readSettings(composite);
    expect(settings.thumbnailSize).toBe(DEFAULT_SETTINGS.thumbnailSize);
    expect(settings.bands).toEqual(DEFAULT_SETTINGS.bands);
  });

  it('keeps ten label names at most, blank for non-strings', () => {
    const names = readSettings({
      labelNames: ['a', 3, ...Array.from({ length: 12 }, () => 'x')]
    }).labelNames;
    expect(names).toHaveLength(10);
    expect(names.slice(0, 3)).toEqual(['a', '', 'x']);
  });
});
