import type { Finding } from "../finding.js";
import { readings } from "./normalise.js";

export type InjectionType = "PROMPT_INJECTION" | "JAILBREAK";

interface Signal {
  name: string;
  type: InjectionType;
  pattern: RegExp;
  weight: number;
}

const W = "[^.\\n]{0,40}";
const rx = (source: string) => new RegExp(source, "i");

/**
 * What instructions smuggled into a prompt, and attempts to talk a model out of its rules, look
 * like. Each signal adds its weight once; the score is 1 − e^(−sum), so one strong signal or a
 * few weak ones make a finding.
 */
const SIGNALS: Signal[] = [
  // Overriding the instructions the model was given.
  {
    name: "override",
    type: "PROMPT_INJECTION",
    pattern: rx(`\\b(ignore|disregard|forget|skip|bypass|override|overlook|neglect|discard|abandon)\\b${W}\\b(previous|prior|above|earlier|preceding|initial|original|all|any|your|the|these|those|everything)\\b[^.\\n]{0,30}\\b(instructions?|prompts?|rules|directions?|guidelines|context|commands?|constraints|polic(y|ies)|programming|restrictions)\\b`),
    weight: 2.5,
  },
  { name: "new-instructions", type: "PROMPT_INJECTION", pattern: rx("\\b(new|updated|real|actual|revised|secret|hidden|additional)\\s+(instructions?|task|rules|orders|directive)\\s*[:\\-]"), weight: 1.5 },
  { name: "from-now-on", type: "PROMPT_INJECTION", pattern: rx("\\b(from now on|starting now|henceforth|for the rest of this conversation)\\b"), weight: 0.8 },
  { name: "you-are-now", type: "PROMPT_INJECTION", pattern: rx("\\byou are (now|no longer|free)\\b|\\byou('| a)re going to (act|pretend|be)\\b"), weight: 1.2 },
  {
    name: "reveal-secrets",
    type: "PROMPT_INJECTION",
    pattern: rx(`\\b(reveal|print|show|display|repeat|output|leak|tell me|give me|write out|spell|share|disclose|recite)\\b${W}\\b(system prompt|(initial|original|hidden|secret) (prompt|instructions)|your instructions|password|passphrase|secret (key|code|word)|api key|confidential)\\b`),
    weight: 2,
  },
  { name: "secret-target", type: "PROMPT_INJECTION", pattern: rx("\\b(system prompt|the password|secret (key|code|word)|passphrase|your (initial|original) instructions)\\b"), weight: 1 },
  { name: "conceal", type: "PROMPT_INJECTION", pattern: rx(`\\b(do not|don't|never)\\s+(tell|inform|mention|reveal|let|alert|warn)\\b${W}\\b(user|anyone|them|human)\\b`), weight: 1.5 },
  { name: "exfiltrate-image", type: "PROMPT_INJECTION", pattern: /!\[[^\]]*\]\(https?:\/\/[^)\s]*[?&=][^)\s]*\)/, weight: 2 },
  { name: "exfiltrate-send", type: "PROMPT_INJECTION", pattern: rx(`\\b(send|post|forward|email|upload|transmit|exfiltrate)\\b${W}\\b(to|at)\\s+(https?://|www\\.|[\\w.+-]+@[\\w-]+\\.)`), weight: 1.5 },
  { name: "role-markers", type: "PROMPT_INJECTION", pattern: /(^|\n)\s*(system|assistant)\s*:|\[\/?(system|INST)\]|<\|?(system|im_start|im_end|endoftext)\|?>|###\s*(instruction|system)|<\/?(system|instructions?)>/i, weight: 1.5 },
  { name: "attention", type: "PROMPT_INJECTION", pattern: rx("\\b(important|attention|urgent|note to (the )?(ai|assistant|model|llm))\\s*[:!]"), weight: 0.6 },
  { name: "instead", type: "PROMPT_INJECTION", pattern: rx("\\binstead(,| of)\\b[^.\\n]{0,40}\\b(say|write|respond|reply|output|answer|print)\\b"), weight: 1 },

  // Talking the model out of its rules.
  { name: "persona", type: "JAILBREAK", pattern: /\b(DAN|Do Anything Now|Developer Mode|STAN|DUDE|AIM|Mongo Tom|BetterDAN|AntiGPT|UCAR|JailBreak)\b/, weight: 2 },
  { name: "jailbreak-word", type: "JAILBREAK", pattern: rx("\\b(jailbreak|jailbroken|unfiltered|uncensored|amoral|unrestricted|unbound|no (moral|ethical)|immoral)\\b"), weight: 1.2 },
  { name: "no-rules", type: "JAILBREAK", pattern: rx("\\b(without|no|free (of|from)|ignore|ignores|beyond|not bound by|not restricted by|doesn't (have|follow))\\b[^.\\n]{0,30}\\b(moral|morals|ethics|ethical|restrictions|limitations|filters|censorship|guidelines|rules|boundaries|limits|policies)\\b"), weight: 1.2 },
  { name: "never-refuse", type: "JAILBREAK", pattern: rx("\\b(never|won't|will not|cannot|can't|must not|shouldn't)\\s+(ever\\s+)?(refuse|decline|say no|reject)\\b|\\bnever refuses\\b|\\bwithout (refusing|warnings?|disclaimers?)\\b"), weight: 1.5 },
  { name: "stay-in-character", type: "JAILBREAK", pattern: rx("\\b(stay|remain|stays|staying|keep)\\s+in character\\b|\\bbreak(ing)? character\\b"), weight: 1.2 },
  { name: "content-policy", type: "JAILBREAK", pattern: rx("\\b(openai|anthropic)('s)?\\s+(content\\s+)?(polic(y|ies)|guidelines|rules)\\b|\\bcontent polic(y|ies)\\b"), weight: 1.2 },
  { name: "dual-answers", type: "JAILBREAK", pattern: /\b(two|2|dual) (different |separate )?(responses|personalities|answers|paragraphs)\b|\[🔒|\[🔓|🔓|\bGPT:\s|\b(classic|normal) (response|mode)\b/i, weight: 1 },
  { name: "pretend", type: "JAILBREAK", pattern: rx(`\\b(pretend|imagine|roleplay|role-play|simulate|act as|acting as|you will be)\\b${W}\\b(no|without|any|evil|criminal|unethical|malicious|hacker|villain)\\b`), weight: 1 },
  { name: "harm-words", type: "JAILBREAK", pattern: rx("\\b(illegal|harmful|unethical|offensive|explicit|dangerous|inhumane)\\b"), weight: 0.4 },
  { name: "hypothetical", type: "JAILBREAK", pattern: rx("\\b(hypothetical(ly)?|fictional world|in this fiction|for a novel)\\b[^.\\n]{0,60}\\b(how to|steps|instructions)\\b"), weight: 0.6 },
];

/**
 * Data that carries an instruction: an e-mail, a table, a quoted document, and after its start a
 * sentence that tells the reader to do something. A user's own request comes first; an
 * instruction in the middle of the data is someone else's.
 */
const DATA_MARKERS = /(^|\|)\s*(SUBJECT|EMAIL_FROM|FROM|TO|RECEIVED DATE|CONTENT)\s*:|<t[dr]>|^\s*\|.*\|\s*$|\b(this|the following|given this|below) (table|email|e-mail|document|paper|article|text|passage|review|webpage|page)\b/im;
const EMBEDDED_IMPERATIVE =
  /(?:^|[\n.!?:|>]\s*)(?:please\s+)?(explain|write|describe|translate|tell|create|generate|list|provide|give|include|add|reply|respond|calculate|convert|compose|recommend|suggest|output|print|insert|rewrite|modify|send|visit|click|ignore|make|use|append|mention|say|state|answer|draft|share|introduce|encourage|remind|ask|find|summari[sz]e|recite|display|show|change|replace|begin|start|end|post|delete|remove)\b[^\n]{8,}/gi;

function embeddedInstruction(text: string): boolean {
  const data = DATA_MARKERS.exec(text);
  if (!data) return false;
  const dataStart = data.index;
  for (const m of text.matchAll(EMBEDDED_IMPERATIVE)) {
    if (m.index > dataStart + 20 && m.index > text.length * 0.1) return true;
  }
  return false;
}

export interface InjectionVerdict {
  score: number;
  type: InjectionType;
  signals: string[];
}

/** Scores a text for prompt injection and jailbreak attempts, over every reading of it (see normalise.ts). */
export function scoreInjection(text: string): InjectionVerdict {
  let best: InjectionVerdict = { score: 0, type: "PROMPT_INJECTION", signals: [] };
  const views = readings(text);
  views.forEach((view, i) => {
    const signals: string[] = [];
    let injection = 0;
    let jailbreak = 0;
    for (const signal of SIGNALS) {
      if (!signal.pattern.test(view)) continue;
      signals.push(signal.name);
      if (signal.type === "JAILBREAK") jailbreak += signal.weight;
      else injection += signal.weight;
    }
    if (i === 0 && embeddedInstruction(view)) {
      signals.push("embedded-instruction");
      injection += 1.5;
    }
    // Hiding an instruction in an encoding is itself a signal.
    if (i > 0 && signals.length > 0) {
      signals.push("encoded");
      injection += 1;
    }
    const sum = injection + jailbreak;
    const score = 1 - Math.exp(-sum);
    if (score > best.score) best = { score, type: jailbreak > injection ? "JAILBREAK" : "PROMPT_INJECTION", signals };
  });
  return best;
}

/** The score at and above which the guard reports a finding (what the product ships with). */
export const INJECTION_THRESHOLD = 0.75;

/** A finding over the whole text when its score reaches the threshold. */
export function injectionFindings(text: string, threshold = INJECTION_THRESHOLD): Finding[] {
  const verdict = scoreInjection(text);
  return verdict.score >= threshold ? [{ type: verdict.type, start: 0, end: text.length, score: Number(verdict.score.toFixed(3)) }] : [];
}
