/**
 * TypeScript mirrors of the footprint and HiPS parts of the REST contract
 * (`openapi.yaml`: TileLookup, TileDetail, TileImage, TileCollection,
 * HealpixCounts, MOCJSON). Field names and JSON types are the server's.
 */

/** `GET /footprint/tiles?ra=&dec=`. */
export interface ITileLookup {
  ra: number;
  dec: number;
  /** The tile owning the position; null outside the footprint. */
  tile: string | null;
  /** Every tile whose outer area holds the position, the owner first. */
  tiles: string[];
}

/** An RA/Dec box, degrees. */
export interface IArea {
  ra_min: number;
  ra_max: number;
  dec_min: number;
  dec_max: number;
}

/** One coadd image of a tile. */
export interface ITileImage {
  band: string;
  /** The file's name. */
  file: string;
  /** Bytes. */
  size: number;
  /** Where to download it (an absolute path on this server). */
  url: string;
}

/** `GET /footprint/tiles/{tilename}`. */
export interface ITileDetail {
  name: string;
  ra: number;
  dec: number;
  /** `[ra, dec]` of the corners: south-east, south-west, north-west, north-east. */
  corners: [number, number][];
  bounds: IArea;
  unique_area: IArea | null;
  crosses_ra0: boolean;
  /** Catalog objects whose TILENAME is this tile. */
  objects: number | null;
  bands: string[];
  images: ITileImage[];
}

/** One tile outline of `GET /footprint/tiles.geojson`. */
export interface ITileFeature {
  type: 'Feature';
  id?: string;
  geometry: { type: 'Polygon'; coordinates: number[][][] };
  properties: { name: string; ra: number; dec: number; crosses_ra0: boolean };
}

/** `GET /footprint/tiles.geojson`. */
export interface ITileCollection {
  type: 'FeatureCollection';
  features: ITileFeature[];
}

/** `GET /footprint/healpix?nside=`. */
export interface IHealpixCounts {
  nside: number;
  ordering: 'NESTED';
  /** The sum of the counts. */
  total: number;
  /** Nested pixel indices, ascending. */
  pixels: number[];
  /** Objects in each pixel of `pixels`. */
  counts: number[];
}

/** `GET /footprint/moc?format=json`: `{"order": [nested pixels]}`. */
export type MOCJSON = Record<string, number[]>;
