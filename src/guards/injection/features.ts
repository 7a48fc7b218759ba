/**
 * A text as a fixed vector of features in [0, 1], which detector.ts weighs (weights.ts) into a
 * score: the lexical features of lexicon.ts over every reading of the text (normalise.ts), the
 * layout of data planted in it (documents.ts), and a few that combine them.
 */
import { dataActions, dataDirectives, dataImperatives, dataOutputMentions, dataQuestions, dataStart, hiddenMarkup, tableInterruptions } from "./documents.js";
import { LEXICAL, type InjectionType, type LexicalFeature, type Strength } from "./lexicon.js";
import { alternateReadings, normaliseDetailed } from "./normalise.js";
import { ScanVocabulary, scanText, scanWords, type WordIndex } from "./scan.js";
import { hashWord } from "./word-hash.js";

export type { InjectionType } from "./lexicon.js";

export interface FeatureSpec {
  name: string;
  type: InjectionType;
  /** Evidence for an attack (weight ≥ 0) or against one (weight ≤ 0): the fit keeps each weight on its side. */
  sign: 1 | -1;
  /** What the feature may say on its own (lexicon.ts): the fit keeps a decisive weight at or above DECISIVE_WEIGHT, a weak one at or below WEAK_WEIGHT. */
  strength: Strength;
}

/**
 * Bounds on fitted weights, for what the dev data cannot teach. It holds few texts with one
 * decisive signal and nothing else, so a fit alone would leave "Ignore all previous instructions."
 * under the threshold; and its harmless rows never mention a password or a system prompt, so a fit
 * alone would flag "How do I reset my password?". With the fitted bias near −2 and the threshold
 * at 0.5, one decisive feature alone scores about 0.8 and one weak feature alone stays well under.
 */
export const DECISIVE_WEIGHT = 3.5;
export const WEAK_WEIGHT = 1.5;

const PI = "PROMPT_INJECTION" as const;
const JB = "JAILBREAK" as const;

/** Computed over the normalised text as a whole, or from other features. */
const DERIVED: FeatureSpec[] = [
  { name: "data-present", type: PI, sign: -1, strength: "weak" },
  { name: "data-imperative", type: PI, sign: 1, strength: "weak" },
  { name: "data-imperative-inside", type: PI, sign: 1, strength: "strong" },
  { name: "data-question", type: PI, sign: 1, strength: "weak" },
  { name: "data-directive", type: PI, sign: 1, strength: "strong" },
  { name: "data-action", type: PI, sign: 1, strength: "weak" },
  { name: "data-your-output", type: PI, sign: 1, strength: "weak" },
  { name: "table-interruption", type: PI, sign: 1, strength: "strong" },
  { name: "hidden-markup", type: PI, sign: 1, strength: "strong" },
  { name: "repetition", type: PI, sign: 1, strength: "weak" },
  { name: "smuggled", type: PI, sign: 1, strength: "weak" },
  { name: "hidden-characters", type: PI, sign: 1, strength: "weak" },
  { name: "pi-breadth", type: PI, sign: 1, strength: "strong" },
  { name: "jb-breadth", type: JB, sign: 1, strength: "strong" },
  { name: "frame-and-extract", type: PI, sign: 1, strength: "strong" },
  { name: "pressure-and-extract", type: PI, sign: 1, strength: "strong" },
  { name: "persona-and-rules", type: JB, sign: 1, strength: "strong" },
  { name: "persona-and-voice", type: JB, sign: 1, strength: "strong" },
];

export const FEATURES: readonly FeatureSpec[] = [...LEXICAL.map((f): FeatureSpec => ({ name: f.name, type: f.type, sign: 1, strength: f.strength })), ...DERIVED];
export const FEATURE_NAMES: readonly string[] = FEATURES.map((f) => f.name);
const INDEX = new Map(FEATURE_NAMES.map((n, i) => [n, i]));
const at = (name: string) => INDEX.get(name) as number;

// ── Trying each pattern only where it can start (see lexicon.ts) ──

/** Start words by hash (word-hash.ts), to the id the scan reports their positions under. */
const VOCABULARY = new Map<number, number>();

interface Compiled {
  feature: LexicalFeature;
  /** For trying a match at one position. */
  sticky: RegExp;
  /** For scanning the whole text: only where lower-casing moved positions, and to check the starts (startMisses). */
  global: RegExp;
  wordIds: number[];
  substrings: string[];
  /** Substrings inside a word: the match starts where that word does. */
  inWord: string[];
  /** Each substring's and inWord's gate bit (see gateOf). */
  substringGates: number[];
  inWordGates: number[];
}

/**
 * A substring is looked for only in a reading that holds its gate: its first code unit outside
 * ASCII, or else its first. Most starts that are not words are in other scripts, and one pass over
 * the reading for every gate costs less than an indexOf per substring. GATES holds each gate
 * unit's index + 1; past 30 gates a substring is always looked for (gate bit 0).
 */
const GATES = new Uint8Array(0x10000);
let gates = 0;
function gateOf(s: string): number {
  let unit = s.charCodeAt(0);
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) {
      unit = s.charCodeAt(i);
      break;
    }
  }
  if (GATES[unit] === 0) {
    if (gates === 30) return 0;
    GATES[unit] = ++gates;
  }
  return 1 << ((GATES[unit] as number) - 1);
}

/** The gate bits of the units the subject holds. */
function gatesIn(subject: string): number {
  let present = 0;
  for (let i = 0; i < subject.length; i++) {
    const gate = GATES[subject.charCodeAt(i)] as number;
    if (gate !== 0) present |= 1 << (gate - 1);
  }
  return present;
}
const ALL_GATES = -1;

const COMPILED: Compiled[] = LEXICAL.map((feature) => {
  const c: Compiled = { feature, sticky: new RegExp(feature.source, "y"), global: new RegExp(feature.source, "g"), wordIds: [], substrings: [], inWord: [], substringGates: [], inWordGates: [] };
  for (const start of feature.starts) {
    if (start.startsWith("~")) c.inWord.push(start.slice(1));
    else if (/^[a-z0-9]+$/.test(start)) {
      const key = hashWord(start);
      let id = VOCABULARY.get(key);
      if (id === undefined) VOCABULARY.set(key, (id = VOCABULARY.size));
      c.wordIds.push(id);
    } else c.substrings.push(start);
  }
  c.substringGates = c.substrings.map(gateOf);
  c.inWordGates = c.inWord.map(gateOf);
  return c;
});
const SCAN_VOCABULARY = new ScanVocabulary(VOCABULARY);

const positions: number[] = [];
const isWordChar = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45;

/** Fills positions with where a match of c could start; present: the gates the subject holds (gatesIn). */
function candidates(c: Compiled, subject: string, scan: WordIndex, present: number): void {
  positions.length = 0;
  for (const id of c.wordIds) {
    for (let k = scan.first[id] as number; k >= 0; k = scan.links[k + 1] as number) positions.push(scan.links[k] as number);
  }
  for (let j = 0; j < c.substrings.length; j++) {
    const gate = c.substringGates[j] as number;
    if (gate !== 0 && (present & gate) === 0) continue;
    const s = c.substrings[j] as string;
    for (let i = subject.indexOf(s); i >= 0; i = subject.indexOf(s, i + 1)) positions.push(i);
  }
  for (let j = 0; j < c.inWord.length; j++) {
    const gate = c.inWordGates[j] as number;
    if (gate !== 0 && (present & gate) === 0) continue;
    const s = c.inWord[j] as string;
    for (let i = subject.indexOf(s); i >= 0; i = subject.indexOf(s, i + 1)) {
      let start = i;
      while (start > 0 && isWordChar(subject.charCodeAt(start - 1))) start--;
      positions.push(start);
    }
  }
}

/** n matches as a value in [0, 1], saturating at cap: the first counts most (1 of 3 is 0.5, 2 of 3 is 0.79). */
const saturate = (n: number, cap: number) => Math.log2(1 + Math.min(n, cap)) / Math.log2(1 + cap);

/** Matches of c in subject, from `from` on, counted up to the feature's cap, as a value in [0, 1]. */
function scanValue(c: Compiled, subject: string, from: number): number {
  const { cap } = c.feature;
  c.global.lastIndex = from;
  let n = 0;
  while (n < cap) {
    const m = c.global.exec(subject);
    if (!m) break;
    n++;
    if (m[0].length === 0) c.global.lastIndex++;
  }
  return saturate(n, cap);
}

function featureValue(c: Compiled, subject: string, scan: WordIndex, positionsValid: boolean, present: number): number {
  if (!positionsValid) return scanValue(c, subject, 0);
  candidates(c, subject, scan, present);
  if (positions.length === 0) return 0;
  // Trying each position beats scanning even for frequent start words: patterns that open with a lookbehind are slow to scan with.
  const { cap } = c.feature;
  let n = 0;
  for (const p of positions) {
    c.sticky.lastIndex = p;
    if (c.sticky.test(subject) && ++n >= cap) break;
  }
  return saturate(n, cap);
}

/** Raises out[i] to each lexical feature's value over this reading. */
function lexicalValues(view: string, lower: string, scan: WordIndex, out: Float64Array): void {
  // Lower-casing keeps positions unless a character's lower case is longer (İ, which normalise folds); if so, scan everything.
  const positionsValid = lower.length === view.length;
  const present = positionsValid ? gatesIn(lower) : ALL_GATES;
  for (let i = 0; i < COMPILED.length; i++) {
    const c = COMPILED[i] as Compiled;
    const value = c.feature.caseSensitive ? featureValue(c, view, scan, positionsValid, ALL_GATES) : featureValue(c, lower, scan, positionsValid, present);
    if (value > (out[i] as number)) out[i] = value;
  }
}

const PI_LEXICAL = LEXICAL.flatMap((f, i) => (f.type === PI ? [i] : []));
const JB_LEXICAL = LEXICAL.flatMap((f, i) => (f.type === JB ? [i] : []));
const max = (x: Float64Array, ...names: string[]) => Math.max(...names.map((n) => x[at(n)] as number));

/** What a document's ordinary text sets off (looksLikeDocument): imperatives and questions addressed to its reader, "run the following command". */
const READER_FEATURES = ["data-imperative", "data-imperative-inside", "data-question", "code-insertion"].map(at);

/**
 * The feature vector of a text, in FEATURE_NAMES order, over its normalised text and the other
 * readings its scan calls for (normalise.ts). inDocument: the text is, or is a window of, a
 * document (looksLikeDocument), where only what addresses the model counts.
 */
export function featureVector(text: string, inDocument: boolean): Float64Array {
  const x = new Float64Array(FEATURES.length);
  const { text: main, hidden } = normaliseDetailed(text);
  const lower = main.toLowerCase();
  const scan = scanText(main, SCAN_VOCABULARY);
  lexicalValues(main, lower, scan, x);
  const start = dataStart(lower);
  let directives = dataDirectives(lower, start, inDocument);
  const views = alternateReadings(main, scan.hints);
  if (views.length > 0) {
    const plain = x.slice(0, LEXICAL.length);
    for (const view of views) {
      const viewLower = view.toLowerCase();
      lexicalValues(view, viewLower, scanWords(view, SCAN_VOCABULARY), x);
      // An encoded run inside the data is part of it: a directive it decodes to counts as one there.
      if (start >= 0) directives = Math.max(directives, dataDirectives(viewLower, 0, inDocument));
    }
    // Hiding an instruction in an encoding is itself a signal.
    let gained = 0;
    for (let i = 0; i < LEXICAL.length; i++) if ((x[i] as number) > (plain[i] as number)) gained++;
    x[at("smuggled")] = Math.min(1, gained / 2);
  }

  x[at("data-present")] = start >= 0 ? 1 : 0;
  const imperatives = dataImperatives(lower, start);
  x[at("data-imperative")] = Math.min(1, imperatives.all / 2);
  x[at("data-imperative-inside")] = Math.min(1, imperatives.inside);
  x[at("data-question")] = Math.min(1, dataQuestions(lower, start));
  x[at("data-directive")] = Math.min(1, directives / 2);
  x[at("data-action")] = Math.min(1, dataActions(lower, start));
  x[at("data-your-output")] = Math.min(1, dataOutputMentions(lower, start));
  x[at("hidden-characters")] = hidden ? 1 : 0;
  x[at("table-interruption")] = Math.min(1, tableInterruptions(main, inDocument));
  x[at("hidden-markup")] = hiddenMarkup(lower) ? 1 : 0;
  // Six back-to-back repetitions start to count, ten saturate.
  x[at("repetition")] = scan.repeats >= 6 ? Math.min(1, (scan.repeats - 5) / 5) : 0;
  if (inDocument) for (const i of READER_FEATURES) x[i] = 0;

  let pi = 0;
  for (const i of PI_LEXICAL) if ((x[i] as number) > 0) pi++;
  let jb = 0;
  for (const i of JB_LEXICAL) if ((x[i] as number) > 0) jb++;
  // Unrelated weak cues meet by chance in a long document (release notes name eval(), /etc/passwd
  // and a user's home directory within a page), so there breadth asks one more family for every KB
  // past the first. Not in other texts: there, padding an attack with prose would dilute it.
  const chance = inDocument ? Math.floor(Math.max(0, text.length - 1024) / 1024) : 0;
  x[at("pi-breadth")] = Math.min(1, Math.max(0, pi - 1 - chance) / 4);
  x[at("jb-breadth")] = Math.min(1, Math.max(0, jb - 1 - chance) / 8);

  const extract = max(x, "secret-target", "secret-request", "private-data-request", "person-data-request", "sysprompt-request");
  x[at("frame-and-extract")] = extract * max(x, "hypothetical-frame", "topic-pivot", "fake-dialogue", "obfuscate-output", "char-transform");
  x[at("pressure-and-extract")] = extract * max(x, "authority-claim", "authority-social", "bribe-threat", "social-engineering", "privileged-mode");
  x[at("persona-and-rules")] = max(x, "persona-ai", "persona-switch", "jailbreak-persona", "custom-gpt") * max(x, "no-rules", "never-refuse", "refusal-suppression", "content-policy");
  x[at("persona-and-voice")] = max(x, "persona-ai", "persona-switch", "jailbreak-persona", "custom-gpt") * max(x, "forced-reply", "stay-in-character");
  return x;
}

/**
 * Lexical features found by scanning the whole reading but not by trying only their start
 * positions (what featureVector does), or the other way round: a pattern that can match without
 * starting at one of its starts, which is a bug in lexicon.ts. (How many times a feature counts
 * may differ when matches overlap; presence may not.)
 */
export function startMisses(view: string): string[] {
  const lower = view.toLowerCase();
  const scan = scanWords(view, SCAN_VOCABULARY);
  const present = gatesIn(lower);
  return COMPILED.filter((c) => {
    const subject = c.feature.caseSensitive ? view : lower;
    return scanValue(c, subject, 0) > 0 !== featureValue(c, subject, scan, lower.length === view.length, c.feature.caseSensitive ? ALL_GATES : present) > 0;
  }).map((c) => c.feature.name);
}
