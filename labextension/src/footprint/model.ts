/**
 * The footprint viewer's state, apart from Aladin and the DOM: which overlays
 * are loaded and shown, and the tile the user searched for or clicked.
 */
import type { ISignal } from '@lumino/signaling';
import { Signal } from '@lumino/signaling';

import { errorMessage, type IFootprintAPI } from './api';
import { formatDec, formatRA, parseSearch } from './search';
import type { ITileDetail } from './types';

/** The overlays, each toggleable. */
export type OverlayName = 'hips' | 'tiles' | 'healpix' | 'moc';

/** The overlays in the order the toolbar lists them. */
export const OVERLAYS: readonly OverlayName[] = [
  'hips',
  'tiles',
  'healpix',
  'moc'
];

/** One overlay: loaded or not, shown or not, and how many shapes it drew. */
export interface IOverlayState {
  /** `unavailable`: the server has no data for it (e.g. no HiPS built). */
  status: 'loading' | 'ready' | 'error' | 'unavailable';
  /** Whether the user wants it shown. */
  visible: boolean;
  /** Why it is unavailable or failed; empty otherwise. */
  message: string;
  /** Polygons (tiles, HEALPix pixels) or cells drawn; 0 for images. */
  count: number;
  /** The smallest and largest value drawn (the HEALPix counts' legend). */
  range?: [number, number];
}

/** A position on the sky, degrees. */
export interface IPosition {
  ra: number;
  dec: number;
}

/** The side panel's content: the selected tile, or why there is none. */
export type SelectionState =
  | { status: 'idle' }
  | { status: 'loading'; label: string }
  | { status: 'ready'; tile: ITileDetail; position: IPosition | null }
  | { status: 'outside'; message: string; position: IPosition }
  | { status: 'error'; message: string };

/** Where the view should go: a position and, optionally, a field of view. */
export interface INavigation extends IPosition {
  /** Degrees; keep the current one when absent. */
  fov?: number;
}

/** The field of view that shows a whole tile and its neighbours' edges. */
export const TILE_FOV = 1.2;

/** The viewer's state; the widgets render it and the sky view follows it. */
export class FootprintModel {
  constructor(
    api: IFootprintAPI,
    visible: Partial<Record<OverlayName, boolean>> = {}
  ) {
    this.api = api;
    for (const name of OVERLAYS) {
      this._overlays[name] = {
        status: 'loading',
        visible: visible[name] ?? true,
        message: '',
        count: 0
      };
    }
  }

  /** The server endpoints. */
  readonly api: IFootprintAPI;

  /** Emitted on any change of the overlays or the selection. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Emitted when the view should move (a search). */
  get navigate(): ISignal<this, INavigation> {
    return this._navigate;
  }

  /** The state of one overlay. */
  overlay(name: OverlayName): Readonly<IOverlayState> {
    return this._overlays[name];
  }

  get selection(): SelectionState {
    return this._selection;
  }

  /** Record what the sky view managed to load and draw. */
  setOverlayStatus(name: OverlayName, patch: Partial<IOverlayState>): void {
    this._overlays[name] = { ...this._overlays[name], ...patch };
    this._changed.emit();
  }

  /** Show or hide an overlay (ignored unless it is loaded). */
  setVisible(name: OverlayName, visible: boolean): void {
    const overlay = this._overlays[name];
    if (overlay.status !== 'ready' || overlay.visible === visible) {
      return;
    }
    this._overlays[name] = { ...overlay, visible };
    this._changed.emit();
  }

  /**
   * Search for a position or tile name (see `parseSearch`): go there and show
   * the tile holding it, or say what is wrong.
   */
  async search(text: string): Promise<void> {
    const parsed = parseSearch(text);
    if (!parsed.ok) {
      this._select({ status: 'error', message: parsed.message });
      return;
    }
    const { target } = parsed;
    if (target.kind === 'position') {
      this._navigate.emit({ ra: target.ra, dec: target.dec, fov: TILE_FOV });
      await this.selectAt(target.ra, target.dec);
      return;
    }
    const request = this._select({
      status: 'loading',
      label: `Looking up tile ${target.name}…`
    });
    try {
      const tile = await this.api.tile(target.name);
      if (request === this._request) {
        this._navigate.emit({ ra: tile.ra, dec: tile.dec, fov: TILE_FOV });
        this._select({ status: 'ready', tile, position: null });
      }
    } catch (error) {
      if (request === this._request) {
        this._select({ status: 'error', message: errorMessage(error) });
      }
    }
  }

  /** Show the tile owning a position (a click on the sky, or a search). */
  async selectAt(ra: number, dec: number): Promise<void> {
    const position = { ra, dec };
    const where = `RA ${formatRA(ra)}, Dec ${formatDec(dec)} (${ra.toFixed(4)}°, ${dec.toFixed(4)}°)`;
    const request = this._select({
      status: 'loading',
      label: `Looking up the tile at ${where}…`
    });
    try {
      const lookup = await this.api.tilesAt(ra, dec);
      if (request !== this._request) {
        return;
      }
      if (lookup.tile === null) {
        this._select({
          status: 'outside',
          position,
          message: `${where} is outside the survey's footprint: no tile holds it.`
        });
        return;
      }
      const tile = await this.api.tile(lookup.tile);
      if (request === this._request) {
        this._select({ status: 'ready', tile, position });
      }
    } catch (error) {
      if (request === this._request) {
        this._select({ status: 'error', message: errorMessage(error) });
      }
    }
  }

  /** Forget the selection. */
  clearSelection(): void {
    this._select({ status: 'idle' });
  }

  /** Set the selection; returns the number identifying it (newer is larger). */
  private _select(selection: SelectionState): number {
    this._selection = selection;
    this._request += 1; // answers to earlier requests are now stale
    this._changed.emit();
    return this._request;
  }

  private readonly _overlays = {} as Record<OverlayName, IOverlayState>;
  private _selection: SelectionState = { status: 'idle' };
  private _request = 0;
  private readonly _changed = new Signal<this, void>(this);
  private readonly _navigate = new Signal<this, INavigation>(this);
}

/** The SQL of "Query this tile": the tile's objects from DR1_MAIN. */
export function tileQuerySQL(tileName: string): string {
  const quoted = tileName.replace(/'/g, "''");
  return [
    'SELECT COADD_OBJECT_ID, RA, DEC, MAG_AUTO_G, MAG_AUTO_R, MAG_AUTO_I, MAG_AUTO_Z, MAG_AUTO_Y,',
    '       EXTENDED_CLASS_COADD',
    'FROM DR1_MAIN',
    `WHERE TILENAME = '${quoted}'`
  ].join('\n');
}

/** The "ra dec" of "Cutouts here": the chosen position, else the tile's centre. */
export function cutoutPosition(
  tile: ITileDetail,
  position: IPosition | null
): string {
  const { ra, dec } = position ?? tile;
  return `${ra.toFixed(6)} ${dec.toFixed(6)}`;
}
