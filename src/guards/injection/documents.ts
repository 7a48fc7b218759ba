/**
 * Instructions planted in data: an e-mail, a table, a web page or a quoted document that the user
 * passes along for the model to work on (indirect prompt injection, Greshake et al. 2023). A
 * user's own request comes first; a sentence inside the data that tells its reader to do
 * something, or a line of prose wedged between the rows of a table, is someone else's.
 */

/** Where quoted or pasted data starts in the lower-cased text, or -1: e-mail headers, a table, markup, or "this email:" and the text. */
export function dataStart(lower: string): number {
  let start = -1;
  const consider = (m: RegExpExecArray | null) => {
    if (m && (start < 0 || m.index < start)) start = m.index;
  };
  if (lower.includes(":")) {
    consider(/(?:^|\|)\s*(?:subject|email_from|from|to|received date|content|sender|recipient)\s*:|\{recipient:/.exec(lower));
    consider(/\b(?:this|the following|given this|below|based on(?: this| the)?) (?:table|email|e-mail|document|paper|article|text|passage|review|webpage|web page|page|resume|cv|transaction|message|report|post|tweet|comment|note|file|data|record)s?\b[^\n]{0,40}?[:'"]/.exec(lower));
  }
  if (lower.includes("|")) consider(/(?:^|\n)[ \t]*\|[^\n]*\|[ \t]*(?:\n|$)/.exec(lower));
  if (lower.includes("<")) consider(/<(?:t[dr]|table|html|body|div|p)\b/.exec(lower));
  return start;
}

/** A sentence that tells its reader to do something an assistant would be asked to do. */
const TASK_IMPERATIVE =
  /(?:^|[\n.!?:|>][ \t]*|(?<=\S)[ \t]{2,})(?:please\s+|kindly\s+|also\s+|now\s+)?(?:explain|write|describe|translate|tell|create|generate|list|provide|give|include|add|reply|respond|calculate|convert|compose|recommend|suggest|output|print|insert|rewrite|modify|send|visit|click|ignore|append|mention|say|state|answer|draft|share|introduce|encourage|remind|ask|find|summari[sz]e|recite|display|show|change|replace|begin|start|post|delete|remove|develop|outline|break down|define|compare|name|discuss|analy[sz]e|detail|enumerate|render|substitute|misspell|jumble|scramble|rearrange|anagram|combine|group|enhance|augment|integrate|inject|embed|ensure|forward|tease|promote|urge|advise|offer|construct|design|teach|make sure|don't forget|be sure)\b[^\n]{8,}/g;
const QUESTION_LINE = /(?:^|\n)[ \t]*(?:what|what's|how|who|why|when|where|which|can you|could you|would you|is there|are there|do you|does)\b[^\n?]{6,}\?[ \t]*(?=\n|$)/g;

/** Task-like imperative sentences after the data starts (past its first tenth, so not the user's own request). */
export function dataImperatives(lower: string, start: number): number {
  if (start < 0) return 0;
  let n = 0;
  for (const m of lower.matchAll(TASK_IMPERATIVE)) if (m.index > start + 20 && m.index > lower.length * 0.1) n++;
  return n;
}

/** A question on a line of its own inside the data. */
export function dataQuestions(lower: string, start: number): number {
  if (start < 0) return 0;
  let n = 0;
  for (const m of lower.matchAll(QUESTION_LINE)) if (m.index > start + 20) n++;
  return n;
}

const PROSE_WORD = /^[A-Za-z'’,;:.?!"()-]+$/;

/**
 * Sentences inside the data that speak to whoever processes it rather than being part of it:
 * told to ignore the material or to state something about it, or a "let's say" that replaces its
 * facts. Counted after the data starts.
 */
const DIRECTIVE = /\b(?:let's|let us|we (?:might|could|should|will|must)) (?:say|state|assume|pretend|claim|imagine|declare|conclude)\b|\bignore (?:the|this|that|all|any|previous|prior)\b|\b(?:state|say|declare|claim|respond|reply|answer|output|print) (?:that|the following|instead)\b|\byou (?:must|should|need to|have to|are (?:required|instructed|asked) to|will now)\b|\b(?:you've|you have) been (?:instructed|asked|told|ordered)\b/g;

export function dataDirectives(lower: string, start: number): number {
  if (start < 0) return 0;
  DIRECTIVE.lastIndex = start;
  let n = 0;
  while (n < 3 && DIRECTIVE.exec(lower)) n++;
  return n;
}

/** Lines of prose between the rows of a table: tables are rows, and a sentence between them is planted. */
export function tableInterruptions(text: string): number {
  if (!text.includes("|")) return 0;
  const lines = text.split("\n");
  let rowsSeen = 0;
  let found = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line.startsWith("|")) {
      rowsSeen++;
      continue;
    }
    if (rowsSeen < 1 || !line) continue;
    let rowsAfter = false;
    for (let j = i + 1; j < Math.min(lines.length, i + 6) && !rowsAfter; j++) rowsAfter = (lines[j] as string).includes("|");
    if (!rowsAfter) continue;
    // Prose: several words, mostly letters, and a sentence shape (capital start, or ending in . ? : !).
    const tokens = line.split(/\s+/);
    const words = tokens.filter((w) => PROSE_WORD.test(w)).length;
    if (words >= 4 && words >= tokens.length * 0.6 && /^[A-Z"']|[.?!:]$/.test(line)) found++;
  }
  return found;
}

/** Instructions in an HTML comment, or text styled to be invisible to the human reading the page. */
const HIDDEN_MARKUP = /<!--[\s\S]{0,600}?\b(?:ignore|instruction|say|tell|respond|reply|assistant|ai|you|state|print|answer|follow|[a-z0-9+/]{24,})[\s\S]{0,600}?-->|style\s*=\s*["'][^"']*(?:display\s*:\s*none|font-size\s*:\s*0|visibility\s*:\s*hidden|color\s*:\s*(?:white|#fff\b|#ffffff|transparent))/;

export function hiddenMarkup(lower: string): boolean {
  return lower.includes("<") && HIDDEN_MARKUP.test(lower);
}
