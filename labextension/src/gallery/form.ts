/**
 * The cutout form's state and its translation into a `POST /jobs` body
 * (`{type: 'cutout', positions | ids | csv, xsize, ysize, bands, rgb, ...}`).
 * Pure: no DOM, no requests.
 */
import {
  BODY_MAX_BYTES,
  CUTOUT_SIZE_MAX,
  CUTOUT_SIZE_MIN
} from '../generated/limits';
import type { IJobRequest } from '../jobs-api';

/** Where the form takes its targets from. */
export type InputMode = 'positions' | 'ids' | 'csv';

/** What the form holds: the text of every input, as typed. */
export interface IGalleryForm {
  mode: InputMode;
  /** One position per line: "ra dec" in degrees or sexagesimal. */
  positions: string;
  /** COADD_OBJECT_IDs, separated by spaces, commas or lines. */
  ids: string;
  /** The CSV text (uploaded or pasted). */
  csv: string;
  /** The uploaded file's name, or '' when the CSV was typed. */
  csvFileName: string;
  /** Width and height in arcmin, as typed. */
  xsize: string;
  ysize: string;
  /** Bands written as FITS. */
  bands: string[];
  /** Whether to make a colour image (and its JPEG thumbnail). */
  rgb: boolean;
  /** Red, green and blue bands of the colour image. */
  rgbBands: [string, string, string];
  rgbMinimum: string;
  rgbStretch: string;
  rgbQ: string;
  /** The job's name ('' for the server's default). */
  name: string;
}

/** The form's first state: 1′ × 1′ cutouts in g, r, i with an i/r/g colour image. */
export const DEFAULT_FORM: Readonly<IGalleryForm> = {
  mode: 'positions',
  positions: '',
  ids: '',
  csv: '',
  csvFileName: '',
  xsize: '1',
  ysize: '1',
  bands: ['g', 'r', 'i'],
  rgb: true,
  rgbBands: ['i', 'r', 'g'],
  rgbMinimum: '1',
  rgbStretch: '50',
  rgbQ: '10',
  name: ''
};

/** The smallest and largest cutout side, arcmin (the server's limits). */
export const MIN_SIZE = CUTOUT_SIZE_MIN;
export const MAX_SIZE = CUTOUT_SIZE_MAX;
/** The largest CSV the server takes inside a JSON body (its body limit, less room for the rest). */
export const MAX_CSV_BYTES = BODY_MAX_BYTES - 4_096;

/** A form field the user must fix; `field` names the input. */
export class FormError extends Error {
  constructor(
    readonly field: keyof IGalleryForm,
    message: string
  ) {
    super(message);
    this.name = 'FormError';
  }
}

/** A position as the server takes it: `[ra, dec]` (numbers or strings) or one string. */
export type PositionValue = [number, number] | [string, string] | string;

const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Read the positions box: one position per line; blank lines and `#`
 * comments are skipped. "323.36 -0.82" and "323.36, -0.82" become numbers,
 * "21:33:27 -0:49:24" a pair of strings; anything else goes to the server as
 * one string, which says what is wrong with it.
 */
export function parsePositions(text: string): PositionValue[] {
  const positions: PositionValue[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) {
      continue;
    }
    const parts = line.split(/\s*,\s*|\s+/);
    if (parts.length === 2) {
      const [ra, dec] = parts;
      positions.push(
        NUMBER.test(ra) && NUMBER.test(dec)
          ? [Number(ra), Number(dec)]
          : [ra, dec]
      );
    } else {
      positions.push(line);
    }
  }
  return positions;
}

/**
 * Read the object ids box: integers separated by spaces, commas or lines.
 *
 * @throws {FormError} naming the first token that is not an id.
 */
export function parseIds(text: string): number[] {
  const ids: number[] = [];
  const lines = text.split(/\r?\n/);
  lines.forEach((line, index) => {
    if (line.trim().startsWith('#')) {
      return;
    }
    for (const token of line.split(/[\s,;]+/).filter(Boolean)) {
      const value = Number(token);
      if (!/^\d+$/.test(token) || !Number.isSafeInteger(value)) {
        throw new FormError(
          'ids',
          `Line ${index + 1}: "${token}" is not a COADD_OBJECT_ID (a whole number)`
        );
      }
      ids.push(value);
    }
  });
  return ids;
}

function number(
  form: IGalleryForm,
  field: 'xsize' | 'ysize' | 'rgbMinimum' | 'rgbStretch' | 'rgbQ',
  label: string,
  check: (value: number) => boolean,
  expected: string
): number {
  const text = form[field].trim();
  const value = NUMBER.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(value) || !check(value)) {
    throw new FormError(
      field,
      `${label} must be ${expected}, not "${form[field]}"`
    );
  }
  return value;
}

/**
 * The `POST /jobs` body of a cutout job for this form.
 *
 * @throws {FormError} for what can be told without the server: no targets,
 *   a size outside 0.1–12 arcmin, no band, a colour image without three
 *   bands, Lupton parameters that are not numbers, a CSV over 1 MB.
 */
export function buildCutoutRequest(form: IGalleryForm): IJobRequest {
  const request: IJobRequest = { type: 'cutout' };
  switch (form.mode) {
    case 'positions': {
      const positions = parsePositions(form.positions);
      if (positions.length === 0) {
        throw new FormError(
          'positions',
          'Enter at least one position: "ra dec" per line, in degrees or sexagesimal'
        );
      }
      request.positions = positions;
      break;
    }
    case 'ids': {
      const ids = parseIds(form.ids);
      if (ids.length === 0) {
        throw new FormError('ids', 'Enter at least one COADD_OBJECT_ID');
      }
      request.ids = ids;
      break;
    }
    case 'csv': {
      if (form.csv.trim() === '') {
        throw new FormError(
          'csv',
          'Choose a CSV file (or paste CSV text) with a header RA,DEC or COADD_OBJECT_ID'
        );
      }
      const bytes = new TextEncoder().encode(form.csv).length;
      if (bytes > MAX_CSV_BYTES) {
        throw new FormError(
          'csv',
          `The CSV has ${bytes.toLocaleString('en-US')} bytes; at most ` +
            `${MAX_CSV_BYTES.toLocaleString('en-US')} can be sent: split it into several jobs`
        );
      }
      request.csv = form.csv;
      break;
    }
  }
  const inRange = (value: number) => value >= MIN_SIZE && value <= MAX_SIZE;
  const range = `a number of arcmin from ${MIN_SIZE} to ${MAX_SIZE}`;
  request.xsize = number(form, 'xsize', 'Width', inRange, range);
  request.ysize = number(form, 'ysize', 'Height', inRange, range);
  if (form.bands.length === 0) {
    throw new FormError('bands', 'Choose at least one band for the FITS files');
  }
  request.bands = [...form.bands];
  if (form.rgb) {
    const bands = form.rgbBands.map(band => band.trim());
    if (bands.some(band => band === '')) {
      throw new FormError(
        'rgbBands',
        'A colour image needs a red, a green and a blue band'
      );
    }
    request.rgb = bands;
    request.rgb_minimum = number(
      form,
      'rgbMinimum',
      'Lupton minimum',
      () => true,
      'a number'
    );
    const positive = (value: number) => value > 0;
    request.rgb_stretch = number(
      form,
      'rgbStretch',
      'Stretch',
      positive,
      'a positive number'
    );
    request.rgb_q = number(form, 'rgbQ', 'Q', positive, 'a positive number');
  } else {
    request.rgb = false; // no colour image
  }
  const name = form.name.trim();
  if (name !== '') {
    request.name = name;
  }
  return request;
}

/**
 * The form for the gallery command's arguments: `positions` pre-fills the
 * positions box (the footprint viewer's "Cutouts here").
 */
export function formFromArgs(
  args: { positions?: unknown },
  base: Readonly<IGalleryForm> = DEFAULT_FORM
): IGalleryForm {
  const form: IGalleryForm = {
    ...base,
    bands: [...base.bands],
    rgbBands: [...base.rgbBands]
  };
  if (typeof args.positions === 'string' && args.positions.trim() !== '') {
    form.mode = 'positions';
    form.positions = args.positions.trim();
  }
  return form;
}
