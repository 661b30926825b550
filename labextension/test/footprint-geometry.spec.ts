import { logColourScale, viridis } from '../src/footprint/colour';
import { healpixCells, tilePolygons } from '../src/footprint/geometry';
import { nestedPixelCorners } from '../src/footprint/healpix';

/** A tiles.geojson feature as the server writes it (lon in [-180, 180)). */
function feature(name: string, ring: unknown[][]) {
  return {
    type: 'Feature',
    id: name,
    geometry: { type: 'Polygon', coordinates: [ring] },
    properties: { name, ra: 0, dec: 0, crosses_ra0: false }
  };
}

describe('tilePolygons', () => {
  it('turns longitudes into RA in [0, 360) and drops the closing vertex', () => {
    const m2 = feature('DES2134-0041', [
      [-36.087, -1.0625],
      [-36.817, -1.0625],
      [-36.817, -0.332],
      [-36.087, -0.332],
      [-36.087, -1.0625]
    ]);
    const [polygon] = tilePolygons({
      type: 'FeatureCollection',
      features: [m2]
    });
    expect(polygon.name).toBe('DES2134-0041');
    expect(polygon.vertices).toHaveLength(4);
    expect(polygon.vertices[0][0]).toBeCloseTo(323.913, 9);
    expect(polygon.vertices[1][0]).toBeCloseTo(323.183, 9);
    expect(polygon.vertices[2]).toEqual([expect.closeTo(323.183, 9), -0.332]);
  });

  it('keeps a tile across RA 0 on both sides of it', () => {
    const ra0 = feature('DES2359+0001', [
      [0.365, -0.33],
      [-0.365, -0.33],
      [-0.365, 0.4],
      [0.365, 0.4]
    ]);
    const [polygon] = tilePolygons({
      type: 'FeatureCollection',
      features: [ra0]
    });
    expect(polygon.vertices.map(([ra]) => ra)).toEqual([
      0.365,
      expect.closeTo(359.635, 9),
      expect.closeTo(359.635, 9),
      0.365
    ]);
  });

  it('reads every feature, in order', () => {
    const square = [
      [1, 1],
      [2, 1],
      [2, 2],
      [1, 2]
    ];
    const names = ['A', 'B', 'C'];
    const polygons = tilePolygons({
      type: 'FeatureCollection',
      features: names.map(name => feature(name, square))
    });
    expect(polygons.map(p => p.name)).toEqual(names);
  });

  it.each([
    ['not an object', 42, 'not a GeoJSON FeatureCollection'],
    ['another type', { type: 'Feature' }, 'not a GeoJSON FeatureCollection'],
    ['no features', { type: 'FeatureCollection' }, 'no "features" list'],
    [
      'a point',
      {
        type: 'FeatureCollection',
        features: [
          {
            type: 'Feature',
            geometry: { type: 'Point', coordinates: [1, 2] },
            properties: { name: 'X' }
          }
        ]
      },
      'tile outline 1 (X) is not a Polygon'
    ],
    [
      'a bad vertex',
      {
        type: 'FeatureCollection',
        features: [
          feature('A', [
            [1, 1],
            [2, 1],
            [2, 2],
            [1, 2]
          ]),
          feature('B', [
            [1, 1],
            ['x', 1],
            [2, 2]
          ])
        ]
      },
      'tile outline 2 (B): vertex 2 is not a [lon, lat] pair of numbers'
    ],
    [
      'two vertices',
      {
        type: 'FeatureCollection',
        features: [
          feature('C', [
            [1, 1],
            [2, 2],
            [1, 1]
          ])
        ]
      },
      'tile outline 1 (C) has fewer than three vertices'
    ]
  ])('refuses %s with a message naming it', (_, geojson, message) => {
    expect(() => tilePolygons(geojson)).toThrow(message);
  });
});

describe('healpixCells', () => {
  it('gives each pixel its corners, count and colour', () => {
    const counts = {
      nside: 32,
      ordering: 'NESTED' as const,
      total: 111,
      pixels: [4500, 4501],
      counts: [10, 101]
    };
    const scale = logColourScale(counts.counts);
    const cells = healpixCells(counts, scale);
    expect(cells).toHaveLength(2);
    expect(cells[0]).toEqual({
      pixel: 4500,
      count: 10,
      colour: viridis(0),
      vertices: nestedPixelCorners(32, 4500)
    });
    expect(cells[1].colour).toBe(viridis(1));
  });

  it('refuses pixels and counts of different lengths', () => {
    const counts = {
      nside: 32,
      ordering: 'NESTED' as const,
      total: 1,
      pixels: [1, 2],
      counts: [1]
    };
    expect(() => healpixCells(counts, logColourScale([1]))).toThrow(
      'the HEALPix answer has 2 pixels but 1 counts'
    );
  });

  it('refuses a pixel that NSIDE does not have', () => {
    const counts = {
      nside: 2,
      ordering: 'NESTED' as const,
      total: 1,
      pixels: [48],
      counts: [1]
    };
    expect(() => healpixCells(counts, logColourScale([1]))).toThrow(
      'pixel 48 is outside 0…47 for NSIDE 2'
    );
  });
});

describe('viridis', () => {
  it.each([
    [0, '#440154'],
    [1, '#fde725'],
    [0.5, '#21908d'],
    [-1, '#440154'],
    [2, '#fde725'],
    [Number.NaN, '#440154']
  ])('at %f is %s', (t, colour) => {
    expect(viridis(t)).toBe(colour);
  });

  it('interpolates between its stops', () => {
    // Halfway between the first two stops (68,1,84) and (71,44,122).
    expect(viridis(1 / 16)).toBe('#461767'); // (69.5→70, 22.5→23, 103)
  });
});

describe('logColourScale', () => {
  it('places counts by their logarithm between the smallest and largest', () => {
    const scale = logColourScale([1, 10, 100, 1000]);
    expect([scale.min, scale.max]).toEqual([1, 1000]);
    expect(scale.position(1)).toBe(0);
    expect(scale.position(10)).toBeCloseTo(1 / 3, 12);
    expect(scale.position(100)).toBeCloseTo(2 / 3, 12);
    expect(scale.position(1000)).toBe(1);
    expect(scale.colour(1000)).toBe(viridis(1));
  });

  it('clamps counts outside its range', () => {
    const scale = logColourScale([10, 100]);
    expect(scale.position(1)).toBe(0);
    expect(scale.position(5000)).toBe(1);
    expect(scale.position(0)).toBe(0);
  });

  it('ignores zeros and gives one colour to a single value', () => {
    const scale = logColourScale([0, 7, 7]);
    expect([scale.min, scale.max]).toEqual([7, 7]);
    expect(scale.colour(7)).toBe(viridis(1));
  });
});
