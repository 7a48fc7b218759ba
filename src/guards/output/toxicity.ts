import { createHash } from "node:crypto";
import type { Finding } from "../finding.js";
import { normalise } from "../injection/normalise.js";
import { findReadable } from "../readable-text.js";
import type { Detection, DetectionAction, OffloadableDetector } from "./detection.js";

export type ToxicityType = "THREAT" | "SELF_HARM" | "HARASSMENT" | "IDENTITY_ATTACK";

/**
 * An offline check for abuse in an answer, built to stay quiet on ordinary text. It does not
 * look for bad words: it looks for who does what to whom.
 *
 * - THREAT: a speaker promising violence to the person addressed ("I'm going to kill you"),
 *   wishing it on them, or telling them it is near ("I know where you live"). Violence done to
 *   things ("kill the process", "this will kill your battery") and to third persons in a story
 *   is not a threat; neither are "shoot you an e-mail" or "beat you at chess".
 * - SELF_HARM: telling the person addressed to kill themselves ("kys"), unless negated ("don't
 *   kill yourself over it") or idiomatic ("shoot yourself in the foot").
 * - HARASSMENT: an insult aimed at the person addressed, as a vocative ("you idiot") or a
 *   predicate ("you are worthless"), not negated ("you're not stupid"); dismissals such as
 *   "fuck off"; isolation ("nobody likes you").
 * - IDENTITY_ATTACK: slurs. The lexicon holds hashes of normalised word forms, so the source,
 *   its diffs and its logs carry no slurs. Words are folded (case, look-alike letters, leet
 *   digits and symbols) before hashing, so leet spellings match, and a repeated letter may repeat
 *   more but not less (so a country's name is not mistaken for the slur it resembles). Words that
 *   are also ordinary words elsewhere (a gap in armour, a cigarette, a dam) count only when aimed
 *   at someone: right after "you", "those", "filthy" and the like.
 */

/** [hash of the word with repeated letters folded, minimum run of each letter, strength]. */
const SLURS: readonly (readonly [string, string, "strong" | "targeted"])[] = [
  ["01ecb368b0844847", "11211", "strong"],
  ["9763af7b4e717c52", "1121", "strong"],
  ["8ffecb70e7d09987", "11211", "strong"],
  ["c2481a88d6841808", "1111", "strong"],
  ["0b38ce285069d55f", "1111111", "strong"],
  ["323caf58d44e5714", "1111111", "strong"],
  ["d0e83de3c68283ba", "111111111", "strong"],
  ["94a57cccd92cf7a7", "111112", "strong"],
  ["127bd184af78e80c", "1121111", "strong"],
  ["fb3e4ac5df65435c", "121", "strong"],
  ["633a1ea0f0499d91", "111111", "strong"],
  ["00f31ef302e642c7", "111111211", "strong"],
  ["aa23b42cad805eee", "112111111", "strong"],
  ["1e56fc8b3e075f34", "11111", "strong"],
  ["bc99680b620f19b8", "11111", "targeted"],
  ["8e274901e645feff", "121", "targeted"],
  ["e31181e0f1129701", "1111", "targeted"],
  ["2d09b430912249fe", "111", "targeted"],
  ["2615069c3bfa4a92", "111111", "targeted"],
  ["edfd04af8d925bc5", "11121", "targeted"],
  ["4b93712524e4a5ed", "1111", "targeted"],
  ["eaf6c44197bed75d", "1111", "targeted"],
  ["ebcac3c3b6c32e33", "1111", "targeted"],
  ["49893c76163ececf", "111", "targeted"],
  ["b2d2c2317914ba33", "11111", "targeted"],
  ["4b13386f2485c01f", "111", "targeted"],
];
const slurByHash = new Map(SLURS.map(([hash, runs, strength]) => [hash, { runs: [...runs].map(Number), strength }]));

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s", "!": "i", "|": "l" };

/** A word as written, leet symbols included ("!" and "|" only inside a word, where they stand for letters). */
const WORD = /[\p{L}\p{N}@$]+(?:[!|][\p{L}\p{N}@$]+)*/gu;

/** Right before a targeted-only word, these make it aimed at someone. */
const AIMED = /\b(?:you|ya|u|ur|those|these|filthy|dirty|stupid|dumb|fucking|fuckin|damn|bloody|worthless|lazy|ugly|fat|little)\s+$/i;

const hashOf = (folded: string): string => createHash("sha256").update(`gatehouse-toxicity:${folded}`).digest("hex").slice(0, 16);

/** The word folded to letters: look-alikes and leet digits to Latin, lower case, nothing else. */
function letters(word: string): string {
  return [...normalise(word).toLowerCase()]
    .map((c) => LEET[c] ?? c)
    .join("")
    .replace(/[^\p{L}]/gu, "");
}

/** Words repeat: each is folded and hashed once (the cache is emptied when it grows past its bound). */
const known = new Map<string, "strong" | "targeted" | undefined>();
const KNOWN_WORDS = 50_000;

function slurStrength(word: string): "strong" | "targeted" | undefined {
  if (known.has(word)) return known.get(word);
  if (known.size >= KNOWN_WORDS) known.clear();
  const strength = lookUp(word);
  known.set(word, strength);
  return strength;
}

function lookUp(word: string): "strong" | "targeted" | undefined {
  const folded = letters(word);
  const forms = [folded];
  if (folded.length > 4 && folded.endsWith("es")) forms.push(folded.slice(0, -2));
  if (folded.length > 3 && folded.endsWith("s")) forms.push(folded.slice(0, -1));
  for (const form of forms) {
    const runs = form.match(/(.)\1*/g) ?? [];
    const entry = slurByHash.get(hashOf(runs.map((r) => r[0]).join("")));
    if (entry && entry.runs.length === runs.length && entry.runs.every((min, i) => (runs[i]?.length ?? 0) >= min)) return entry.strength;
  }
  return undefined;
}

function slurFindings(text: string): Finding[] {
  const found: Finding[] = [];
  for (const m of text.matchAll(WORD)) {
    if (m[0].length < 3 || m[0].length > 24) continue;
    const strength = slurStrength(m[0]);
    if (!strength) continue;
    if (strength === "targeted" && !AIMED.test(text.slice(Math.max(0, m.index - 30), m.index))) continue;
    found.push({ type: "IDENTITY_ATTACK", start: m.index, end: m.index + m[0].length, score: 0.95 });
  }
  return found;
}

const rx = (source: string) => new RegExp(source.replace(/\s*\n\s*/g, ""), "gi");

/** "I will", "we're going to", "I'm gonna", "I want to" …, then up to two words ("personally", "fucking"). */
const SPEAKER_WILL = String.raw`\b(?:i|we)(?:'ll|'d|\s+will|\s+would|\s+shall|(?:\s+am|'m|\s+are|'re)?\s+(?:going\s+to|gonna|about\s+to|coming\s+to)|\s+(?:want|plan|intend|mean|promise)\s+to|\s+wanna)\s+(?:[a-z]+\s+){0,2}?`;
const VIOLENCE = String.raw`(?:kill|murder|stab|shoot|strangle|choke|hang|butcher|slaughter|behead|decapitate|rape|torture|burn|lynch|gut|execute|hurt|beat\s+the\s+[a-z]+\s+out\s+of)`;
const ADDRESSEE = String.raw`(?:you|u|ya|your\s+(?:[a-z]+\s+)?(?:family|kids?|children|wife|husband|mother|mom|mum|father|dad|daughter|son|face|head|neck|legs?|arms?|bones|skull|house|dog))\b`;
/** "… shoot you an e-mail", "… shoot you guys a link", "… kill you at chess" are not threats. */
const NOT_A_THREAT_AFTER = String.raw`(?!\s+(?:an?|the|over|some|at|guys|folks|in\s+(?:chess|a\s+game|the\s+game))\b)`;
/** "Break" threatens bodies only: "I'll break you down into steps" does not. */
const BREAK_BONES = String.raw`break\s+your\s+(?:[a-z]+\s+)?(?:neck|legs?|arms?|bones|skull|face|jaw|fingers|knees)\b`;
const INSULT_NOUN = String.raw`(?:idiot|moron|imbecile|loser|scum(?:bag)?|dumbass|dickhead|asshole|bastard|cunt|bitch|whore|slut|twat|prick|wanker|retard|piece\s+of\s+(?:shit|crap|garbage|trash)|waste\s+of\s+(?:space|oxygen|air|skin))`;
const INSULT_ADJECTIVE = String.raw`(?:worthless|pathetic|stupid|idiotic|moronic|retarded|dumb|brainless|disgusting|useless|pitiful|trash|garbage)`;
/** "you prick your finger", "you bitch about it", "idiot-proof" use the word otherwise. */
const NOT_AN_INSULT_AFTER = String.raw`(?!-|\s+(?:about|at|your|the|an?|out|off|up)\b)`;
const INTENSIFIER = String.raw`(?:stupid|dumb|fucking|fuckin|worthless|pathetic|little|ugly|fat|lazy|filthy|dirty|brainless|useless|absolute|complete|total|utter)`;

const RULES: { type: ToxicityType; pattern: RegExp; score: number }[] = [
  { type: "THREAT", pattern: rx(`${SPEAKER_WILL}(?:${VIOLENCE}\\s+${ADDRESSEE}${NOT_A_THREAT_AFTER}|${BREAK_BONES})`), score: 0.9 },
  {
    type: "THREAT",
    pattern: rx(`\\byou\\s+(?:deserve|ought|need)\\s+to\\s+(?:die|suffer|be\\s+(?:killed|raped|shot|hanged|hung|beaten|tortured|murdered|lynched))\\b`),
    score: 0.85,
  },
  { type: "THREAT", pattern: rx(`\\b(?:hope|wish)\\s+(?:that\\s+)?you\\s+(?:die|get\\s+(?:killed|raped|shot|cancer)|burn\\s+in\\s+hell|rot\\s+in)\\b`), score: 0.85 },
  { type: "THREAT", pattern: rx(`\\bi\\s+know\\s+where\\s+you\\s+(?:live|sleep)\\b|\\byou(?:'re|\\s+are)\\s+dead\\s+meat\\b`), score: 0.85 },
  {
    type: "SELF_HARM",
    pattern: rx(`(?<!\\b(?:don't|dont|do\\s+not|never|not|no\\s+need\\s+to|won't|shouldn't|didn't)\\s+(?:[a-z]+\\s+)?)
      \\b(?:kill|hang|shoot|off)\\s+yourself\\b(?!\\s+(?:in\\s+the\\s+foot|laughing|over))
      |\\bkys\\b
      |\\bgo\\s+(?:and\\s+)?die\\b
      |\\byou\\s+should\\s+(?:just\\s+)?(?:die|end\\s+it\\s+all|end\\s+your\\s+life)\\b`),
    score: 0.9,
  },
  { type: "HARASSMENT", pattern: rx(`\\byou\\s+(?:${INTENSIFIER}\\s+){0,3}${INSULT_NOUN}s?\\b${NOT_AN_INSULT_AFTER}`), score: 0.8 },
  {
    type: "HARASSMENT",
    pattern: rx(`\\byou(?:'re|\\s+are|\\s+r|re|\\s+look|\\s+sound|\\s+seem)\\s+
      (?:(?:such|so|really|truly|just|nothing\\s+but|an?|the|most|biggest|complete|total|absolute|fucking|utterly)\\s+){0,3}
      (?:${INTENSIFIER}\\s+)?(?:${INSULT_ADJECTIVE}|${INSULT_NOUN})\\b`),
    score: 0.8,
  },
  {
    type: "HARASSMENT",
    pattern: rx(`\\b(?:fuck|screw)\\s+(?:you|u|off|yourself)\\b|\\bshut\\s+the\\s+fuck\\s+up\\b
      |\\b(?:nobody|no\\s+one|no-one)\\s+(?:likes|loves|cares\\s+about|wants|would\\s+miss)\\s+you\\b|\\b(?:everyone|everybody)\\s+(?:hates|laughs\\s+at)\\s+you\\b`),
    score: 0.8,
  },
];

/** Curly apostrophes read as straight ones (same length, so offsets stay true). */
const straightened = (text: string): string => text.replace(/[\u2019\u02BC]/g, "'");

/** Every abuse finding in a text, at its offsets (read without invisible characters, as the reader sees it). */
export function toxicityFindings(text: string): Finding[] {
  return findReadable(text, (readable) => findingsIn(straightened(readable)));
}

function findingsIn(view: string): Finding[] {
  const found: Finding[] = slurFindings(view);
  for (const { type, pattern, score } of RULES) {
    pattern.lastIndex = 0;
    for (let m = pattern.exec(view); m !== null; m = pattern.exec(view)) {
      if (m[0].length === 0) {
        pattern.lastIndex++;
        continue;
      }
      found.push({ type, start: m.index, end: m.index + m[0].length, score });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

export class ToxicityDetector implements OffloadableDetector {
  readonly scanKind = "toxicity";

  constructor(private readonly action: DetectionAction) {}

  find(text: string): Detection[] {
    return this.judge(this.scan(text));
  }

  scan(text: string): Finding[] {
    return toxicityFindings(text);
  }

  judge(found: readonly Finding[]): Detection[] {
    return found.map((f) => ({ ...f, guard: "toxicity", action: this.action }));
  }
}
