import {
  nestedPixelCentre,
  nestedPixelCorners,
  nestedToFaceXY,
  pixelCount,
  wrapRA
} from '../src/footprint/healpix';
import type { SkyPoint } from '../src/footprint/healpix';

/** asin(2/3): the latitude where HEALPix's polar caps meet the equatorial belt. */
const CAP_EDGE = (Math.asin(2 / 3) * 180) / Math.PI;

/** Angular distance between two positions, degrees. */
function separation([ra1, dec1]: SkyPoint, [ra2, dec2]: SkyPoint): number {
  const rad = Math.PI / 180;
  const cos =
    Math.sin(dec1 * rad) * Math.sin(dec2 * rad) +
    Math.cos(dec1 * rad) * Math.cos(dec2 * rad) * Math.cos((ra1 - ra2) * rad);
  return Math.acos(Math.min(1, Math.max(-1, cos))) / rad;
}

function expectSamePoint(actual: SkyPoint, expected: SkyPoint): void {
  expect(separation(actual, expected)).toBeLessThan(1e-6);
}

describe('nestedPixelCorners', () => {
  // The twelve base pixels (NSIDE 1) are known in closed form: the four
  // around the north pole, the four on the equator, the four around the south.
  it.each([
    [
      0,
      [
        [0, 90],
        [0, CAP_EDGE],
        [45, 0],
        [90, CAP_EDGE]
      ]
    ],
    [
      3,
      [
        [0, 90],
        [270, CAP_EDGE],
        [315, 0],
        [0, CAP_EDGE]
      ]
    ],
    [
      4,
      [
        [0, CAP_EDGE],
        [315, 0],
        [0, -CAP_EDGE],
        [45, 0]
      ]
    ],
    [
      8,
      [
        [45, 0],
        [0, -CAP_EDGE],
        [0, -90],
        [90, -CAP_EDGE]
      ]
    ]
  ] as [number, SkyPoint[]][])('base pixel %i', (pixel, corners) => {
    const actual = nestedPixelCorners(1, pixel);
    expect(actual).toHaveLength(4);
    // At a pole RA is undefined: compare positions, not numbers.
    actual.forEach((corner, index) => {
      expectSamePoint(corner, corners[index]);
    });
  });

  // Reference values from astropy-healpix 1.x:
  // HEALPix(nside, order='nested').boundaries_lonlat([pixel], step=1).
  it.each([
    [
      32,
      0,
      [
        [45, 2.388015],
        [43.59375, 1.193748],
        [45, 0],
        [46.40625, 1.193748]
      ]
    ],
    [
      32,
      4500,
      [
        [19.6875, 0],
        [18.28125, -1.193748],
        [19.6875, -2.388015],
        [21.09375, -1.193748]
      ]
    ],
    [
      32,
      12287,
      [
        [315, 0],
        [313.59375, -1.193748],
        [315, -2.388015],
        [316.40625, -1.193748]
      ]
    ]
  ] as [number, number, SkyPoint[]][])(
    'NSIDE %i pixel %i matches astropy-healpix',
    (nside, pixel, corners) => {
      nestedPixelCorners(nside, pixel).forEach((corner, index) => {
        expect(corner[0]).toBeCloseTo(corners[index][0], 5);
        expect(corner[1]).toBeCloseTo(corners[index][1], 5);
      });
    }
  );

  it("shares its outer corners with its four children (the nested scheme's subdivision)", () => {
    for (const pixel of [0, 17, 4500, 7000, 12287]) {
      const [north, west, south, east] = nestedPixelCorners(32, pixel);
      const child = (k: number) => nestedPixelCorners(64, 4 * pixel + k);
      // Child 0 holds the south corner, 1 the east, 2 the west, 3 the north.
      expectSamePoint(child(0)[2], south);
      expectSamePoint(child(1)[3], east);
      expectSamePoint(child(2)[1], west);
      expectSamePoint(child(3)[0], north);
    }
  });

  it('tiles the sky: every pixel is about 4π/12N² in size at NSIDE 8', () => {
    const nside = 8;
    const expectedSide =
      Math.sqrt((4 * Math.PI) / pixelCount(nside)) * (180 / Math.PI);
    for (let pixel = 0; pixel < pixelCount(nside); pixel++) {
      const corners = nestedPixelCorners(nside, pixel);
      const centre = nestedPixelCentre(nside, pixel);
      const diagonals = [
        separation(corners[0], corners[2]),
        separation(corners[1], corners[3])
      ];
      // Pixels are diamonds of equal area: diagonals within a factor ~2 of √2 × side.
      for (const diagonal of diagonals) {
        expect(diagonal).toBeGreaterThan(0.5 * expectedSide);
        expect(diagonal).toBeLessThan(2.5 * expectedSide);
      }
      // The centre lies inside, closer to every corner than the diagonal.
      for (const corner of corners) {
        expect(separation(centre, corner)).toBeLessThan(Math.max(...diagonals));
      }
      for (const [ra, dec] of corners) {
        expect(ra).toBeGreaterThanOrEqual(0);
        expect(ra).toBeLessThan(360);
        expect(Math.abs(dec)).toBeLessThanOrEqual(90);
      }
    }
  });
});

describe('nestedPixelCentre', () => {
  it.each([
    [1, 4, [0, 0]],
    [32, 4500, [19.6875, -1.19374844]],
    [32, 0, [45, 1.19374844]]
  ] as [number, number, SkyPoint][])(
    'NSIDE %i pixel %i (astropy-healpix healpix_to_lonlat)',
    (nside, pixel, centre) => {
      expectSamePoint(nestedPixelCentre(nside, pixel), centre);
    }
  );
});

describe('nestedToFaceXY', () => {
  it('de-interleaves the bits of the in-face index', () => {
    // 0b1110 in face 2 of NSIDE 4: x = bits 0, 2 = (0, 1) → 2; y = bits 1, 3 = (1, 1) → 3.
    expect(nestedToFaceXY(4, 2 * 16 + 0b1110)).toEqual({
      face: 2,
      ix: 2,
      iy: 3
    });
  });

  it.each([
    [3, 0, 'NSIDE 3 is not a power of 2'],
    [0, 0, 'NSIDE 0 is not a power of 2'],
    [16384, 0, 'NSIDE 16384 is not a power of 2 from 1 to 8192'],
    [32, 12288, 'pixel 12288 is outside 0…12287 for NSIDE 32'],
    [32, -1, 'pixel -1 is outside'],
    [32, 1.5, 'pixel 1.5 is outside']
  ])('refuses NSIDE %p, pixel %p', (nside, pixel, message) => {
    expect(() => nestedToFaceXY(nside, pixel)).toThrow(message);
  });
});

describe('wrapRA', () => {
  it.each([
    [0, 0],
    [360, 0],
    [-10, 350],
    [725, 5],
    [-0.5, 359.5]
  ])('%f → %f', (ra, wrapped) => {
    expect(wrapRA(ra)).toBeCloseTo(wrapped, 12);
  });
});
