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
