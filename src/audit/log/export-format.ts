/**
 * The lines of an exported log (JSON Lines, UTF-8), written by export.ts and read by verifier.ts:
 *
 *   {"type":"log","origin":O,"key":K}              first line: the log's origin and C2SP verifier key
 *   {"type":"checkpoint","size":N,"note":T}        a signed checkpoint note with every cosignature
 *   {"type":"payload","seq":N,"body":B}            B: the entry's payload body, its bytes exactly as
 *                                                  stored (a JSON object, written as is); right before
 *                                                  entry N, and absent once retention pruned it
 *   {"type":"entry","seq":N,"leaf":H,"entry":E}    E: the entry text exactly as hashed;
 *                                                  H: the leaf hash the log stored for it (hex)
 *
 * The verifier never trusts "leaf": it hashes E itself and uses H only to point at the entry
 * whose text changed. It reads entry lines in exactly the form written here with a byte scanner
 * instead of JSON.parse; any other well-formed JSON line is read too, just more slowly.
 */
export const headerLine = (origin: string, key: string): string => JSON.stringify({ type: "log", origin, key }) + "\n";
export const checkpointLine = (size: number, note: string): string => JSON.stringify({ type: "checkpoint", size, note }) + "\n";
export const entryLine = (seq: number, leaf: string, entry: string): string => JSON.stringify({ type: "entry", seq, leaf, entry }) + "\n";
export const payloadLine = (seq: number, body: string): string => `${PAYLOAD_PREFIX_TEXT}${seq},"body":${body}}\n`;

const PAYLOAD_PREFIX_TEXT = '{"type":"payload","seq":';
const PAYLOAD_PREFIX = Buffer.from(PAYLOAD_PREFIX_TEXT);
const BODY_KEY = Buffer.from(',"body":');

/** A payload line in the exporter's exact form: the body is line[bodyStart, bodyEnd), byte for byte. */
export function readPayloadLine(line: Uint8Array, start: number, end: number): { seq: number; bodyStart: number; bodyEnd: number } | undefined {
  if (!startsWith(line, start, end, PAYLOAD_PREFIX)) return undefined;
  let i = start + PAYLOAD_PREFIX.length;
  let seq = 0;
  const digitsFrom = i;
  for (; i < end && line[i]! >= 0x30 && line[i]! <= 0x39; i++) seq = seq * 10 + line[i]! - 0x30;
  if (i === digitsFrom || i - digitsFrom > 15 || !startsWith(line, i, end, BODY_KEY)) return undefined;
  const bodyStart = i + BODY_KEY.length;
  if (end - 1 <= bodyStart || line[end - 1] !== 0x7d || line[bodyStart] !== 0x7b) return undefined;
  return { seq, bodyStart, bodyEnd: end - 1 };
}

const ENTRY_PREFIX = Buffer.from('{"type":"entry","seq":');
const LEAF_KEY = Buffer.from(',"leaf":"');
const ENTRY_KEY = Buffer.from('","entry":"');
const HEX_DIGITS = Buffer.from("0123456789abcdef");
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** An entry line: the text sits in `buffer` at [1, 1 + length), after a 0x00 byte, ready for leaf hashing. */
export interface EntryLine {
  seq: number;
  /** Where the 64 hex digits of the stored leaf hash start in `leafSource`, or -1 when the line has none. */
  leafAt: number;
  leafSource: Uint8Array;
  buffer: Buffer;
  length: number;
}

/** Reads entry lines into one reused buffer, so reading allocates nothing per line. */
export class EntryLineReader {
  private buffer = Buffer.alloc(64 * 1024);
  private leafText = Buffer.alloc(64);

  /** The entry of line[start, end) in the exporter's exact form, or undefined when it is in any other form. */
  readFast(line: Uint8Array, start: number, end: number): EntryLine | undefined {
    if (!startsWith(line, start, end, ENTRY_PREFIX)) return undefined;
    let i = start + ENTRY_PREFIX.length;
    let seq = 0;
    const digitsFrom = i;
    for (; i < end && line[i]! >= 0x30 && line[i]! <= 0x39; i++) seq = seq * 10 + line[i]! - 0x30;
    if (i === digitsFrom || i - digitsFrom > 15 || !startsWith(line, i, end, LEAF_KEY)) return undefined;
    const leafAt = i + LEAF_KEY.length;
    i = leafAt + 64;
    if (!startsWith(line, i, end, ENTRY_KEY)) return undefined;
    i += ENTRY_KEY.length;
    const close = end - 2;
    if (close < i || line[close] !== QUOTE || line[close + 1] !== 0x7d) return undefined;
    const length = this.unescape(line, i, close);
    return length < 0 ? undefined : { seq, leafAt, leafSource: line, buffer: this.buffer, length };
  }

  /** Any JSON form of an entry line; undefined when it is not one. */
  readSlow(fields: { seq?: unknown; leaf?: unknown; entry?: unknown }): EntryLine | undefined {
    if (typeof fields.entry !== "string" || !Number.isSafeInteger(fields.seq)) return undefined;
    const text = Buffer.from(fields.entry, "utf8");
    this.ensure(text.length);
    text.copy(this.buffer, 1);
    const leaf = typeof fields.leaf === "string" && /^[0-9a-f]{64}$/.test(fields.leaf);
    if (leaf) this.leafText.write(fields.leaf as string, "latin1");
    return { seq: fields.seq as number, leafAt: leaf ? 0 : -1, leafSource: this.leafText, buffer: this.buffer, length: text.length };
  }

  /**
   * Copies the JSON string body line[from, to) into the buffer at 1, undoing \" and \\ (the only
   * escapes JSON.stringify writes for canonical entry text); -1 for anything else.
   */
  private unescape(line: Uint8Array, from: number, to: number): number {
    this.ensure(to - from);
    const out = this.buffer;
    out[0] = 0x00;
    let o = 1;
    for (let i = from; i < to; i++) {
      let c = line[i]!;
      // Most bytes are letters, above the backslash: one comparison lets them through.
      if (c <= BACKSLASH) {
        if (c === BACKSLASH) {
          if (++i === to) return -1;
          c = line[i]!;
          if (c !== QUOTE && c !== BACKSLASH && c !== 0x2f) return -1;
        } else if (c === QUOTE || c < 0x20) {
          // A bare quote would end the string early: the line means something else than it seems.
          return -1;
        }
      }
      out[o++] = c;
    }
    return o - 1;
  }

  private ensure(length: number): void {
    if (this.buffer.length < length + 1) this.buffer = Buffer.alloc(Math.max(length + 1, this.buffer.length * 2));
    this.buffer[0] = 0x00;
  }
}

/** True when the 64 lower-case hex digits at `at` spell `hash`. */
export function hexEquals(source: Uint8Array, at: number, hash: Uint8Array): boolean {
  for (let i = 0; i < 32; i++) {
    const b = hash[i]!;
    if (source[at + 2 * i] !== HEX_DIGITS[b >> 4] || source[at + 2 * i + 1] !== HEX_DIGITS[b & 15]) return false;
  }
  return true;
}

function startsWith(line: Uint8Array, at: number, end: number, prefix: Uint8Array): boolean {
  if (end < at + prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (line[at + i] !== prefix[i]) return false;
  return true;
}
