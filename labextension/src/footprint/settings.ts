/**
 * The footprint viewer's settings (`schema/footprint.json`), read with
 * defaults for anything missing or of the wrong type.
 */
import { MOC_ORDER_MAX, MOC_ORDER_MIN } from '../generated/limits';
import { isValidNside } from './healpix';
import type { OverlayName } from './model';

/** The settings the viewer reads (see `schema/footprint.json`). */
export interface IFootprintSettings {
  healpixNside: number;
  mocOrder: number;
  overlays: Record<OverlayName, boolean>;
}

/** The defaults, also used when the settings cannot be read. */
export const DEFAULT_SETTINGS: IFootprintSettings = {
  healpixNside: 32,
  mocOrder: 9,
  overlays: { hips: true, tiles: true, healpix: true, moc: true }
};

/**
 * Read the composite settings, keeping the default of anything missing or
 * invalid (an NSIDE must be a power of 2 up to 1024, an order 0–13, as the
 * server accepts).
 */
export function readSettings(
  composite: Record<string, unknown>
): IFootprintSettings {
  const nside = composite.healpixNside;
  const order = composite.mocOrder;
  const overlays = composite.overlays;
  const shown: Record<OverlayName, boolean> = { ...DEFAULT_SETTINGS.overlays };
  if (typeof overlays === 'object' && overlays !== null) {
    for (const name of Object.keys(shown) as OverlayName[]) {
      const value = (overlays as Record<string, unknown>)[name];
      if (typeof value === 'boolean') {
        shown[name] = value;
      }
    }
  }
  return {
    healpixNside:
      typeof nside === 'number' && isValidNside(nside) && nside <= 1024
        ? nside
        : DEFAULT_SETTINGS.healpixNside,
    mocOrder:
      typeof order === 'number' &&
      Number.isInteger(order) &&
      order >= MOC_ORDER_MIN &&
      order <= MOC_ORDER_MAX
        ? order
        : DEFAULT_SETTINGS.mocOrder,
    overlays: shown
  };
}
