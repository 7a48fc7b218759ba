/**
 * Characters that change nothing a reader sees: zero-width spaces and joiners, soft hyphens,
 * direction controls, variation selectors and fillers. One inside a card number or a name is
 * enough to defeat a pattern, and text pasted from web pages and PDFs holds them by accident.
 */
const INVISIBLE_RANGES: readonly (readonly [number, number])[] = [
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

const hex = (code: number) => `\\u${code.toString(16).toUpperCase().padStart(4, "0")}`;
/** The invisible characters as a pattern (global: every one of them). */
export const INVISIBLE = new RegExp(INVISIBLE_RANGES.map(([from, to]) => (from === to ? hex(from) : `[${hex(from)}-${hex(to)}]`)).join("|"), "g");

const INVISIBLE_UNIT = new Uint8Array(0x10000);
for (const [from, to] of INVISIBLE_RANGES) INVISIBLE_UNIT.fill(1, from, to + 1);

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
 * Whether a text may hold hidden characters: one character class (a plane-14 pair's high half
 * stands for the pair), which irregexp scans several times faster than the alternatives above.
 */
const MAY_HIDE = new RegExp(`[${INVISIBLE_RANGES.map(([from, to]) => (from === to ? hex(from) : `${hex(from)}-${hex(to)}`)).join("")}${hex(PLANE_14_HIGH)}]`);

/** How many of the code units at the text's end, read backwards from `end`, are hidden (invisible, or half of a plane-14 pair). */
function hiddenWidthBefore(text: string, end: number): number {
  const code = text.charCodeAt(end - 1);
  if (INVISIBLE_UNIT[code] === 1) return 1;
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
 * as the ASCII they stand for. Detectors that look for patterns read this instead of the text,
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
  if (!MAY_HIDE.test(text)) return asWritten(text);
  const pieces: Piece[] = [];
  const parts: string[] = [];
  let at = 0;
  let copied = 0;
  const copyUpTo = (end: number) => {
    if (end > copied) {
      pieces.push({ at, origin: copied, tag: false });
      parts.push(text.slice(copied, end));
      at += end - copied;
    }
  };
  for (let i = 0; i < text.length; ) {
    if (INVISIBLE_UNIT[text.charCodeAt(i)] === 1) {
      copyUpTo(i);
      copied = ++i;
    } else if (isPlane14Pair(text, i)) {
      copyUpTo(i);
      const ascii = taggedAscii(text.charCodeAt(i + 1));
      if (ascii !== 0) {
        pieces.push({ at, origin: i, tag: true });
        parts.push(String.fromCharCode(ascii));
        at++;
      }
      copied = i += 2;
    } else i++;
  }
  copyUpTo(text.length);
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
