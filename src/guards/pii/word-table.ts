import { endianness } from "node:os";

/**
 * A read-only map from words to small numbers, looked up straight from a stretch of a text
 * (no substring made). Open addressing over one typed array holding, per slot, 24 bits of a
 * fingerprint of the word and its value in the low byte instead of the word: one four-byte read
 * per probe where a Map of a quarter of a million strings costs several cache lines, which is
 * what keeps name lookups fast (the table of names and words is 2 MB; a probe that misses the
 * cache, about 70 ns here, is still most of a lookup's cost). Two different words share a
 * fingerprint and a slot with odds of about one in sixteen million per lookup: an unknown word
 * is then taken for a known one, which a heuristic can bear.
 */
/** Raised whenever the hashing or the layout changes: a table written before is then rebuilt (prebuilt-tables.ts). */
export const WORD_TABLE_FORMAT = 2;
const MAGIC = `GHW${WORD_TABLE_FORMAT}`;
const HEADER_BYTES = 16;
const VALUE_BITS = 0xff;

export class WordTable {
  /** Slot i holds the word's fingerprint in its high 24 bits and its value (0 for an empty slot) in the low 8. */
  private readonly slots: Uint32Array;
  private readonly mask: number;
  private used = 0;

  /** Room for `expected` words; `slots` is a table's content read back by fromBytes. */
  constructor(
    private readonly expected: number,
    read?: { slots: Uint32Array; used: number },
  ) {
    if (read) {
      this.slots = read.slots;
      this.used = read.used;
    } else {
      let size = 1024;
      while (size < expected * 2) size *= 2;
      this.slots = new Uint32Array(size);
    }
    this.mask = this.slots.length - 1;
  }

  /** The table as bytes (little-endian, as fromBytes reads it): a header, then the slots. */
  toBytes(): Buffer {
    const size = this.slots.length;
    const bytes = Buffer.alloc(HEADER_BYTES + size * 4);
    bytes.write(MAGIC, 0, "latin1");
    bytes.writeUInt32LE(this.expected, 4);
    bytes.writeUInt32LE(this.used, 8);
    bytes.writeUInt32LE(size, 12);
    for (let i = 0; i < size; i++) bytes.writeUInt32LE(this.slots[i] as number, HEADER_BYTES + i * 4);
    return bytes;
  }

  /** A table written by toBytes; throws when the bytes are not one. */
  static fromBytes(bytes: Uint8Array): WordTable {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = view.length >= HEADER_BYTES ? view.readUInt32LE(12) : 0;
    const wellFormed = view.toString("latin1", 0, 4) === MAGIC && size >= 1024 && (size & (size - 1)) === 0 && view.length === HEADER_BYTES + size * 4;
    if (!wellFormed) throw new Error("WordTable.fromBytes: not a word table");
    const slots = new Uint32Array(size);
    if (endianness() === "LE") {
      // One copy of the bytes (the slots in a file seldom start at a multiple of four in its buffer):
      // a start-up reads two tables of half a million slots, which a loop reads slowly before it is optimised.
      new Uint8Array(slots.buffer).set(view.subarray(HEADER_BYTES));
    } else {
      for (let i = 0; i < size; i++) slots[i] = view.readUInt32LE(HEADER_BYTES + i * 4);
    }
    return new WordTable(view.readUInt32LE(4), { slots, used: view.readUInt32LE(8) });
  }

  /** Sets a word's value (1 to 255), replacing the one it had. */
  set(word: string, value: number): void {
    const slot = this.slotOf(word, 0, word.length);
    if (this.slots[slot] === 0 && ++this.used > this.expected) throw new Error(`WordTable: more than ${this.expected} words`);
    this.slots[slot] = (fingerprint(word, 0, word.length) & ~VALUE_BITS) | value;
  }

  /** The value of text[start, end), or 0 when the word is not in the table. */
  get(text: string, start: number, end: number): number {
    return (this.slots[this.slotOf(text, start, end)] as number) & VALUE_BITS;
  }

  /** The slot holding the word, or the empty slot where it would go. */
  private slotOf(text: string, start: number, end: number): number {
    // Where the word goes (FNV-1a over the UTF-16 code units) and its fingerprint(), in one loop.
    let place = 0x811c9dc5;
    let print = fingerprintSeed(start, end);
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      place = Math.imul(place ^ code, 0x01000193);
      print = fingerprintStep(print, code);
    }
    const key = fingerprintEnd(print) >>> 8;
    const slots = this.slots;
    let slot = (place >>> 0) & this.mask;
    for (let entry = slots[slot] as number; entry !== 0 && entry >>> 8 !== key; entry = slots[slot] as number) slot = (slot + 1) & this.mask;
    return slot;
  }
}

/** An independent hash (a multiply-rotate mix with the length): what a word is recognised by. */
function fingerprint(text: string, start: number, end: number): number {
  let h = fingerprintSeed(start, end);
  for (let i = start; i < end; i++) h = fingerprintStep(h, text.charCodeAt(i));
  return fingerprintEnd(h);
}
const fingerprintSeed = (start: number, end: number) => 0x9e3779b9 ^ (end - start);
function fingerprintStep(h: number, code: number): number {
  const mixed = Math.imul(h ^ code, 0x85ebca6b);
  return (mixed << 13) | (mixed >>> 19);
}
function fingerprintEnd(h: number): number {
  const mixed = Math.imul(h ^ (h >>> 16), 0xc2b2ae35);
  return (mixed ^ (mixed >>> 13)) >>> 0;
}
