/**
 * The sky: Aladin Lite, loaded on first show (a dynamic import keeps its
 * 2.4 MB, WASM inlined, out of JupyterLab's start), with the survey's own HiPS
 * as the base image and the footprint overlays drawn on it.
 */
import type {
  IAladin,
  IAladinGraphicOverlay,
  IAladinHiPS,
  IAladinMOC,
  IAladinStatic
} from 'aladin-lite';
import type { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { errorMessage, type IHiPSStatus } from './api';
import { logColourScale } from './colour';
import { healpixCells, tilePolygons } from './geometry';
import { wrapRA } from './healpix';
import { formatDec, formatRA } from './search';
import type {
  FootprintModel,
  INavigation,
  IOverlayState,
  OverlayName
} from './model';

/** The performance mark set once Aladin and the tile and HEALPix overlays are drawn. */
export const DRAWN_MARK = 'surveylab:footprint-drawn';

/** Colours of the overlays on the (always dark) sky. */
const TILE_COLOUR = '#4dd0e1';
const MOC_COLOUR = '#ffb74d';
const SELECTED_COLOUR = '#ffee58';
/** The view before anything is known: the demo survey's M2 field. */
const DEFAULT_VIEW: INavigation = { ra: 323.36, dec: -0.82, fov: 4 };

/** What the sky draws: the HEALPix NSIDE of the counts and the MOC's order. */
export interface ISkyOptions {
  healpixNside: number;
  mocOrder: number;
}

/**
 * The Aladin Lite view of the footprint. Its node's data attributes say what
 * was drawn (for tests and benchmarks): `data-state` (`loading`, `ready`,
 * `error`), `data-tile-polygons`, `data-healpix-polygons`, `data-moc` (MOC
 * cells), `data-hips` (`ready`, `unavailable`, `error`), `data-hidden` (the
 * loaded layers not shown), `data-selected-tile` and `data-drawn`.
 */
export class SkyView extends Widget {
  constructor(model: FootprintModel, options: ISkyOptions) {
    super();
    this.addClass('sl-FootprintSky');
    this.node.dataset.testid = 'footprint-sky';
    this.node.dataset.state = 'loading';
    this._model = model;
    this._options = options;
    this._host = document.createElement('div');
    this._host.className = 'sl-FootprintSky-aladin';
    this._cursor = document.createElement('div');
    this._cursor.className = 'sl-FootprintSky-cursor';
    this._cursor.dataset.testid = 'footprint-cursor';
    this._cursor.setAttribute('aria-live', 'off');
    this._message = document.createElement('div');
    this._message.className = 'sl-FootprintSky-message';
    this._message.setAttribute('role', 'status');
    this._message.textContent = 'Loading the sky viewer…';
    this.node.append(this._host, this._cursor, this._message);
    model.changed.connect(this._sync, this);
    model.navigate.connect(this._onNavigate, this);
  }

  /** The Aladin instance, once loaded. */
  get aladin(): IAladin | null {
    return this._aladin;
  }

  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    this._model.changed.disconnect(this._sync, this);
    this._model.navigate.disconnect(this._onNavigate, this);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    if (!this._started) {
      this._started = true;
      void this._start();
    }
  }

  /** Fetch the overlays while Aladin loads, then draw them. */
  private async _start(): Promise<void> {
    const api = this._model.api;
    const hips = api.hips().catch((error: unknown): IHiPSStatus => ({
      available: false,
      message: errorMessage(error)
    }));
    const tiles = api.tileOutlines();
    const healpix = api.healpixCounts(this._options.healpixNside);
    const moc = api.moc(this._options.mocOrder);
    // Unhandled-rejection guards: each is awaited (and its error shown) below.
    for (const promise of [tiles, healpix, moc]) {
      promise.catch(() => undefined);
    }

    let A: IAladinStatic;
    try {
      A = (await import('aladin-lite')).default;
      await A.init;
    } catch (error) {
      this._fail(
        `The sky viewer cannot start: ${String(error)}. It needs a browser with WebGL2.`
      );
      return;
    }
    if (this._closed()) {
      return;
    }
    this._A = A;

    const hipsStatus = await hips;
    if (this._closed()) {
      return;
    }
    const start = this._pendingNavigation ?? initialView(hipsStatus);
    let aladin: IAladin;
    try {
      aladin = A.aladin(this._host, {
        survey: [], // no default survey: Aladin's is on a CDN
        hipsList: [],
        target: `${start.ra} ${start.dec}`,
        fov: start.fov ?? DEFAULT_VIEW.fov,
        cooFrame: 'ICRS',
        projection: 'SIN',
        backgroundColor: 'rgb(0, 0, 0)',
        log: false,
        samp: false,
        showReticle: false,
        showLayersControl: false,
        showSimbadPointerControl: false,
        showSettingsControl: false,
        showShareControl: false,
        showContextMenu: false,
        showProjectionControl: false,
        showFullscreenControl: false,
        showCooGridControl: false,
        showStatusBar: false,
        showZoomControl: true,
        // ICRS only, and no Aladin location box: a name typed there is sent to
        // CDS's Sesame, which an offline lab cannot reach. The cursor's
        // position shows in our own readout instead.
        showFrame: false,
        showCooLocation: false,
        showFov: true
      });
    } catch (error) {
      this._fail(`The sky viewer cannot start: ${String(error)}.`);
      return;
    }
    this._aladin = aladin;
    this._pendingNavigation = null;
    this._message.textContent = '';
    this._message.hidden = true;
    aladin.on('mouseMove', (...args: unknown[]) => {
      this._showCursor(args[0]);
    });
    aladin.on('click', event => {
      if (!event.isDragging && Number.isFinite(event.ra)) {
        void this._model.selectAt(wrapRA(event.ra), event.dec);
      }
    });

    this._showHiPS(A, aladin, hipsStatus);
    // HEALPix first, so that the tile outlines are drawn over the cells.
    await this._drawHealpix(A, aladin, healpix);
    await this._drawTiles(A, aladin, tiles);
    this._selectionOverlay = A.graphicOverlay({
      name: 'Selected tile',
      color: SELECTED_COLOUR,
      lineWidth: 3
    });
    aladin.addOverlay(this._selectionOverlay);
    this.node.dataset.state = 'ready';
    this._sync();
    // The graphic overlays are painted on the next frames.
    await nextFrame();
    await nextFrame();
    performance.mark(DRAWN_MARK);
    this.node.dataset.drawn = 'true';
    await this._drawMOC(A, aladin, moc);
  }

  private _showHiPS(
    A: IAladinStatic,
    aladin: IAladin,
    status: IHiPSStatus
  ): void {
    if (!status.available) {
      this._setStatus('hips', {
        status: 'unavailable',
        message: status.message
      });
      return;
    }
    try {
      const layer = A.imageHiPS(status.url, {
        name: status.properties.obs_title ?? 'Survey HiPS',
        imgFormat: status.properties.hips_tile_format?.split(/\s+/)[0]
      });
      aladin.setBaseImageLayer(layer);
      this._hips = layer;
      this._setStatus('hips', { status: 'ready', message: '' });
    } catch (error) {
      this._setStatus('hips', {
        status: 'error',
        message: errorMessage(error)
      });
    }
  }

  private async _drawHealpix(
    A: IAladinStatic,
    aladin: IAladin,
    answer: ReturnType<FootprintModel['api']['healpixCounts']>
  ): Promise<void> {
    try {
      const counts = await answer;
      const scale = logColourScale(counts.counts);
      const cells = healpixCells(counts, scale);
      const overlay = A.graphicOverlay({
        name: 'HEALPix counts',
        lineWidth: 1
      });
      aladin.addOverlay(overlay);
      overlay.addFootprints(
        cells.map(cell =>
          A.polygon(cell.vertices, {
            fill: true,
            fillColor: cell.colour,
            color: cell.colour,
            opacity: 0.3
          })
        )
      );
      this._layers.healpix = overlay;
      this.node.dataset.healpixPolygons = String(cells.length);
      this._setStatus('healpix', {
        status: 'ready',
        message: '',
        count: cells.length,
        range: [scale.min, scale.max]
      });
    } catch (error) {
      this._setStatus('healpix', {
        status: 'error',
        message: `HEALPix counts: ${errorMessage(error)}`
      });
    }
  }

  private async _drawTiles(
    A: IAladinStatic,
    aladin: IAladin,
    answer: Promise<unknown>
  ): Promise<void> {
    try {
      const polygons = tilePolygons(await answer);
      const overlay = A.graphicOverlay({
        name: 'Tiles',
        color: TILE_COLOUR,
        lineWidth: 1
      });
      aladin.addOverlay(overlay);
      overlay.addFootprints(polygons.map(tile => A.polygon(tile.vertices)));
      this._layers.tiles = overlay;
      this.node.dataset.tilePolygons = String(polygons.length);
      this._setStatus('tiles', {
        status: 'ready',
        message: '',
        count: polygons.length
      });
    } catch (error) {
      this._setStatus('tiles', {
        status: 'error',
        message: `Tile outlines: ${errorMessage(error)}`
      });
    }
  }

  private async _drawMOC(
    A: IAladinStatic,
    aladin: IAladin,
    answer: ReturnType<FootprintModel['api']['moc']>
  ): Promise<void> {
    try {
      const json = await answer;
      const cells = Object.values(json).reduce(
        (sum, list) => sum + list.length,
        0
      );
      const moc = A.MOCFromJSON(json, {
        name: 'Release MOC',
        color: MOC_COLOUR,
        opacity: 0.9,
        lineWidth: 2,
        perimeter: true
      });
      aladin.addMOC(moc);
      this._layers.moc = moc;
      this.node.dataset.moc = String(cells);
      this._setStatus('moc', { status: 'ready', message: '', count: cells });
    } catch (error) {
      this._setStatus('moc', {
        status: 'error',
        message: `Release MOC: ${errorMessage(error)}`
      });
    }
  }

  private _setStatus(
    name: OverlayName,
    patch: Partial<IOverlayState> & { status: IOverlayState['status'] }
  ): void {
    this.node.dataset[name === 'hips' ? 'hips' : `${name}Status`] =
      patch.status;
    this._model.setOverlayStatus(name, patch);
  }

  /** Show or hide each layer as the model says; outline the selected tile. */
  private _sync(): void {
    for (const name of ['tiles', 'healpix', 'moc'] as const) {
      const layer = this._layers[name];
      const visible = this._model.overlay(name).visible;
      if (layer && layer.isShowing !== visible) {
        if (visible) {
          layer.show();
        } else {
          layer.hide();
        }
      }
    }
    if (this._hips) {
      const visible = this._model.overlay('hips').visible;
      if (this._hips.getOpacity() > 0 !== visible) {
        this._hips.setOpacity(visible ? 1 : 0);
      }
    }
    this.node.dataset.hidden = this._hiddenLayers().join(' ');
    const selection = this._model.selection;
    const overlay = this._selectionOverlay;
    if (overlay && this._A) {
      const name = selection.status === 'ready' ? selection.tile.name : '';
      if (name !== this._outlined) {
        overlay.removeAll(); // (no redraw of its own: reportChange below)
        if (selection.status === 'ready') {
          overlay.add(
            this._A.polygon(
              selection.tile.corners.map(([ra, dec]) => [ra, dec])
            )
          );
        }
        overlay.reportChange();
        this._outlined = name;
        this.node.dataset.selectedTile = name;
      }
    }
  }

  /** The loaded layers that are not shown now. */
  private _hiddenLayers(): OverlayName[] {
    const hidden: OverlayName[] = [];
    if (this._hips && this._hips.getOpacity() === 0) {
      hidden.push('hips');
    }
    for (const name of ['tiles', 'healpix', 'moc'] as const) {
      const layer = this._layers[name];
      if (layer && !layer.isShowing) {
        hidden.push(name);
      }
    }
    return hidden;
  }

  private _onNavigate(_: FootprintModel, target: INavigation): void {
    if (this._aladin === null) {
      this._pendingNavigation = target;
      return;
    }
    this._aladin.gotoRaDec(target.ra, target.dec);
    if (target.fov !== undefined) {
      this._aladin.setFoV(target.fov);
    }
  }

  /** Whether the viewer was closed (checked after each wait). */
  private _closed(): boolean {
    return this.isDisposed;
  }

  /** Show the position under the mouse (Aladin's `mouseMove` event). */
  private _showCursor(event: unknown): void {
    const { ra, dec } = (event ?? {}) as { ra?: unknown; dec?: unknown };
    if (typeof ra === 'number' && typeof dec === 'number') {
      const wrapped = wrapRA(ra);
      this._cursor.textContent = `${formatRA(wrapped)} ${formatDec(dec)}  (${wrapped.toFixed(4)}°, ${dec.toFixed(4)}°)`;
    } else {
      this._cursor.textContent = '';
    }
  }

  private _fail(message: string): void {
    this.node.dataset.state = 'error';
    this._message.hidden = false;
    this._message.textContent = message;
    this._message.setAttribute('role', 'alert');
    for (const name of ['hips', 'tiles', 'healpix', 'moc'] as const) {
      this._setStatus(name, { status: 'error', message });
    }
  }

  private readonly _model: FootprintModel;
  private readonly _options: ISkyOptions;
  private readonly _host: HTMLDivElement;
  private readonly _message: HTMLDivElement;
  private readonly _cursor: HTMLDivElement;
  private _started = false;
  private _A: IAladinStatic | null = null;
  private _aladin: IAladin | null = null;
  private _hips: IAladinHiPS | null = null;
  private readonly _layers: {
    tiles?: IAladinGraphicOverlay;
    healpix?: IAladinGraphicOverlay;
    moc?: IAladinMOC;
  } = {};
  private _selectionOverlay: IAladinGraphicOverlay | null = null;
  private _outlined = '';
  private _pendingNavigation: INavigation | null = null;
}

/** Where to look first: the HiPS's initial position, else M2's field. */
function initialView(hips: IHiPSStatus): INavigation {
  if (hips.available) {
    const ra = Number(hips.properties.hips_initial_ra);
    const dec = Number(hips.properties.hips_initial_dec);
    const fov = Number(hips.properties.hips_initial_fov);
    if (Number.isFinite(ra) && Number.isFinite(dec)) {
      return {
        ra,
        dec,
        fov: Number.isFinite(fov) && fov > 0 ? fov * 2 : DEFAULT_VIEW.fov
      };
    }
  }
  return DEFAULT_VIEW;
}

function nextFrame(): Promise<void> {
  return new Promise(resolve =>
    requestAnimationFrame(() => {
      resolve();
    })
  );
}
