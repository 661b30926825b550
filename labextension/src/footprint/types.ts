/**
 * The footprint and HiPS parts of the REST contract, named from the types
 * generated from `openapi.yaml` (see `../types.ts`).
 */
import type { Schemas } from '../types';

/** `GET /footprint/tiles?ra=&dec=`. */
export type ITileLookup = Schemas['TileLookup'];

/** An RA/Dec box, degrees. */
export type IArea = Schemas['Area'];

/** One coadd image of a tile. */
export type ITileImage = Schemas['TileImage'];

/** `GET /footprint/tiles/{tilename}`. */
export type ITileDetail = Schemas['TileDetail'];

/** One tile outline of `GET /footprint/tiles.geojson`. */
export type ITileFeature = Schemas['TileFeature'];

/** `GET /footprint/tiles.geojson`. */
export type ITileCollection = Schemas['TileCollection'];

/** `GET /footprint/healpix?nside=`. */
export type IHealpixCounts = Schemas['HealpixCounts'];

/** `GET /footprint/moc?format=json`: `{"order": [nested pixels]}`. */
export type MOCJSON = Schemas['MOCJSON'];
