/**
 * Reads the top-level "seq" and "at" of an entry's canonical JSON text (entry.ts) without
 * building the rest: "at" by skipping the members before it, "seq" from the end of the text.
 * For text of any other shape it answers undefined, and the caller falls back to JSON.parse.
 */
export interface EntryNumbers {
  seq: number;
  at: number;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

export function scanEntryNumbers(text: Uint8Array, start: number, end: number): EntryNumbers | undefined {
  const at = scanAt(text, start, end);
  const seq = at === undefined ? undefined : scanSeq(text, start, end);
  return seq === undefined || at === undefined ? undefined : { seq, at };
}

/** Reads top-level members from the start until "at" (sorted keys put it third). */
function scanAt(text: Uint8Array, start: number, end: number): number | undefined {
  if (text[start] !== OPEN_OBJECT) return undefined;
  let i = start + 1;
  while (i < end && text[i] === QUOTE) {
    const keyEnd = skipString(text, i, end);
    if (keyEnd < 0 || text[keyEnd] !== COLON) return undefined;
    const isAt = keyEnd - i === 4 && text[i + 1] === 0x61 && text[i + 2] === 0x74;
    i = keyEnd + 1;
    if (isAt) {
      const valueEnd = readInteger(text, i, end);
      return valueEnd < 0 ? undefined : integerValue(text, i, valueEnd);
    }
    i = skipValue(text, i, end);
    if (i < 0 || text[i] !== COMMA) return undefined;
    i++;
  }
  return undefined;
}

const SEQ_KEY = Buffer.from(',"seq":');
const TENANT_KEY = Buffer.from(',"tenant":');
const NULL = Buffer.from("null");

/**
 * Reads "seq" from the end, where sorted keys put it: the text must end in ,"seq":N,"tenant":T}
 * with T null or a string without escapes. Then that closing brace is the top-level object's,
 * and ,"seq": (a quote after a comma cannot be inside a string) is its member.
 */
function scanSeq(text: Uint8Array, start: number, end: number): number | undefined {
  const close = end - 1;
  if (close <= start || text[close] !== CLOSE_OBJECT) return undefined;
  let tenantAt: number;
  if (text[close - 1] === QUOTE) {
    let open = close - 2;
    while (open > start && text[open] !== QUOTE) {
      if (text[open] === BACKSLASH) return undefined;
      open--;
    }
    tenantAt = open - TENANT_KEY.length;
  } else {
    if (!matches(text, close - NULL.length, NULL)) return undefined;
    tenantAt = close - NULL.length - TENANT_KEY.length;
  }
  if (tenantAt <= start || !matches(text, tenantAt, TENANT_KEY)) return undefined;
  let digits = tenantAt;
  while (digits > start && text[digits - 1]! >= 0x30 && text[digits - 1]! <= 0x39) digits--;
  const seqAt = digits - SEQ_KEY.length;
  if (seqAt <= start || !matches(text, seqAt, SEQ_KEY) || readInteger(text, digits, end) !== tenantAt) return undefined;
  return integerValue(text, digits, tenantAt);
}

function matches(text: Uint8Array, at: number, bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (text[at + i] !== bytes[i]) return false;
  return true;
}

/** The end of a non-negative integer of at most 15 digits at i, or -1. */
function readInteger(text: Uint8Array, i: number, end: number): number {
  const from = i;
  while (i < end && text[i]! >= 0x30 && text[i]! <= 0x39) i++;
  if (i === from || i - from > 15 || (text[from] === 0x30 && i - from > 1)) return -1;
  const next = text[i];
  return next === COMMA || next === CLOSE_OBJECT ? i : -1;
}

function integerValue(text: Uint8Array, from: number, to: number): number {
  let value = 0;
  for (let i = from; i < to; i++) value = value * 10 + text[i]! - 0x30;
  return value;
}

/** The index after the string that starts with the quote at i, or -1. */
function skipString(text: Uint8Array, i: number, end: number): number {
  for (i++; i < end; i++) {
    const c = text[i];
    if (c === BACKSLASH) i++;
    else if (c === QUOTE) return i + 1;
  }
  return -1;
}

/** The index after the value that starts at i, or -1. */
function skipValue(text: Uint8Array, i: number, end: number): number {
  const first = text[i];
  if (first === QUOTE) return skipString(text, i, end);
  if (first === OPEN_OBJECT || first === OPEN_ARRAY) {
    let depth = 0;
    while (i < end) {
      const c = text[i];
      if (c === QUOTE) {
        i = skipString(text, i, end);
        if (i < 0) return -1;
        continue;
      }
      if (c === OPEN_OBJECT || c === OPEN_ARRAY) depth++;
      else if (c === CLOSE_OBJECT || c === CLOSE_ARRAY) {
        depth--;
        if (depth === 0) return i + 1;
      }
      i++;
    }
    return -1;
  }
  // A number, true, false or null: up to the next separator.
  const from = i;
  while (i < end && text[i] !== COMMA && text[i] !== CLOSE_OBJECT) i++;
  return i === from ? -1 : i;
}
