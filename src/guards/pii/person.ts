import type { Finding } from "../finding.js";
import type { PiiRecognizer } from "./recognizer.js";
import type { Word } from "./text-index.js";
import { countryWords, englishWords, personNames, type EnglishWords } from "./word-lists.js";

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
    "North South East West Northern Southern Eastern Western Central E-mail Email Fax Phone Mobile Desk Website Address Tel"
  ).split(" "),
);

/** Words shortly before a name that say one follows. */
const CUE_BEFORE =
  /(?:\bname(?:'s| is|:)|\bi'm|\bi am|\bthis is|\bcalled|\bnamed|\bby|\bdear|\bhi|\bhello|\bthanks|\bthank you|\bunder|\bask for|\bcontact|\bspeak (?:to|with)|\bspoke (?:to|with)|\bmeet|\bmet|\bwife|\bhusband|\bson|\bdaughter|\bmother|\bfather|\bbrother|\bsister|\bkid|\bfriend|\bpartner|\bcolleague|\bboss|\bmanager|\bproducer|\bdirector|\bauthor|\bsinger|\bwriter)[\s,:]*$/i;
/** Words right after a name that say it was one. */
const CUE_AFTER = /^(?:'s\b|’s\b|,? (?:said|says|wrote|writes|told|asked|replied|explained|listed|lives|works|joined|will be|has been|had|is a|was a)\b)/;
/** Prepositions before a lone capitalised word that make it a place. */
const PLACE_BEFORE = /\b(?:in|at|from|to|near|into|via|across|visit|visiting|of)\s+$/i;
/** A house number or a postcode right after: the words are a street's or a town's name. */
const NUMBER_AFTER = /^ (?:[a-zà-ÿ]{1,5}\.? )?\d/;
const NUMBER_BEFORE = /\d,? $/;

type Kind = "name" | "ambiguous" | "unknown" | "word";

interface Candidate {
  words: Word[];
  kinds: Kind[];
  honorific: boolean;
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
  find(text, index) {
    const lists: Lists = { names: personNames(), english: englishWords(), countries: countryWords() };
    const found: Finding[] = [];
    const known = new Set<string>();
    const words = index.capitalised;
    for (const candidate of candidates(text, words, lists)) {
      const score = judge(text, candidate, words);
      if (score <= 0) continue;
      const first = candidate.words[0] as Word;
      const last = candidate.words[candidate.words.length - 1] as Word;
      found.push({ type: "PERSON", start: first.start, end: last.end, score });
      if (score >= 0.7) candidate.words.forEach((w, i) => candidate.kinds[i] !== "word" && w.text.length > 2 && known.add(w.text));
    }
    // A name seen whole is a name where it comes back alone ("Faina D. Yefremova … early Yefremova").
    if (known.size > 0) {
      for (const w of words) {
        if (known.has(w.text) && !found.some((f) => f.start <= w.start && w.end <= f.end)) found.push({ type: "PERSON", start: w.start, end: w.end, score: 0.7 });
      }
    }
    return found;
  },
};

interface Lists {
  names: ReadonlySet<string>;
  english: EnglishWords;
  countries: ReadonlySet<string>;
}

const isInitial = (w: Word) => w.text.length === 1;
const isAllCaps = (w: Word) => w.text.length > 1 && w.text === w.text.toUpperCase();

function kindOf(w: Word, lists: Lists): Kind {
  const lower = w.text.toLowerCase();
  if (lists.english.frequent.has(lower) || lists.countries.has(w.text) || NEVER_NAMES.has(w.text)) return "word";
  const name = lists.names.has(w.text);
  const common = lists.english.common.has(lower);
  return name ? (common ? "ambiguous" : "name") : common ? "word" : "unknown";
}

/**
 * Splits each run of capitalised words (joined by single spaces, or an initial's dot) into the
 * stretches that could be one person's name: words that are plainly English words, titles,
 * all-capital words and the names of things end a stretch.
 */
function* candidates(text: string, words: readonly Word[], lists: Lists): Generator<Candidate> {
  let current: Word[] = [];
  let kinds: Kind[] = [];
  let honorific = false;
  let previous: Word | undefined;
  function* flush(): Generator<Candidate> {
    // Initials lead nowhere and end nothing: "J" alone is not a name.
    while (current.length > 0 && isInitial(current[current.length - 1] as Word)) {
      current.pop();
      kinds.pop();
    }
    while (current.length > 0 && isInitial(current[0] as Word)) {
      current.shift();
      kinds.shift();
    }
    if (current.length > 0 && current.length <= 5) yield { words: current, kinds, honorific };
    current = [];
    kinds = [];
    honorific = false;
  }
  for (const w of words) {
    const continues = previous !== undefined && joined(text, previous, w);
    previous = w;
    if (!continues) yield* flush();
    if (HONORIFICS.has(w.text) && !(continues && current.length > 0)) {
      yield* flush();
      honorific = true;
      continue;
    }
    if (NAMES_OF_THINGS.has(w.text)) {
      // "Elisabeth Parks", "Aunt Bertha Inc": the words before were a thing's name.
      current = [];
      kinds = [];
      honorific = false;
      continue;
    }
    if (isAllCaps(w) && !SUFFIXES.has(w.text)) {
      yield* flush();
      continue;
    }
    if (SUFFIXES.has(w.text)) {
      if (current.length > 0) {
        current.push(w);
        kinds.push("name");
      }
      continue;
    }
    const kind = isInitial(w) ? "name" : kindOf(w, lists);
    if (kind === "word" && !honorific) {
      yield* flush();
      continue;
    }
    current.push(w);
    kinds.push(kind);
  }
  yield* flush();
}

/** Two words belong to one name when only a space, or an initial's or a title's dot and a space, lies between them. */
function joined(text: string, a: Word, b: Word): boolean {
  const gap = b.start - a.end;
  if (gap === 1) return text.charCodeAt(a.end) === 0x20;
  if (gap === 2) return text[a.end] === "." && text[a.end + 1] === " " && (a.text.length === 1 || HONORIFICS.has(a.text) || SUFFIXES.has(a.text));
  return false;
}

/** How likely a candidate is a person's name (0 or less when not at all). */
function judge(text: string, c: Candidate, all: readonly Word[]): number {
  const counted = c.kinds.filter((_, i) => !isInitial(c.words[i] as Word) && !SUFFIXES.has((c.words[i] as Word).text));
  const first = c.words[0] as Word;
  const last = c.words[c.words.length - 1] as Word;
  const before = text.slice(Math.max(0, first.start - 24), first.start);
  const after = text.slice(last.end, last.end + 16);
  // A street or a town: a number before or after, or the name of a thing right after.
  if (NUMBER_BEFORE.test(before) || NUMBER_AFTER.test(after)) return 0;
  const next = all.find((w) => w.start > last.end);
  if (next && joined(text, last, next) && NAMES_OF_THINGS.has(next.text)) return 0;
  if (/\bthe $/i.test(before) && !c.honorific) return 0;
  if (c.honorific) return 0.9;
  const names = counted.filter((k) => k === "name").length;
  const ambiguous = counted.filter((k) => k === "ambiguous").length;
  const opens = startsSentence(text, first.start);
  const speaker = after.startsWith(":") && (first.start === 0 || text[first.start - 1] === "\n");
  let score: number;
  if (counted.length >= 2) score = names > 0 ? 0.85 : ambiguous > 0 ? (opens ? 0.6 : 0.75) : opens ? 0.5 : 0.6;
  else if (names === 1) score = opens && !speaker ? 0.55 : 0.7;
  else if (ambiguous === 1) score = opens && !speaker ? 0.2 : 0.5;
  else score = speaker ? 0.6 : opens ? 0.2 : 0.35;
  if (CUE_BEFORE.test(before)) score += 0.2;
  else if (CUE_AFTER.test(after)) score += 0.15;
  if (counted.length === 1 && PLACE_BEFORE.test(before)) score -= 0.3;
  return Math.min(0.95, Math.round(score * 100) / 100);
}

/** True when the word begins a sentence, a line or a quotation, where every word is capitalised. */
function startsSentence(text: string, start: number): boolean {
  let i = start - 1;
  while (i >= 0 && (text[i] === " " || text[i] === '"' || text[i] === "“" || text[i] === "'" || text[i] === "(")) i--;
  if (i < 0) return true;
  const c = text[i];
  return c === "." || c === "!" || c === "?" || c === "\n" || c === ":" || c === ";" || c === "\t";
}
