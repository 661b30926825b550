/**
 * The footprint endpoints of the surveylab REST API, typed; all through
 * `requestAPI`/ServerConnection (auth and XSRF from jupyter_server).
 */
import { ServerConnection } from '@jupyterlab/services';

import { SurveylabAPIError, apiURL, requestAPI } from '../request';
import type {
  IHealpixCounts,
  ITileDetail,
  ITileLookup,
  MOCJSON
} from './types';

/** What the footprint viewer asks the server; a fake in unit tests. */
export interface IFootprintAPI {
  /** `GET /footprint/tiles.geojson` (parsed JSON, checked by `tilePolygons`). */
  tileOutlines(): Promise<unknown>;
  /** `GET /footprint/healpix?nside=`. */
  healpixCounts(nside: number): Promise<IHealpixCounts>;
  /** `GET /footprint/moc?format=json&order=`. */
  moc(order: number): Promise<MOCJSON>;
  /** `GET /footprint/tiles?ra=&dec=`. */
  tilesAt(ra: number, dec: number): Promise<ITileLookup>;
  /** `GET /footprint/tiles/{name}`. */
  tile(name: string): Promise<ITileDetail>;
  /** The survey's HiPS, or why there is none. */
  hips(): Promise<IHiPSStatus>;
}

/** Whether the survey has a HiPS: its base URL and properties, or a hint. */
export type IHiPSStatus =
  | {
      available: true;
      url: string;
      properties: Partial<Record<string, string>>;
    }
  | { available: false; message: string };

/** The hint shown when no HiPS has been built (the server's 404). */
export const HIPS_MISSING_HINT =
  'No HiPS has been built for this release: run `surveylab hips build`.';

/**
 * Parse a HiPS `properties` file (`key = value` lines, `#` comments).
 */
export function parseHiPSProperties(
  text: string
): Partial<Record<string, string>> {
  const properties: Partial<Record<string, string>> = {};
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (trimmed.length === 0 || trimmed.startsWith('#')) {
      continue;
    }
    const equals = trimmed.indexOf('=');
    if (equals <= 0) {
      continue;
    }
    properties[trimmed.slice(0, equals).trim()] = trimmed
      .slice(equals + 1)
      .trim();
  }
  return properties;
}

/** The REST implementation of {@link IFootprintAPI}. */
export class FootprintAPI implements IFootprintAPI {
  constructor(
    settings: ServerConnection.ISettings = ServerConnection.makeSettings()
  ) {
    this._settings = settings;
  }

  tileOutlines(): Promise<unknown> {
    return requestAPI<unknown>('footprint/tiles.geojson', {}, this._settings);
  }

  healpixCounts(nside: number): Promise<IHealpixCounts> {
    return requestAPI<IHealpixCounts>(
      `footprint/healpix?nside=${encodeURIComponent(nside)}`,
      {},
      this._settings
    );
  }

  moc(order: number): Promise<MOCJSON> {
    return requestAPI<MOCJSON>(
      `footprint/moc?format=json&order=${encodeURIComponent(order)}`,
      {},
      this._settings
    );
  }

  tilesAt(ra: number, dec: number): Promise<ITileLookup> {
    const query = `ra=${encodeURIComponent(ra)}&dec=${encodeURIComponent(dec)}`;
    return requestAPI<ITileLookup>(
      `footprint/tiles?${query}`,
      {},
      this._settings
    );
  }

  tile(name: string): Promise<ITileDetail> {
    return requestAPI<ITileDetail>(
      `footprint/tiles/${encodeURIComponent(name)}`,
      {},
      this._settings
    );
  }

  async hips(): Promise<IHiPSStatus> {
    // The properties file is text, not JSON: ask ServerConnection directly.
    const base = apiURL('hips', this._settings);
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        `${base}/properties`,
        {},
        this._settings
      );
    } catch (error) {
      return {
        available: false,
        message: `Cannot reach the surveylab server: ${String(error)}`
      };
    }
    if (response.status === 404) {
      return { available: false, message: HIPS_MISSING_HINT };
    }
    if (!response.ok) {
      return {
        available: false,
        message: `The HiPS is not available (HTTP ${response.status}).`
      };
    }
    const properties = parseHiPSProperties(await response.text());
    // Aladin Lite needs an absolute URL: a relative one is looked up at CDS.
    const url = new URL(base, globalThis.location.href).href;
    return { available: true, url, properties };
  }

  private readonly _settings: ServerConnection.ISettings;
}

/** The message of an error for the user (the server's own when it sent one). */
export function errorMessage(error: unknown): string {
  if (error instanceof SurveylabAPIError) {
    return error.message;
  }
  return error instanceof Error ? error.message : String(error);
}
