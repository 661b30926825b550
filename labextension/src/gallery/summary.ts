/**
 * A cutout job's `summary.json`, read into what the gallery shows: one item
 * per position (cut or failed) with its files sorted by kind and band.
 * Pure: no DOM, no requests.
 */

/** One band's file of a position. */
export interface IBandFile {
  band: string;
  file: string;
}

/** One position of the job, as the gallery shows it. */
export interface IGalleryItem {
  /**
   * The key labels are saved under: the cutout's name (unique in a job), or
   * `row-<n>` for a position that was not cut (it cannot be labelled).
   */
  key: string;
  /** The CSV line or list index of the request. */
  row: number;
  /** The cutout's name (`<TILE>_<DESJ... or id>`), null if it was not cut. */
  name: string | null;
  ra: number | null;
  dec: number | null;
  /** The COADD_OBJECT_ID asked for, if any. */
  id: number | null;
  tile: string | null;
  ok: boolean;
  /** Why the position was not cut, or null. */
  error: string | null;
  /** Fraction of pixels with data (below 1 at the footprint's edge). */
  coverage: number | null;
  stitched: boolean;
  /** FITS file per band, in the request's band order. */
  fits: IBandFile[];
  /** PNG preview per band. */
  previews: IBandFile[];
  /** The colour image (`band` is e.g. "irg"): PNG and JPEG thumbnail. */
  colour: { bands: string; png: string | null; jpeg: string | null } | null;
  /** The small image for the grid: colour JPEG, else colour PNG, else the first preview. */
  thumbnail: string | null;
}

/** The counts of the summary. */
export interface IGalleryCounts {
  positions: number;
  ok: number;
  error: number;
}

/** What the gallery shows of a job. */
export interface IGallerySummary {
  release: string;
  counts: IGalleryCounts;
  items: IGalleryItem[];
}

/** Thrown for a summary that breaks the format, naming where. */
export class SummaryFormatError extends TypeError {
  constructor(message: string) {
    super(`The job's summary.json is malformed: ${message}`);
    this.name = 'SummaryFormatError';
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOrNull(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * Sort a position's files by kind: `<name>_<band>.fits`, `<name>_<band>.png`
 * (a preview: a FITS band of it exists), `<name>_<bands>.png|.jpg` (colour).
 */
export function classifyFiles(
  name: string,
  files: readonly string[]
): Pick<IGalleryItem, 'fits' | 'previews' | 'colour' | 'thumbnail'> {
  const prefix = `${name}_`;
  const parsed = files
    .filter(file => file.startsWith(prefix))
    .map(file => {
      const rest = file.slice(prefix.length);
      const dot = rest.lastIndexOf('.');
      return {
        file,
        token: dot > 0 ? rest.slice(0, dot) : rest,
        ext: dot > 0 ? rest.slice(dot + 1).toLowerCase() : ''
      };
    });
  const fits = parsed
    .filter(f => f.ext === 'fits')
    .map(f => ({ band: f.token, file: f.file }));
  const fitsBands = new Set(fits.map(f => f.band));
  const previews = parsed
    .filter(f => f.ext === 'png' && fitsBands.has(f.token))
    .map(f => ({ band: f.token, file: f.file }));
  const colourPng = parsed.find(
    f => f.ext === 'png' && !fitsBands.has(f.token)
  );
  const colourJpeg = parsed.find(f => f.ext === 'jpg' || f.ext === 'jpeg');
  const colourBands = colourJpeg?.token ?? colourPng?.token;
  const colour =
    colourBands === undefined
      ? null
      : {
          bands: colourBands,
          png: colourPng?.file ?? null,
          jpeg: colourJpeg?.file ?? null
        };
  const thumbnail =
    colour?.jpeg ??
    colour?.png ??
    (previews[0] as IBandFile | undefined)?.file ??
    null;
  return { fits, previews, colour, thumbnail };
}

function parsePosition(value: unknown, index: number): IGalleryItem {
  if (!isRecord(value)) {
    throw new SummaryFormatError(`positions[${index}] must be an object`);
  }
  const row = value.row;
  if (typeof row !== 'number' || !Number.isInteger(row)) {
    throw new SummaryFormatError(`positions[${index}].row must be an integer`);
  }
  const files = Array.isArray(value.files)
    ? value.files.filter((f): f is string => typeof f === 'string')
    : [];
  const name = stringOrNull(value.name);
  const ok = value.status === 'ok';
  const kinds =
    name === null
      ? { fits: [], previews: [], colour: null, thumbnail: null }
      : classifyFiles(name, files);
  return {
    key: name ?? `row-${row}`,
    row,
    name,
    ra: numberOrNull(value.ra),
    dec: numberOrNull(value.dec),
    id: numberOrNull(value.id),
    tile: stringOrNull(value.tile),
    ok,
    error: ok ? null : (stringOrNull(value.error) ?? 'not cut'),
    coverage: numberOrNull(value.coverage),
    stitched: value.stitched === true,
    ...kinds
  };
}

function parseRejected(value: unknown, index: number): IGalleryItem {
  if (
    !isRecord(value) ||
    typeof value.row !== 'number' ||
    !Number.isInteger(value.row)
  ) {
    throw new SummaryFormatError(`rejected[${index}] must have an integer row`);
  }
  return {
    key: `row-${value.row}`,
    row: value.row,
    name: null,
    ra: null,
    dec: null,
    id: null,
    tile: null,
    ok: false,
    error: stringOrNull(value.error) ?? 'the row cannot be read',
    coverage: null,
    stitched: false,
    fits: [],
    previews: [],
    colour: null,
    thumbnail: null
  };
}

/**
 * Read a cutout job's `summary.json`: every position (cut or failed) and
 * every CSV row refused before cutting, in request order.
 *
 * @throws {SummaryFormatError} naming the first part that is wrong.
 */
export function parseSummary(data: unknown): IGallerySummary {
  if (!isRecord(data)) {
    throw new SummaryFormatError('it must be a JSON object');
  }
  if (!Array.isArray(data.positions)) {
    throw new SummaryFormatError('positions must be an array');
  }
  const rejected = Array.isArray(data.rejected) ? data.rejected : [];
  const items = [
    ...data.positions.map(parsePosition),
    ...rejected.map(parseRejected)
  ].sort((a, b) => a.row - b.row);
  const ok = items.filter(item => item.ok).length;
  return {
    release: typeof data.release === 'string' ? data.release : '',
    counts: { positions: items.length, ok, error: items.length - ok },
    items
  };
}

/** How an item is named in the grid: its DES name or id, else its row. */
export function itemTitle(item: IGalleryItem): string {
  if (item.name !== null) {
    const underscore = item.name.indexOf('_');
    return underscore >= 0 ? item.name.slice(underscore + 1) : item.name;
  }
  if (item.id !== null) {
    return `id ${item.id}`;
  }
  if (item.ra !== null && item.dec !== null) {
    return `${item.ra.toFixed(4)} ${item.dec.toFixed(4)}`;
  }
  return `row ${item.row}`;
}
