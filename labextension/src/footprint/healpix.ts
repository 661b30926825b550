/**
 * HEALPix geometry in the NESTED scheme: the corners and centre of a pixel,
 * so that counts per pixel can be drawn as polygons on the sky.
 *
 * After Górski et al. (2005) and `healpix_base.cc` (`xyf2loc`): a nested index
 * is a base face (0–11) and the interleaved bits of the pixel's x and y inside
 * that face; a point (x, y) of the face, in [0, 1], maps to (z = sin Dec, RA).
 */

/** A position on the sky, degrees: `[ra, dec]` with RA in [0, 360). */
export type SkyPoint = [number, number];

/** The finest NSIDE handled: 2^13 keeps every index a safe 32-bit integer. */
export const MAX_NSIDE = 8192;

/** Each base face's ring row (in units of NSIDE) and first phi step. */
const JRLL = [2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4];
const JPLL = [1, 3, 5, 7, 0, 2, 4, 6, 1, 3, 5, 7];

/** Whether `nside` is a power of two from 1 to {@link MAX_NSIDE}. */
export function isValidNside(nside: number): boolean {
  return (
    Number.isInteger(nside) &&
    nside >= 1 &&
    nside <= MAX_NSIDE &&
    (nside & (nside - 1)) === 0
  );
}

/** The number of pixels of the whole sky at `nside`: 12 NSIDE². */
export function pixelCount(nside: number): number {
  return 12 * nside * nside;
}

/** Keep the even bits of `value` (bit 2k → bit k): the x of a nested index. */
function compactBits(value: number): number {
  let result = 0;
  for (let bit = 0; bit < 16; bit++) {
    result |= ((value >>> (2 * bit)) & 1) << bit;
  }
  return result;
}

/**
 * The base face and the in-face coordinates (ix, iy) of a nested pixel.
 *
 * @throws {RangeError} for an NSIDE that is not a power of two up to
 *   {@link MAX_NSIDE} or an index outside [0, 12 NSIDE²).
 */
export function nestedToFaceXY(
  nside: number,
  ipix: number
): { face: number; ix: number; iy: number } {
  if (!isValidNside(nside)) {
    throw new RangeError(
      `NSIDE ${nside} is not a power of 2 from 1 to ${MAX_NSIDE}`
    );
  }
  if (!Number.isInteger(ipix) || ipix < 0 || ipix >= pixelCount(nside)) {
    throw new RangeError(
      `pixel ${ipix} is outside 0…${pixelCount(nside) - 1} for NSIDE ${nside}`
    );
  }
  const perFace = nside * nside;
  const face = Math.floor(ipix / perFace);
  const inFace = ipix - face * perFace;
  return { face, ix: compactBits(inFace), iy: compactBits(inFace >>> 1) };
}

/** The sky position of the point (x, y) ∈ [0, 1]² of a base face. */
function facePointToSky(x: number, y: number, face: number): SkyPoint {
  const jr = JRLL[face] - x - y;
  let nr: number;
  let z: number;
  if (jr < 1) {
    nr = jr;
    z = 1 - (nr * nr) / 3;
  } else if (jr > 3) {
    nr = 4 - jr;
    z = (nr * nr) / 3 - 1;
  } else {
    nr = 1;
    z = ((2 - jr) * 2) / 3;
  }
  let tmp = JPLL[face] * nr + x - y;
  if (tmp < 0) {
    tmp += 8;
  }
  if (tmp >= 8) {
    tmp -= 8;
  }
  const phi = nr < 1e-15 ? 0 : (tmp * 45) / nr; // degrees: 0.5 · (π/2) · tmp / nr
  const dec = (Math.asin(Math.max(-1, Math.min(1, z))) * 180) / Math.PI;
  return [wrapRA(phi), dec];
}

/** RA wrapped into [0, 360). */
export function wrapRA(ra: number): number {
  const wrapped = ra % 360;
  return wrapped < 0 ? wrapped + 360 : wrapped === 360 ? 0 : wrapped;
}

/**
 * The four corners of a nested pixel, in the order north, west, south, east
 * (as healpy's and astropy-healpix's `boundaries`).
 *
 * The edges between them are not great circles; at NSIDE ≥ 8 the difference
 * is below a pixel's width on screen at any useful zoom.
 */
export function nestedPixelCorners(nside: number, ipix: number): SkyPoint[] {
  const { face, ix, iy } = nestedToFaceXY(nside, ipix);
  const step = 1 / nside;
  return [
    facePointToSky((ix + 1) * step, (iy + 1) * step, face),
    facePointToSky(ix * step, (iy + 1) * step, face),
    facePointToSky(ix * step, iy * step, face),
    facePointToSky((ix + 1) * step, iy * step, face)
  ];
}

/** The centre of a nested pixel. */
export function nestedPixelCentre(nside: number, ipix: number): SkyPoint {
  const { face, ix, iy } = nestedToFaceXY(nside, ipix);
  return facePointToSky((ix + 0.5) / nside, (iy + 0.5) / nside, face);
}
