/**
 * A read-only map from words to small numbers, looked up straight from a stretch of a text
 * (no substring made). Open addressing over typed arrays holding a 32-bit fingerprint of each
 * word instead of the word: one cache line per lookup where a Map of a quarter of a million
 * strings costs several, which is what keeps name lookups fast. Two different words share a
 * fingerprint and a slot with odds of about one in four billion per lookup: an unknown word is
 * then taken for a known one, which a heuristic can bear.
 */
/** Raised whenever the hashing or the layout changes: a table written before is then rebuilt (prebuilt-tables.ts). */
export const WORD_TABLE_FORMAT = 1;
const MAGIC = `GHW${WORD_TABLE_FORMAT}`;
const HEADER_BYTES = 16;

export class WordTable {
  /**
   * Slot i is entries[2i] (the word's fingerprint) and entries[2i + 1] (its value, 0 for an
   * empty slot): a lookup reads one cache line where two arrays cost two.
   */
  private readonly entries: Uint32Array;
  private readonly mask: number;
  private used = 0;

  /** Room for `expected` words; `arrays` is a table's content read back by fromBytes. */
  constructor(
    private readonly expected: number,
    arrays?: { fingerprints: Uint32Array; values: Uint8Array; used: number },
  ) {
    let size = 1024;
    if (arrays) {
      size = arrays.values.length;
      this.used = arrays.used;
    } else {
      while (size < expected * 2) size *= 2;
    }
    this.entries = new Uint32Array(size * 2);
    if (arrays) {
      for (let i = 0; i < size; i++) {
        this.entries[2 * i] = arrays.fingerprints[i] as number;
        this.entries[2 * i + 1] = arrays.values[i] as number;
      }
    }
    this.mask = size - 1;
  }

  /** The table as bytes (little-endian, as fromBytes reads it): a header, the fingerprints, the values. */
  toBytes(): Buffer {
    const size = this.mask + 1;
    const bytes = Buffer.alloc(HEADER_BYTES + size * 5);
    bytes.write(MAGIC, 0, "latin1");
    bytes.writeUInt32LE(this.expected, 4);
    bytes.writeUInt32LE(this.used, 8);
    bytes.writeUInt32LE(size, 12);
    for (let i = 0; i < size; i++) {
      bytes.writeUInt32LE(this.entries[2 * i] as number, HEADER_BYTES + i * 4);
      bytes[HEADER_BYTES + size * 4 + i] = this.entries[2 * i + 1] as number;
    }
    return bytes;
  }

  /** A table written by toBytes; throws when the bytes are not one. */
  static fromBytes(bytes: Uint8Array): WordTable {
    const view = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const size = view.length >= HEADER_BYTES ? view.readUInt32LE(12) : 0;
    const wellFormed = view.toString("latin1", 0, 4) === MAGIC && size >= 1024 && (size & (size - 1)) === 0 && view.length === HEADER_BYTES + size * 5;
    if (!wellFormed) throw new Error("WordTable.fromBytes: not a word table");
    const fingerprints = new Uint32Array(size);
    for (let i = 0; i < size; i++) fingerprints[i] = view.readUInt32LE(HEADER_BYTES + i * 4);
    const values = view.subarray(HEADER_BYTES + size * 4);
    return new WordTable(view.readUInt32LE(4), { fingerprints, values, used: view.readUInt32LE(8) });
  }

  /** Sets a word's value (1 to 255), replacing the one it had. */
  set(word: string, value: number): void {
    const slot = this.slotOf(word, 0, word.length);
    if (this.entries[slot + 1] === 0 && ++this.used > this.expected) throw new Error(`WordTable: more than ${this.expected} words`);
    this.entries[slot] = fingerprint(word, 0, word.length);
    this.entries[slot + 1] = value;
  }

  /** The value of text[start, end), or 0 when the word is not in the table. */
  get(text: string, start: number, end: number): number {
    return this.entries[this.slotOf(text, start, end) + 1] as number;
  }

  /** The index in entries of the slot holding the word, or of the empty slot where it would go. */
  private slotOf(text: string, start: number, end: number): number {
    // Where the word goes (FNV-1a over the UTF-16 code units) and its fingerprint(), in one loop.
    let place = 0x811c9dc5;
    let print = fingerprintSeed(start, end);
    for (let i = start; i < end; i++) {
      const code = text.charCodeAt(i);
      place = Math.imul(place ^ code, 0x01000193);
      print = fingerprintStep(print, code);
    }
    print = fingerprintEnd(print);
    const entries = this.entries;
    let slot = (place >>> 0) & this.mask;
    while (entries[2 * slot + 1] !== 0 && entries[2 * slot] !== print) slot = (slot + 1) & this.mask;
    return 2 * slot;
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
