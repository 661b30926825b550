import {
  SummaryFormatError,
  classifyFiles,
  itemTitle,
  parseSummary
} from '../src/gallery/summary';

const NAME = 'DES2134-0041_DESJ213326.40-004912.0';
const FILES = ['g', 'r', 'i']
  .flatMap(band => [`${NAME}_${band}.fits`, `${NAME}_${band}.png`])
  .concat([`${NAME}_irg.png`, `${NAME}_irg.jpg`]);

/** A summary.json as the server writes it (trimmed to what the gallery reads). */
const SUMMARY = {
  release: 'DEMO DR1',
  counts: { positions: 3, ok: 2, error: 1 },
  rejected: [{ row: 5, error: "line 5: RA is not a number: 'foo'" }],
  positions: [
    {
      row: 4,
      ra: 10,
      dec: 60,
      id: null,
      name: null,
      tile: null,
      tiles: [],
      stitched: false,
      status: 'error',
      error: 'row 4: outside the footprint: no tile holds this position',
      files: []
    },
    {
      row: 2,
      ra: 323.36,
      dec: -0.82,
      id: null,
      name: NAME,
      tile: 'DES2134-0041',
      stitched: false,
      status: 'ok',
      coverage: 1.0,
      files: FILES
    },
    {
      row: 3,
      ra: 323.4,
      dec: -0.8,
      id: 100020180,
      name: 'DES2134-0041_100020180',
      tile: 'DES2134-0041',
      stitched: true,
      status: 'ok',
      coverage: 0.75,
      files: ['DES2134-0041_100020180_i.fits']
    }
  ]
};

describe('classifyFiles', () => {
  it('sorts FITS, previews and the colour image by band', () => {
    expect(classifyFiles(NAME, FILES)).toEqual({
      fits: ['g', 'r', 'i'].map(band => ({
        band,
        file: `${NAME}_${band}.fits`
      })),
      previews: ['g', 'r', 'i'].map(band => ({
        band,
        file: `${NAME}_${band}.png`
      })),
      colour: {
        bands: 'irg',
        png: `${NAME}_irg.png`,
        jpeg: `${NAME}_irg.jpg`
      },
      thumbnail: `${NAME}_irg.jpg`
    });
  });

  it.each<[string, string[], string | null]>([
    ['the colour JPEG first', FILES, `${NAME}_irg.jpg`],
    [
      'the colour PNG without a JPEG',
      FILES.filter(f => !f.endsWith('.jpg')),
      `${NAME}_irg.png`
    ],
    [
      'the first preview without a colour image',
      [`${NAME}_z.fits`, `${NAME}_z.png`],
      `${NAME}_z.png`
    ],
    ['nothing for FITS only', [`${NAME}_i.fits`], null]
  ])('takes %s as the thumbnail', (_, files, thumbnail) => {
    expect(classifyFiles(NAME, files).thumbnail).toBe(thumbnail);
  });

  it("ignores another cutout's files", () => {
    expect(classifyFiles(NAME, [`${NAME}-2_i.fits`]).fits).toEqual([]);
  });
});

describe('parseSummary', () => {
  it('gives one item per position and refused row, in request order', () => {
    const summary = parseSummary(SUMMARY);

    expect(summary.release).toBe('DEMO DR1');
    expect(summary.counts).toEqual({ positions: 4, ok: 2, error: 2 });
    expect(summary.items.map(item => [item.row, item.key, item.ok])).toEqual([
      [2, NAME, true],
      [3, 'DES2134-0041_100020180', true],
      [4, 'row-4', false],
      [5, 'row-5', false]
    ]);
    const [cut, stitched, outside, refused] = summary.items;
    expect(cut.thumbnail).toBe(`${NAME}_irg.jpg`);
    expect(cut.error).toBeNull();
    expect(stitched).toMatchObject({
      stitched: true,
      coverage: 0.75,
      id: 100020180,
      thumbnail: null
    });
    expect(outside.error).toBe(
      'row 4: outside the footprint: no tile holds this position'
    );
    expect(outside.fits).toEqual([]);
    expect(refused.error).toBe("line 5: RA is not a number: 'foo'");
  });

  it.each<[string, unknown, string]>([
    ['not an object', [], 'it must be a JSON object'],
    ['no positions', { release: 'x' }, 'positions must be an array'],
    ['a position that is not an object', { positions: [1] }, 'positions[0]'],
    [
      'a position without a row',
      { positions: [{ name: 'x' }] },
      'positions[0].row must be an integer'
    ],
    [
      'a refused row without a row',
      { positions: [], rejected: [{ error: 'x' }] },
      'rejected[0] must have an integer row'
    ]
  ])('refuses %s', (_, data, message) => {
    expect(() => parseSummary(data)).toThrow(SummaryFormatError);
    expect(() => parseSummary(data)).toThrow(message);
  });
});

describe('itemTitle', () => {
  it.each([
    ['the DES name without the tile', 0, 'DESJ213326.40-004912.0'],
    ['the object id of an id cutout', 1, '100020180'],
    ['the position when not cut', 2, '10.0000 60.0000'],
    ['the row when nothing else', 3, 'row 5']
  ])('shows %s', (_, index, title) => {
    expect(itemTitle(parseSummary(SUMMARY).items[index])).toBe(title);
  });
});
