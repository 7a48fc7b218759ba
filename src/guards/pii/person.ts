import type { Finding } from "../finding.js";
import { asciiLower, isDigit, type PiiRecognizer } from "./recognizer.js";
import type { Word } from "./text-index.js";
import { countryWords, englishWords, personNames } from "./word-lists.js";
import { loadWordTable, type PrebuiltTable } from "./prebuilt-tables.js";
import { WordTable } from "./word-table.js";

/** Titles that put a name after them. */
const HONORIFICS = new Set(
  (
    "Mr Mrs Ms Miss Mx Dr Prof Professor Sir Dame Madam Madame Mister Lord Lady Rev Reverend Fr Father Sister Brother Mme Mlle " +
    "Monsieur Herr Frau Señor Señora Sra Sig Signora Capt Captain Col Gen Lt Sgt Officer Judge Senator Uncle Aunt Grandma Grandpa"
  ).split(" "),
);
const SUFFIXES = new Set(["Jr", "Sr", "II", "III", "IV", "PhD", "MD", "Esq"]);

/**
 * Capitalised words that end a name where they stand, and that make the capitalised words
 * right before them the name of a company, a place or a street rather than of a person.
 */
const NAMES_OF_THINGS = new Set(
  (
    "Inc Ltd LLC Corp Corporation Company Co Group Holdings Associates Partners Bank University College School Institute Hospital Clinic " +
    "Foundation Association Society Agency Department Ministry Council Club Church Airlines Airways Hotel Restaurant Cafe Café Orchestra " +
    "Records Studios Studio Press Times News Weekly Magazine Journal Technologies Systems Solutions Consulting Capital Media Labs " +
    "Street Streets St Str Road Rd Avenue Ave Av Lane Ln Boulevard Blvd Drive Dr Square Park Parks Place Pl Court Ct Way Highway Hwy " +
    "Bridge River Lake Mount Mountain Island Islands Valley City Town County State Province Republic Kingdom Springs Harbor Harbour " +
    "Gateway Loop Turnpike Union Pass Point Crossing Terrace Gardens Heights Ridge Hill Hills Plaza Port Fort Alley Row Close Crescent"
  ).split(" "),
);
/** Capitalised words that are never a person's name though name lists hold them. */
const NEVER_NAMES = new Set(
  (
    "I Monday Tuesday Wednesday Thursday Friday Saturday Sunday January February March April May June July August September October " +
    "November December God Internet Apt Suite Unit Box Floor Bot User Customer Agent Assistant Answer Question Hello Hi Dear Thanks " +
    "Please Yes No OK Okay Sorry Welcome English French German Spanish Italian Chinese Japanese Russian American British European " +
    "African Asian Greek Dutch Swedish Danish Finnish Norwegian Polish Czech Hungarian Portuguese Christmas Easter Halloween Labor Labour " +
    "North South East West Northern Southern Eastern Western Central E-mail Email Fax Phone Mobile Desk Website Address Tel " +
    // A surname too, but here mostly the product people talk to.
    "Gatehouse"
  ).split(" "),
);

/**
 * Words shortly before a name that say one follows (the word right before, or the two): those
 * that say it outright, and greetings and relations, which also come before teams and products
 * ("Hello, Gatehouse").
 */
const CUE_WORDS = new Set("called named i'm name's".split(" "));
const CUE_PAIRS = new Set(["name is", "i am", "this is"]);
const WEAK_CUE_WORDS = new Set(
  (
    "by dear hi hello thanks under contact meet met wife husband son daughter mother father brother sister kid friend partner " +
    "colleague boss manager producer director author singer writer"
  ).split(" "),
);
const WEAK_CUE_PAIRS = new Set(["thank you", "ask for", "speak to", "speak with", "spoke to", "spoke with"]);
/** Prepositions before a lone capitalised word that make it a place. */
const PLACE_WORDS = new Set("in at from to near into via across visit visiting of".split(" "));
/** Words right after a name that say it was one. */
const WORDS_AFTER = ["said", "says", "wrote", "writes", "told", "asked", "replied", "explained", "listed", "lives", "works", "joined", "will be", "has been", "had", "is a", "was a"];
const CUE_AFTER = new RegExp(`(?:'s\\b|’s\\b|,? (?:${WORDS_AFTER.join("|")})\\b)`, "y");
/** The first two characters of WORDS_AFTER, as one number each: CUE_AFTER is tried only after a space and one of them. */
const pairAt = (text: string, at: number) => text.charCodeAt(at) * 0x10000 + text.charCodeAt(at + 1);
const WORDS_AFTER_STARTS = new Set(WORDS_AFTER.map((w) => pairAt(w, 0)));
/** Whether words right after `at` say that what is before was a name ("'s", "said", …). */
function cueAfter(text: string, at: number): boolean {
  const code = text.charCodeAt(at);
  if (code === 0x27 || code === 0x2019) return text.charCodeAt(at + 1) === 0x73 && matchesAt(CUE_AFTER, text, at); // 's ’s
  const space = code === 0x2c ? at + 1 : at; // ,
  return (code === 0x2c || code === 0x20) && text.charCodeAt(space) === 0x20 && WORDS_AFTER_STARTS.has(pairAt(text, space + 1)) && matchesAt(CUE_AFTER, text, at);
}
/** A house number or a postcode right after: the words are a street's or a town's name. */
function numberAfter(text: string, at: number): boolean {
  if (text.charCodeAt(at) !== 0x20) return false;
  let p = at + 1;
  if (isDigit(text.charCodeAt(p))) return true;
  // A short lower-case word between ("nr. 5", "no 12"): / (?:[a-zà-ÿ]{1,5}\.? )?\d/ read by hand.
  while (p - at <= 6 && isSmallLetter(text.charCodeAt(p))) p++;
  if (p === at + 1 || p - at > 6) return false;
  if (text.charCodeAt(p) === 0x2e) p++;
  return text.charCodeAt(p) === 0x20 && isDigit(text.charCodeAt(p + 1));
}
const isSmallLetter = (code: number) => (code >= 0x61 && code <= 0x7a) || (code >= 0xe0 && code <= 0xff);
/** True when the sticky pattern matches at `at`. */
function matchesAt(pattern: RegExp, text: string, at: number): boolean {
  pattern.lastIndex = at;
  return pattern.test(text);
}

/** What a capitalised word is to a name: part of one (name, ambiguous, unknown), or what ends one. */
type Kind = "name" | "ambiguous" | "unknown" | "word" | "honorific" | "suffix" | "thing";

/**
 * A stretch of the text's capitalised words, by index (a candidate's words follow one another):
 * what each is to the name is the lexicon's kind, an initial being a name.
 */
interface Candidate {
  first: number;
  /** The index of the candidate's last word. */
  last: number;
  honorific: boolean;
  /** The index in the text's capitalised words of the word after the candidate. */
  next: number;
}

/**
 * Names of people, found offline: runs of capitalised words judged by lists of first names and
 * surnames and of English words (a capitalised word at the start of a sentence or in a title
 * more likely being the word), titles before them (Mr, Dr …), initials and suffixes inside
 * them, and the words around them ("my name is", "said"; a number or "Street" next to them
 * makes them a street). A name found once is found again where it recurs alone.
 */
export const personRecognizer: PiiRecognizer = {
  types: ["PERSON"],
  prepare: () => void capitalisedLexicon(),
  find(text, index) {
    const lexicon = capitalisedLexicon();
    const found: Finding[] = [];
    /** The words of names found, by shape: a word is compared only with those of its shape. */
    const known = new Map<number, Word[]>();
    const words = index.capitalised;
    // One lookup per word: candidates and judge both ask.
    const kinds: Kind[] = new Array<Kind>(words.length);
    for (let i = 0; i < words.length; i++) kinds[i] = lexicon.kindOf(text, words[i] as Word);
    for (const candidate of candidates(text, words, kinds)) {
      const score = judge(text, candidate, kinds, words);
      if (score <= 0) continue;
      found.push({ type: "PERSON", start: (words[candidate.first] as Word).start, end: (words[candidate.last] as Word).end, score });
      for (let i = candidate.first; i <= candidate.last; i++) {
        const w = words[i] as Word;
        if (score >= 0.7 && kinds[i] !== "word" && w.end - w.start > 2) {
          const shape = shapeOf(text, w);
          const same = known.get(shape);
          if (!same) known.set(shape, [w]);
          else if (!same.some((k) => sameWord(text, k, w))) same.push(w);
        }
      }
    }
    // A name seen whole is a name where it comes back alone ("Faina D. Yefremova … early Yefremova").
    if (known.size > 0) {
      // The names found are in text order, as the words are: one walk tells which words they cover.
      const names = found.length;
      let name = 0;
      for (let i = 0; i < words.length; i++) {
        const w = words[i] as Word;
        while (name < names && (found[name] as Finding).end <= w.start) name++;
        const covered = name < names && (found[name] as Finding).start <= w.start;
        // A word the lexicon calls a word or a thing's is never known (known words are a name's).
        if (covered || kinds[i] === "word" || kinds[i] === "thing" || w.end - w.start <= 2) continue;
        if (known.get(shapeOf(text, w))?.some((k) => sameWord(text, k, w))) found.push({ type: "PERSON", start: w.start, end: w.end, score: 0.7 });
      }
    }
    return found;
  },
};

/** A word's length and first two code units, as one small integer: equal words have equal shapes. */
const shapeOf = (text: string, w: Word) => (((w.end - w.start) & 0xff) << 22) | ((text.charCodeAt(w.start) & 0x7ff) << 11) | (text.charCodeAt(w.start + 1) & 0x7ff);
/** Whether two words of the text are written alike. */
function sameWord(text: string, a: Word, b: Word): boolean {
  if (a.end - a.start !== b.end - b.start) return false;
  for (let i = 0; i < a.end - a.start; i++) if (text.charCodeAt(a.start + i) !== text.charCodeAt(b.start + i)) return false;
  return true;
}
const isInitial = (w: Word) => w.end - w.start === 1;
function isAllCaps(text: string, w: Word): boolean {
  if (w.end - w.start < 2) return false;
  const second = text.charCodeAt(w.start + 1);
  if (second < 0xc0 && (second < 0x41 || second > 0x5a)) return false;
  // ASCII has no capital but A-Z to check for; other scripts are asked of toUpperCase.
  for (let i = w.start + 2; i < w.end; i++) {
    const code = text.charCodeAt(i);
    if (code >= 0x80) return w.text === w.text.toUpperCase();
    if (code >= 0x61 && code <= 0x7a) return false;
  }
  return (second < 0x80 && text.charCodeAt(w.start) < 0x80) || w.text === w.text.toUpperCase();
}

const KINDS: readonly Kind[] = ["unknown", "name", "ambiguous", "word", "honorific", "suffix", "thing"];
const code = (kind: Kind) => KINDS.indexOf(kind);

/** What a capitalised word is to a name, by the lists. */
export interface Lexicon {
  kindOf(text: string, word: Word): Kind;
}

let lexicon: Lexicon | undefined;

/**
 * Every capitalised word the lists know, with what it is to a name: one lookup per word while
 * scanning. Words not in it are unknown.
 */
export const capitalisedWords: PrebuiltTable = {
  name: "capitalised-words",
  revision: 3,
  inputs: () => [KINDS, ...[HONORIFICS, SUFFIXES, NAMES_OF_THINGS, NEVER_NAMES].map((set) => [...set])],
  build() {
    const { frequent, common } = englishWords();
    const names = personNames();
    const capitalise = (word: string) => word.charAt(0).toUpperCase() + word.slice(1);
    const table = new WordTable(common.size + names.length + 2000);
    const word = code("word");
    for (const w of common) table.set(capitalise(w), word);
    const [name, ambiguous] = [code("name"), code("ambiguous")];
    for (const n of names) table.set(n, common.has(n.toLowerCase()) ? ambiguous : name);
    for (const w of frequent) table.set(capitalise(w), word);
    for (const w of countryWords()) table.set(w, word);
    for (const w of NEVER_NAMES) table.set(w, word);
    for (const w of NAMES_OF_THINGS) table.set(w, code("thing"));
    for (const w of SUFFIXES) table.set(w, code("suffix"));
    for (const w of HONORIFICS) table.set(w, code("honorific"));
    return table;
  },
};

/** The capitalised words' table, read once per process. */
function capitalisedLexicon(): Lexicon {
  if (lexicon) return lexicon;
  const table = loadWordTable(capitalisedWords);
  lexicon = { kindOf: (text, word) => KINDS[table.get(text, word.start, word.end)] as Kind };
  return lexicon;
}

/**
 * Splits each run of capitalised words (joined by single spaces, or an initial's dot) into the
 * stretches that could be one person's name: words that are plainly English words, titles,
 * all-capital words and the names of things end a stretch.
 */
function candidates(text: string, words: readonly Word[], lexiconKinds: readonly Kind[]): Candidate[] {
  const out: Candidate[] = [];
  // The stretch so far: words[from, to), empty when from === to.
  let from = 0;
  let to = 0;
  let honorific = false;
  let previous: Word | undefined;
  let previousKind: Kind = "unknown";
  const flush = (next: number) => {
    // Initials lead nowhere and end nothing: "J" alone is not a name.
    while (to > from && isInitial(words[to - 1] as Word)) to--;
    while (to > from && isInitial(words[from] as Word)) from++;
    if (to > from && to - from <= 5) out.push({ first: from, last: to - 1, honorific, next });
    from = to;
    honorific = false;
  };
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as Word;
    const kind: Kind = isInitial(w) ? "name" : (lexiconKinds[i] as Kind);
    const continues = previous !== undefined && joined(text, previous, previousKind, w);
    previous = w;
    previousKind = kind;
    if (!continues) flush(i);
    switch (kind) {
      case "honorific":
        if (continues && to > from) break;
        flush(i);
        honorific = true;
        continue;
      case "thing":
        // "Elisabeth Parks", "Aunt Bertha Inc": the words before were a thing's name.
        from = to;
        honorific = false;
        continue;
      case "suffix":
        // Every word that does not join the stretch ends it, so a word that joins is the next one.
        if (to > from) to = i + 1;
        continue;
      case "word":
        if (!honorific) {
          flush(i);
          continue;
        }
        break;
    }
    if (isAllCaps(text, w)) {
      flush(i);
      continue;
    }
    if (to === from) from = i;
    to = i + 1;
  }
  flush(words.length);
  return out;
}

/** Two words belong to one name when only a space, or an initial's or a title's dot and a space, lies between them. */
function joined(text: string, a: Word, aKind: Kind, b: Word): boolean {
  const gap = b.start - a.end;
  if (gap === 1) return text.charCodeAt(a.end) === 0x20;
  if (gap === 2) return text.charCodeAt(a.end) === 0x2e && text.charCodeAt(a.end + 1) === 0x20 && (a.end - a.start === 1 || aKind === "honorific" || aKind === "suffix");
  return false;
}

const isSkipped = (code: number) => code === 0x20 || code === 0x2c || code === 0x3a; // space , :
const endsWord = (code: number) => isSkipped(code) || code === 0x0a || code === 0x2e || code === 0x3f || code === 0x21; // \n . ? !

/** The first and second words of the cue pairs: a pair is made only when it can be one of them. */
const PAIR_FIRSTS = new Set([...CUE_PAIRS, ...WEAK_CUE_PAIRS].map((pair) => pair.split(" ")[0] as string));
const PAIR_SECONDS = new Set([...CUE_PAIRS, ...WEAK_CUE_PAIRS].map((pair) => pair.split(" ")[1] as string));
/** The longest word the cue sets hold: a longer word before a name is none of them, and is not lowered. */
const LONGEST_CUE = Math.max(...[...CUE_WORDS, ...WEAK_CUE_WORDS, ...PLACE_WORDS, ...CUE_PAIRS, ...WEAK_CUE_PAIRS].flatMap((w) => w.split(" ")).map((w) => w.length));

/** A word in ASCII as its length and first and last letters in small letters: equal words in small letters have equal shapes. */
const cueShape = (text: string, start: number, end: number) => (end - start) * 0x10000 + asciiLower(text.charCodeAt(start)) * 0x80 + asciiLower(text.charCodeAt(end - 1));
/** Every word the cue sets, the cue pairs and judge ask for, by shape. */
const CUES_BY_SHAPE = new Map<number, string[]>();
for (const cue of new Set([...CUE_WORDS, ...WEAK_CUE_WORDS, ...PLACE_WORDS, ...CUE_PAIRS, ...WEAK_CUE_PAIRS, "the"].flatMap((w) => w.split(" ")))) {
  const shape = cueShape(cue, 0, cue.length);
  CUES_BY_SHAPE.set(shape, [...(CUES_BY_SHAPE.get(shape) ?? []), cue]);
}

/**
 * text[start, end) in lower case, or "" when it cannot be a cue word (longer than every one, or
 * in ASCII and none of them): "" is in no set, as such a word is in none. A word in ASCII is
 * compared with the cue words of its shape, and the one it equals returned, no string made
 * (most texts are two-byte strings, whose slices lower slowly).
 */
function cueWord(text: string, start: number, end: number): string {
  if (end - start > LONGEST_CUE) return "";
  let ascii = true;
  for (let i = start; i < end && ascii; i++) {
    const code = text.charCodeAt(i);
    // Of the characters beyond ASCII only the Kelvin sign lowers into it (to "k"): a word with another is no cue.
    if (code >= 0x80 && code !== 0x212a) return "";
    ascii = code < 0x80;
  }
  if (!ascii) return text.slice(start, end).toLowerCase();
  const cues = CUES_BY_SHAPE.get(cueShape(text, start, end));
  if (cues) {
    for (const cue of cues) {
      let i = start;
      while (i < end && asciiLower(text.charCodeAt(i)) === cue.charCodeAt(i - start)) i++;
      if (i === end) return cue;
    }
  }
  return "";
}

/**
 * The two words right before `start` (skipping spaces, commas and colons), lower case, as far as
 * they could be cue words: the nearest, and the one before it when a space parts them ("" for
 * none, or for a word too long to be a cue).
 */
function wordsBefore(text: string, start: number): { previous: string | undefined; pair: string } {
  let i = start - 1;
  while (i >= 0 && isSkipped(text.charCodeAt(i))) i--;
  const end = i + 1;
  while (i >= 0 && !endsWord(text.charCodeAt(i))) i--;
  if (end === i + 1) return { previous: undefined, pair: "" };
  const previous = cueWord(text, i + 1, end);
  // A pair is only ever asked for in the cue pairs: without a pair's second word there is none.
  if (text.charCodeAt(i) !== 0x20 || !PAIR_SECONDS.has(previous)) return { previous, pair: "" };
  while (i >= 0 && isSkipped(text.charCodeAt(i))) i--;
  const end2 = i + 1;
  while (i >= 0 && !endsWord(text.charCodeAt(i))) i--;
  if (end2 === i + 1) return { previous, pair: "" };
  const earlier = cueWord(text, i + 1, end2);
  return { previous, pair: previous && PAIR_FIRSTS.has(earlier) ? `${earlier} ${previous}` : "" };
}

/** How likely a candidate is a person's name (0 when not at all). */
function judge(text: string, c: Candidate, lexiconKinds: readonly Kind[], all: readonly Word[]): number {
  const first = all[c.first] as Word;
  const last = all[c.last] as Word;
  // A street or a town: a number before or after, or the name of a thing right after.
  let b = first.start - 1;
  if (text.charCodeAt(b) === 0x20) b--;
  if (text.charCodeAt(b) === 0x2c) b--;
  if (b < first.start - 1 && isDigit(text.charCodeAt(b))) return 0;
  const afterCode = text.charCodeAt(last.end);
  if (numberAfter(text, last.end)) return 0;
  const next = all[c.next];
  if (next && joined(text, last, "name", next) && lexiconKinds[c.next] === "thing") return 0;
  const { previous, pair } = wordsBefore(text, first.start);
  if (previous === "the" && !c.honorific) return 0;
  if (c.honorific) return 0.9;
  let counted = 0;
  let names = 0;
  let ambiguous = 0;
  for (let i = c.first; i <= c.last; i++) {
    const kind = lexiconKinds[i];
    if (isInitial(all[i] as Word) || kind === "suffix") continue;
    counted++;
    if (kind === "name") names++;
    else if (kind === "ambiguous") ambiguous++;
  }
  const opens = startsSentence(text, first.start);
  const speaker = afterCode === 0x3a && (first.start === 0 || text.charCodeAt(first.start - 1) === 0x0a);
  let score: number;
  if (counted >= 2) score = names > 0 ? 0.85 : ambiguous > 0 ? (opens ? 0.6 : 0.75) : opens ? 0.5 : 0.6;
  else if (names === 1) score = opens && !speaker ? 0.55 : 0.7;
  else if (ambiguous === 1) score = opens && !speaker ? 0.2 : 0.5;
  else score = speaker ? 0.6 : opens ? 0.2 : 0.35;
  if ((previous !== undefined && CUE_WORDS.has(previous)) || CUE_PAIRS.has(pair)) score += 0.25;
  else if (cueAfter(text, last.end)) score += 0.15;
  else if ((previous !== undefined && WEAK_CUE_WORDS.has(previous)) || WEAK_CUE_PAIRS.has(pair)) score += 0.1;
  if (counted === 1 && previous !== undefined && PLACE_WORDS.has(previous)) score -= 0.3;
  return Math.min(0.95, Math.round(score * 100) / 100);
}

/** True when the word begins a sentence, a line or a quotation, where every word is capitalised. */
function startsSentence(text: string, start: number): boolean {
  let i = start - 1;
  for (let c = text.charCodeAt(i); c === 0x20 || c === 0x22 || c === 0x201c || c === 0x27 || c === 0x28; c = text.charCodeAt(i)) i--; // space " “ ' (
  if (i < 0) return true;
  const c = text.charCodeAt(i);
  return c === 0x2e || c === 0x21 || c === 0x3f || c === 0x0a || c === 0x3a || c === 0x3b || c === 0x09; // . ! ? \n : ; \t
}
