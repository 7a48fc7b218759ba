/**
 * Hashes of words computed a character at a time while scanning, so a scan can look words up
 * without cutting them out of the text. Letters are folded to lower case. Collisions are possible
 * and harmless where this is used: to decide which patterns are worth running, and to spot repeats.
 */
export const WORD_HASH_SEED = 0x811c9dc5 | 0;

/** One more character (a char code) into a word's hash (FNV-1a); A–Z are folded to a–z. */
export function extendWordHash(hash: number, code: number): number {
  return Math.imul(hash ^ (code >= 65 && code <= 90 ? code | 0x20 : code), 16777619);
}

/** The key a finished hash is looked up by: a small integer, which V8 maps handle fastest. */
export const wordKey = (hash: number): number => hash & 0x3fffffff;

export function hashWord(word: string): number {
  let h = WORD_HASH_SEED;
  for (let i = 0; i < word.length; i++) h = extendWordHash(h, word.charCodeAt(i));
  return wordKey(h);
}

/**
 * Word keys (wordKey) to values in [0, 2^31), by open addressing: a lookup is a multiply and a
 * probe or two, several times cheaper than a Map's for the few hundred words a scan looks up.
 */
export class WordKeyTable {
  private readonly keys: Int32Array;
  private readonly values: Int32Array;
  private readonly shift: number;
  private readonly mask: number;

  constructor(entries: Iterable<readonly [number, number]>) {
    const list = [...entries];
    let bits = 4;
    while (1 << bits < list.length * 4) bits++;
    this.keys = new Int32Array(1 << bits).fill(-1);
    this.values = new Int32Array(1 << bits);
    this.shift = 32 - bits;
    this.mask = (1 << bits) - 1;
    for (const [key, value] of list) {
      let i = this.slot(key);
      while (this.keys[i] !== -1 && this.keys[i] !== key) i = (i + 1) & this.mask;
      this.keys[i] = key;
      this.values[i] = value;
    }
  }

  private slot(key: number): number {
    return Math.imul(key, 0x9e3779b1) >>> this.shift;
  }

  /** The value for a key, or -1. */
  get(key: number): number {
    for (let i = this.slot(key); ; i = (i + 1) & this.mask) {
      const k = this.keys[i] as number;
      if (k === key) return this.values[i] as number;
      if (k === -1) return -1;
    }
  }
}
