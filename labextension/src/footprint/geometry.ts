/**
 * The footprint's overlays as plain polygons: tile outlines from GeoJSON and
 * HEALPix counts as coloured pixels. Pure functions, no Aladin.
 */
import type { IColourScale } from './colour';
import { nestedPixelCorners, wrapRA } from './healpix';
import type { SkyPoint } from './healpix';
import type { IHealpixCounts } from './types';

/** A tile outline to draw: its name and corners, RA in [0, 360). */
export interface ITilePolygon {
  name: string;
  vertices: SkyPoint[];
}

/** A HEALPix pixel to draw, with its count and colour. */
export interface IHealpixCell {
  pixel: number;
  count: number;
  colour: string;
  vertices: SkyPoint[];
}

/**
 * The tile outlines of a `tiles.geojson` FeatureCollection.
 *
 * GeoJSON longitudes (RA wrapped into [-180, 180)) become RA in [0, 360); the
 * ring's closing vertex (a repeat of the first) is dropped.
 *
 * @throws {Error} naming the feature when the document is not a
 *   FeatureCollection of polygons with at least three `[lon, lat]` vertices.
 */
export function tilePolygons(geojson: unknown): ITilePolygon[] {
  if (!isRecord(geojson) || geojson.type !== 'FeatureCollection') {
    throw new Error('the tile outlines are not a GeoJSON FeatureCollection');
  }
  if (!Array.isArray(geojson.features)) {
    throw new Error('the tile outlines have no "features" list');
  }
  return geojson.features.map((feature: unknown, index: number) =>
    tilePolygon(feature, index)
  );
}

function tilePolygon(feature: unknown, index: number): ITilePolygon {
  const where = `tile outline ${index + 1}`;
  if (!isRecord(feature) || !isRecord(feature.geometry)) {
    throw new Error(`${where} is not a GeoJSON Feature with a geometry`);
  }
  const properties = isRecord(feature.properties) ? feature.properties : {};
  const name =
    typeof properties.name === 'string'
      ? properties.name
      : typeof feature.id === 'string'
        ? feature.id
        : `#${index + 1}`;
  const { geometry } = feature;
  const rings = geometry.coordinates;
  if (geometry.type !== 'Polygon' || !Array.isArray(rings)) {
    throw new Error(`${where} (${name}) is not a Polygon`);
  }
  const ring: unknown = rings[0];
  if (!Array.isArray(ring)) {
    throw new Error(`${where} (${name}) has no outer ring`);
  }
  const vertices: SkyPoint[] = ring.map((point: unknown, vertex: number) => {
    if (
      !Array.isArray(point) ||
      point.length < 2 ||
      !Number.isFinite(point[0]) ||
      !Number.isFinite(point[1])
    ) {
      throw new Error(
        `${where} (${name}): vertex ${vertex + 1} is not a [lon, lat] pair of numbers`
      );
    }
    return [wrapRA(point[0] as number), point[1] as number];
  });
  const first = vertices[0];
  const last = vertices[vertices.length - 1];
  if (vertices.length > 1 && first[0] === last[0] && first[1] === last[1]) {
    vertices.pop();
  }
  if (vertices.length < 3) {
    throw new Error(`${where} (${name}) has fewer than three vertices`);
  }
  return { name, vertices };
}

/**
 * The HEALPix pixels of a counts answer as coloured polygons.
 *
 * @throws {Error} when `pixels` and `counts` differ in length, or a pixel is
 *   not valid for the answer's NSIDE.
 */
export function healpixCells(
  counts: IHealpixCounts,
  scale: IColourScale
): IHealpixCell[] {
  if (counts.pixels.length !== counts.counts.length) {
    throw new Error(
      `the HEALPix answer has ${counts.pixels.length} pixels but ${counts.counts.length} counts`
    );
  }
  return counts.pixels.map((pixel, index) => {
    const count = counts.counts[index];
    return {
      pixel,
      count,
      colour: scale.colour(count),
      vertices: nestedPixelCorners(counts.nside, pixel)
    };
  });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
