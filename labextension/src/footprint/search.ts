/**
 * The footprint viewer's search box: a position (degrees or sexagesimal) or
 * a tile name, parsed with a message that says what is wrong and where.
 */
import { wrapRA } from './healpix';

/** What a search goes to. */
export type SearchTarget =
  | { kind: 'tile'; name: string }
  | { kind: 'position'; ra: number; dec: number };

/** The parse of a search: a target, or a message for the user. */
export type SearchParse =
  { ok: true; target: SearchTarget } | { ok: false; message: string };

/** The hint shown for empty or unreadable input. */
export const SEARCH_HINT =
  'Type a position, e.g. "323.36 -0.82" (degrees) or "21:33:27 -0:49:24" (RA in hours), or a tile name such as DES2134-0041.';

/** DES-style tile names: letters, HHMM, a sign, DDMM (e.g. DES2134-0041). */
const TILE_NAME = /^[A-Za-z]{2,}\d{4}[+-]\d{4}$/;
const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
/** h:m:s, d:m:s or with unit letters: 21:33:27.5, 21h33m27s, -0d49m24s, -0°49′24″. */
const SEXAGESIMAL =
  /^([+-]?)(\d+(?:\.\d*)?)(?:[:hd°]|\s)(\d+(?:\.\d*)?)(?:(?:[:m'′]|\s)(\d+(?:\.\d*)?)?(?:[s"″])?)?$/i;

class ParseError extends Error {}

/** Parse the search box's text; see {@link SEARCH_HINT}. */
export function parseSearch(text: string): SearchParse {
  const input = text
    .trim()
    .replace(/[\u2212\u2012\u2013]/g, '-') // typographic minus signs
    .replace(/\s+/g, ' ');
  if (input.length === 0) {
    return { ok: false, message: SEARCH_HINT };
  }
  if (TILE_NAME.test(input)) {
    return { ok: true, target: { kind: 'tile', name: input.toUpperCase() } };
  }
  try {
    const [raText, decText] = splitCoordinates(input);
    const ra = parseRA(raText);
    const dec = parseDec(decText);
    return { ok: true, target: { kind: 'position', ra, dec } };
  } catch (error) {
    if (error instanceof ParseError) {
      return { ok: false, message: error.message };
    }
    throw error;
  }
}

/** Split "RA Dec" (space or comma between them; or six numbers h m s d m s). */
function splitCoordinates(input: string): [string, string] {
  const parts = input.split(/\s*,\s*|\s+/).filter(part => part.length > 0);
  if (parts.length === 2) {
    return [parts[0], parts[1]];
  }
  if (parts.length === 6 && parts.every(part => NUMBER.test(part))) {
    return [parts.slice(0, 3).join(':'), parts.slice(3).join(':')];
  }
  if (parts.length === 1 && /^[A-Za-z]/.test(input)) {
    throw new ParseError(
      `"${input}" is not a tile name (like DES2134-0041) or a position; names of objects are not looked up. ${SEARCH_HINT}`
    );
  }
  throw new ParseError(
    `"${input}" is not a position: give two coordinates, RA then Dec. ${SEARCH_HINT}`
  );
}

/** RA in degrees from decimal degrees or h:m:s. */
function parseRA(text: string): number {
  if (NUMBER.test(text)) {
    const ra = Number(text);
    if (ra < -360 || ra > 360) {
      throw new ParseError(
        `RA "${text}" is outside -360…360 degrees (or give hours as h:m:s)`
      );
    }
    return wrapRA(ra);
  }
  const parts = sexagesimal(text, 'RA');
  if (parts.negative) {
    throw new ParseError(`RA "${text}" in hours cannot be negative`);
  }
  if (parts.first >= 24) {
    throw new ParseError(`RA "${text}": the hours must be below 24`);
  }
  return wrapRA(parts.value * 15);
}

/** Dec in degrees from decimal degrees or d:m:s; must be within ±90. */
function parseDec(text: string): number {
  let dec: number;
  if (NUMBER.test(text)) {
    dec = Number(text);
  } else {
    dec = sexagesimal(text, 'Dec').value;
  }
  if (dec < -90 || dec > 90) {
    throw new ParseError(`Dec "${text}" is outside -90…+90 degrees`);
  }
  return dec;
}

/** A sexagesimal a:b:c with its sign kept apart, so "-0:49:24" stays negative. */
function sexagesimal(
  text: string,
  what: 'RA' | 'Dec'
): { value: number; first: number; negative: boolean } {
  const match = SEXAGESIMAL.exec(text);
  if (match === null) {
    throw new ParseError(
      `${what} "${text}" is not a number or a sexagesimal value like ${what === 'RA' ? '21:33:27.0' : '-0:49:24'}`
    );
  }
  // Optional groups that did not match are undefined.
  const groups: (string | undefined)[] = match;
  const negative = groups[1] === '-';
  const first = Number(groups[2]);
  const minutes = Number(groups[3]);
  const seconds = Number(groups[4] ?? '0');
  const unit = what === 'RA' ? 'minutes' : 'arcminutes';
  if (minutes >= 60) {
    throw new ParseError(`${what} "${text}": the ${unit} must be below 60`);
  }
  if (seconds >= 60) {
    throw new ParseError(
      `${what} "${text}": the ${what === 'RA' ? 'seconds' : 'arcseconds'} must be below 60`
    );
  }
  const magnitude = first + minutes / 60 + seconds / 3600;
  return { value: negative ? -magnitude : magnitude, first, negative };
}

/** RA as h:m:s, e.g. "21:33:27.0". */
export function formatRA(ra: number): string {
  const totalTenths = Math.round((wrapRA(ra) / 15) * 36000) % (24 * 36000);
  const hours = Math.floor(totalTenths / 36000);
  const minutes = Math.floor((totalTenths % 36000) / 600);
  const seconds = (totalTenths % 600) / 10;
  return `${pad(hours)}:${pad(minutes)}:${seconds.toFixed(1).padStart(4, '0')}`;
}

/** Dec as ±d:m:s, e.g. "-00:49:24". */
export function formatDec(dec: number): string {
  const sign = dec < 0 ? '-' : '+';
  const totalSeconds = Math.round(Math.abs(dec) * 3600);
  const degrees = Math.floor(totalSeconds / 3600);
  const minutes = Math.floor((totalSeconds % 3600) / 60);
  const seconds = totalSeconds % 60;
  return `${sign}${pad(degrees)}:${pad(minutes)}:${pad(seconds)}`;
}

function pad(value: number): string {
  return String(value).padStart(2, '0');
}
