/**
 * The gallery's settings (schema/gallery.json), read defensively. Pure.
 */

/** The gallery's settings. */
export interface IGallerySettings {
  /** The side of a thumbnail, px. */
  thumbnailSize: number;
  /** The bands the form offers. */
  bands: string[];
  /** Names of the labels 0-9 ('' for none). */
  labelNames: string[];
}

/** The settings' defaults (as in the schema). */
export const DEFAULT_SETTINGS: IGallerySettings = {
  thumbnailSize: 128,
  bands: ['g', 'r', 'i', 'z', 'Y'],
  labelNames: []
};

/** Read the settings, falling back to the defaults for anything unusable. */
export function readSettings(
  composite: Record<string, unknown>
): IGallerySettings {
  const size = composite.thumbnailSize;
  const bands = composite.bands;
  const names = composite.labelNames;
  return {
    thumbnailSize:
      typeof size === 'number' && size >= 48 && size <= 512
        ? Math.round(size)
        : DEFAULT_SETTINGS.thumbnailSize,
    bands:
      Array.isArray(bands) &&
      bands.length > 0 &&
      bands.every(band => typeof band === 'string' && band !== '')
        ? (bands as string[])
        : DEFAULT_SETTINGS.bands,
    labelNames: Array.isArray(names)
      ? names.slice(0, 10).map(name => (typeof name === 'string' ? name : ''))
      : DEFAULT_SETTINGS.labelNames
  };
}
