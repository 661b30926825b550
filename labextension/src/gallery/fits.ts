/**
 * FITS header cards, parsed in the browser from a file's first bytes (FITS
 * Standard 4.0, §4: 80-character ASCII cards in 2880-byte blocks, ending at
 * `END`). Pure: no DOM, no requests.
 */

/** The size of a FITS block, in bytes. */
export const FITS_BLOCK = 2880;
/** The size of a header card, in bytes. */
export const CARD_LENGTH = 80;

/** One header card. */
export interface IFitsCard {
  /** The keyword (e.g. `TILENAME`), `''` for a blank keyword. */
  keyword: string;
  /** The value: string, number, boolean; null for commentary cards or no value. */
  value: string | number | boolean | null;
  /** The comment after `/`, or the text of a COMMENT/HISTORY card. */
  comment: string;
}

/** Thrown for bytes that are not a FITS header. */
export class FitsHeaderError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'FitsHeaderError';
  }
}

const COMMENTARY = new Set(['COMMENT', 'HISTORY', '']);
const INTEGER = /^[+-]?\d+$/;
const REAL = /^[+-]?(\d+\.?\d*|\.\d+)([EeDd][+-]?\d+)?$/;

function decodeCard(bytes: Uint8Array, offset: number): string {
  let text = '';
  for (let k = offset; k < offset + CARD_LENGTH; k++) {
    const code = bytes[k];
    // FITS headers are printable ASCII; anything else is shown as '?'
    text += code >= 0x20 && code <= 0x7e ? String.fromCharCode(code) : '?';
  }
  return text;
}

/**
 * The number of bytes of the header (a whole number of blocks, up to and
 * including the block with `END`), or -1 if `END` is not in `bytes` yet.
 */
export function headerLength(bytes: Uint8Array): number {
  for (
    let offset = 0;
    offset + CARD_LENGTH <= bytes.length;
    offset += CARD_LENGTH
  ) {
    if (
      bytes[offset] === 0x45 && // E
      bytes[offset + 1] === 0x4e && // N
      bytes[offset + 2] === 0x44 && // D
      decodeCard(bytes, offset).slice(3).trim() === ''
    ) {
      return Math.ceil((offset + CARD_LENGTH) / FITS_BLOCK) * FITS_BLOCK;
    }
  }
  return -1;
}

/** Read a quoted string value starting at `text[start] === "'"`. */
function readString(
  text: string,
  start: number
): { value: string; end: number } {
  let value = '';
  let k = start + 1;
  while (k < text.length) {
    if (text[k] === "'") {
      if (text[k + 1] === "'") {
        value += "'";
        k += 2;
        continue;
      }
      return { value: value.replace(/\s+$/, ''), end: k + 1 };
    }
    value += text[k];
    k++;
  }
  throw new FitsHeaderError(
    `a string value has no closing quote: ${text.trim()}`
  );
}

function readValue(field: string): {
  value: IFitsCard['value'];
  comment: string;
} {
  const start = field.search(/\S/);
  if (start === -1) {
    return { value: null, comment: '' };
  }
  let value: IFitsCard['value'];
  let rest: string;
  if (field[start] === "'") {
    const read = readString(field, start);
    value = read.value;
    rest = field.slice(read.end);
  } else {
    const slash = field.indexOf('/', start);
    const token = (
      slash === -1 ? field.slice(start) : field.slice(start, slash)
    ).trim();
    rest = slash === -1 ? '' : field.slice(slash);
    if (token === 'T' || token === 'F') {
      value = token === 'T';
    } else if (INTEGER.test(token)) {
      // past 2**53 a number would change the value: keep the digits as written
      value = Number.isSafeInteger(Number(token)) ? Number(token) : token;
    } else if (REAL.test(token)) {
      value = Number(token.replace(/[Dd]/, 'E'));
    } else {
      value = token === '' ? null : token; // complex numbers and the like, as written
    }
  }
  const slash = rest.indexOf('/');
  return { value, comment: slash === -1 ? '' : rest.slice(slash + 1).trim() };
}

/**
 * Parse the cards of a FITS header (the primary HDU's) from the first bytes
 * of a file, up to `END`. Long strings (`CONTINUE`) are joined; `HIERARCH`
 * keywords keep their full name.
 *
 * @throws {FitsHeaderError} if the bytes do not start with `SIMPLE =` or
 *   `XTENSION=`, or have no `END` card.
 */
export function parseFitsHeader(bytes: Uint8Array): IFitsCard[] {
  if (bytes.length < CARD_LENGTH) {
    throw new FitsHeaderError(
      `not a FITS file: ${bytes.length} bytes, less than one header card`
    );
  }
  const first = decodeCard(bytes, 0);
  if (!/^(SIMPLE {2}=|XTENSION=)/.test(first)) {
    throw new FitsHeaderError(
      'not a FITS file: it does not start with a SIMPLE or XTENSION card'
    );
  }
  const cards: IFitsCard[] = [];
  for (
    let offset = 0;
    offset + CARD_LENGTH <= bytes.length;
    offset += CARD_LENGTH
  ) {
    const text = decodeCard(bytes, offset);
    const keyword = text.slice(0, 8).trim();
    if (keyword === 'END' && text.slice(3).trim() === '') {
      return cards;
    }
    if (keyword === 'CONTINUE') {
      const previous = cards[cards.length - 1] as IFitsCard | undefined;
      const { value, comment } = readValue(text.slice(8));
      if (
        previous !== undefined &&
        typeof previous.value === 'string' &&
        typeof value === 'string'
      ) {
        previous.value = previous.value.replace(/&$/, '') + value;
        previous.comment = [previous.comment, comment]
          .filter(Boolean)
          .join(' ');
        continue;
      }
    }
    if (keyword === 'HIERARCH') {
      const equals = text.indexOf('=');
      if (equals > 8) {
        const { value, comment } = readValue(text.slice(equals + 1));
        cards.push({ keyword: text.slice(9, equals).trim(), value, comment });
        continue;
      }
    }
    if (!COMMENTARY.has(keyword) && text.slice(8, 10) === '= ') {
      cards.push({ keyword, ...readValue(text.slice(10)) });
    } else {
      cards.push({ keyword, value: null, comment: text.slice(8).trim() });
    }
  }
  throw new FitsHeaderError(
    `the FITS header has no END card in its first ${bytes.length.toLocaleString('en-US')} bytes`
  );
}

/** A card's value as FITS writes it: strings quoted, booleans T/F. */
export function formatCardValue(value: IFitsCard['value']): string {
  if (value === null) {
    return '';
  }
  if (typeof value === 'boolean') {
    return value ? 'T' : 'F';
  }
  if (typeof value === 'string') {
    return `'${value}'`;
  }
  return String(value);
}
