type Ranges = readonly (readonly [number, number])[];
const hex = (code: number) => `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
const classOf = (ranges: Ranges) => ranges.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join("");

/**
 * Characters that change nothing a reader sees: zero-width spaces and joiners, soft hyphens,
 * direction controls, variation selectors and fillers. One inside a card number or a name is
 * enough to defeat a pattern, and text pasted from web pages and PDFs holds them by accident.
 */
const INVISIBLE_RANGES: Ranges = [
  [0x00ad, 0x00ad],
  [0x034f, 0x034f],
  [0x061c, 0x061c],
  [0x115f, 0x1160],
  [0x17b4, 0x17b5],
  [0x180e, 0x180e],
  [0x200b, 0x200f],
  [0x202a, 0x202e],
  [0x2060, 0x2064],
  [0x206a, 0x206f],
  [0x3164, 0x3164],
  [0xfe00, 0xfe0f],
  [0xfeff, 0xfeff],
  [0xffa0, 0xffa0],
];

/** The invisible characters as a pattern (global: every one of them). */
export const INVISIBLE = new RegExp(`[${classOf(INVISIBLE_RANGES)}]`, "g");


/**
 * Plane 14 (U+E0000–U+E01EF) holds the tag characters, which "ASCII smuggling" uses to write
 * text no one sees (U+E0020–U+E007E stand for the ASCII characters 0x20–0x7E), and more
 * variation selectors. In UTF-16 each is the high surrogate DB40 and a low one up to DDEF.
 */
const PLANE_14_HIGH = 0xdb40;
const PLANE_14_LOW_LAST = 0xddef;
const isPlane14Pair = (text: string, i: number) => {
  const low = text.charCodeAt(i + 1);
  return text.charCodeAt(i) === PLANE_14_HIGH && low >= 0xdc00 && low <= PLANE_14_LOW_LAST;
};
/** The ASCII character a tag character stands for, or 0 for the other plane-14 characters. */
const taggedAscii = (low: number) => (low >= 0xdc20 && low <= 0xdc7e ? low - 0xdc00 : 0);

/**
 * The zero of each run of ten decimal digits in the BMP besides ASCII's (Arabic-Indic,
 * Devanagari, Thai, fullwidth …: every \p{Nd} run, which a test checks). A reader reads
 * "٤١١١ ١١١١ ١١١١ ١١١١" as a card number, so the recognizers read it in ASCII digits.
 */
const DIGIT_ZEROS = [
  0x660, 0x6f0, 0x7c0, 0x966, 0x9e6, 0xa66, 0xae6, 0xb66, 0xbe6, 0xc66, 0xce6, 0xd66, 0xde6, 0xe50, 0xed0, 0xf20, 0x1040, 0x1090, 0x17e0, 0x1810,
  0x1946, 0x19d0, 0x1a80, 0x1a90, 0x1b50, 0x1bb0, 0x1c40, 0x1c50, 0xa620, 0xa8d0, 0xa900, 0xa9d0, 0xa9f0, 0xaa50, 0xabf0, 0xff10,
];
/** The fullwidth forms of ASCII's printable characters, which Chinese and Japanese input methods type ("０９０－１２３４－５６７８"). */
const FULLWIDTH: readonly [number, number] = [0xff01, 0xff5e];
const FULLWIDTH_TO_ASCII = 0xfee0;

/**
 * The spaces and hyphens of typesetting, which word processors put between the groups of a
 * number ("06\u00A012\u00A034\u00A056\u00A078", "4111\u202F1111 …"): no-break, thin and
 * ideographic spaces; hyphen, no-break hyphen, figure dash, minus sign. En and em dashes stay
 * as they are: they part words ("Sydney—Victoria", "Ronson–produced") where a hyphen joins them.
 */
const SPACES: Ranges = [[0x00a0, 0x00a0], [0x1680, 0x1680], [0x2000, 0x200a], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000]];
const DASHES: Ranges = [[0x2010, 0x2012], [0x2212, 0x2212], [0xfe63, 0xfe63]];

/** The ASCII character each foldable code unit reads as (0 for the others). */
const FOLD = new Uint16Array(0x10000);
for (const zero of DIGIT_ZEROS) for (let digit = 0; digit < 10; digit++) FOLD[zero + digit] = 0x30 + digit;
for (let code = FULLWIDTH[0]; code <= FULLWIDTH[1]; code++) FOLD[code] = code - FULLWIDTH_TO_ASCII;
for (const [from, to] of SPACES) FOLD.fill(0x20, from, to + 1);
for (const [from, to] of DASHES) FOLD.fill(0x2d, from, to + 1);
const FOLDABLE_RANGES: Ranges = [...DIGIT_ZEROS.map((zero) => [zero, zero + 9] as const), FULLWIDTH, ...SPACES, ...DASHES];

/** What each code unit is to the readable view. */
const PLAIN = 0;
const INVISIBLE_KIND = 1;
const FOLDED = 2;
/** The high half of a plane-14 pair, hidden with its low half (isPlane14Pair says whether one follows). */
const PLANE_14 = 3;
const KIND = new Uint8Array(0x10000);
for (const [from, to] of FOLDABLE_RANGES) KIND.fill(FOLDED, from, to + 1);
for (const [from, to] of INVISIBLE_RANGES) KIND.fill(INVISIBLE_KIND, from, to + 1);
KIND[PLANE_14_HIGH] = PLANE_14;

/**
 * Whether a text may read otherwise than it is written: whether it has a character outside
 * those that never change and make up most texts (ASCII, Latin, Greek, Cyrillic, Hebrew, and
 * the curly quotes, dashes and bullets of General Punctuation). Irregexp scans this negated
 * class of six ranges about twice as fast as the class of what may change, and several times
 * faster than one of the fifty ranges that do; a text it finds is read code unit by code unit.
 */
const NEVER_CHANGED: Ranges = [
  [0x0000, 0x009f],
  [0x00a1, 0x00ac],
  [0x00ae, 0x034e],
  [0x0350, 0x05ff],
  [0x2013, 0x2027],
  [0x2030, 0x205e],
];
const MAY_CHANGE_ROUGHLY = new RegExp(`[^${classOf(NEVER_CHANGED)}]`);

/** How many of the code units at the text's end, read backwards from `end`, are hidden (invisible, or half of a plane-14 pair). */
function hiddenWidthBefore(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  if (KIND[code] === INVISIBLE_KIND) return 1;
  return end >= 2 && isPlane14Pair(text, end - 2) ? 2 : 0;
}

/** How many code units of the text are hidden. */
export function hiddenIn(text: string): number {
  let hidden = 0;
  for (let at = text.length; at > 0; ) {
    const width = hiddenWidthBefore(text, at);
    hidden += width;
    at -= width || 1;
  }
  return hidden;
}

/**
 * Where the last `count` visible code units of the text begin (0 when it has fewer), the hidden
 * ones right before them included: a window that must hold so many characters a reader sees
 * holds the hidden ones among and before them too.
 */
export function lastVisible(text: string, count: number): number {
  let visible = 0;
  let at = text.length;
  for (; at > 0; ) {
    const width = hiddenWidthBefore(text, at);
    if (width > 0) at -= width;
    else if (visible < count) {
      visible++;
      at--;
    } else break;
  }
  return at;
}

/**
 * A text as a reader (or a model) reads it: invisible characters left out, tag characters read
 * as the ASCII they stand for, digits of every script, fullwidth forms and typeset spaces and
 * hyphens read in ASCII. Detectors that look for patterns read this instead of the text,
 * and `span` turns an offset range of it back into the text's own, hidden characters inside it
 * included, so a redaction covers all of what it replaces.
 */
export interface ReadableText {
  readonly text: string;
  span(start: number, end: number): { start: number; end: number };
}

const asWritten = (text: string): ReadableText => ({ text, span: (start, end) => ({ start, end }) });

/**
 * A piece of the readable text, from readable offset `at` to the next piece's, copied from the
 * original at `origin`. A decoded tag character is a piece of its own, one code unit read from
 * the pair of two at `origin`.
 */
interface Piece {
  at: number;
  origin: number;
  tag: boolean;
}

export function readableText(text: string): ReadableText {
  if (!MAY_CHANGE_ROUGHLY.test(text)) return asWritten(text);
  const parts: string[] = [];
  const pieces: Piece[] = [];
  let changed = false;
  /** Readable text made so far; text[copied, …) is still to be copied. */
  let at = 0;
  let copied = 0;
  /** Hidden code units were left out since the last piece began: what is copied next begins a new one. */
  let gap = true;
  const copy = (end: number) => {
    if (end <= copied) return;
    if (gap) {
      pieces.push({ at, origin: copied, tag: false });
      gap = false;
    }
    parts.push(text.slice(copied, end));
    at += end - copied;
    copied = end;
  };
  for (let i = 0; i < text.length; ) {
    const kind = KIND[text.charCodeAt(i)];
    if (kind === PLAIN || (kind === PLANE_14 && !isPlane14Pair(text, i))) {
      i++;
      continue;
    }
    changed = true;
    copy(i);
    if (kind === FOLDED) {
      // One code unit for one: the piece goes on, or begins here after hidden ones.
      if (gap) {
        pieces.push({ at, origin: i, tag: false });
        gap = false;
      }
      parts.push(String.fromCharCode(FOLD[text.charCodeAt(i)] as number));
      at++;
      copied = ++i;
      continue;
    }
    const width = kind === PLANE_14 ? 2 : 1;
    const ascii = kind === PLANE_14 ? taggedAscii(text.charCodeAt(i + 1)) : 0;
    if (ascii !== 0) {
      pieces.push({ at, origin: i, tag: true });
      parts.push(String.fromCharCode(ascii));
      at++;
    }
    gap = true;
    copied = i += width;
  }
  if (!changed) return asWritten(text);
  copy(text.length);
  const readable = parts.join("");
  /** The piece holding readable offset `offset` (offset < readable.length). */
  const pieceAt = (offset: number): Piece => {
    let low = 0;
    let high = pieces.length - 1;
    while (low < high) {
      const middle = (low + high + 1) >> 1;
      if ((pieces[middle] as Piece).at <= offset) low = middle;
      else high = middle - 1;
    }
    return pieces[low] as Piece;
  };
  const originOf = (offset: number) => {
    const piece = pieceAt(offset);
    return piece.origin + (piece.tag ? 0 : offset - piece.at);
  };
  return {
    text: readable,
    span(start, end) {
      if (end <= start) {
        const origin = start < readable.length ? originOf(start) : text.length;
        return { start: origin, end: origin };
      }
      const last = pieceAt(end - 1);
      return { start: originOf(start), end: last.tag ? last.origin + 2 : last.origin + (end - last.at) };
    },
  };
}

/** What `find` finds in the readable text, at the text's own offsets. */
export function findReadable<T extends { start: number; end: number }>(text: string, find: (readable: string) => T[]): T[] {
  const readable = readableText(text);
  const found = find(readable.text);
  if (readable.text === text) return found;
  return found.map((f) => ({ ...f, ...readable.span(f.start, f.end) }));
}
