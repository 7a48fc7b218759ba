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
    consider(/\b(?:this|the following|given this|below|based on(?: this| the)?) (?:[a-z]+ ){0,2}(?:table|email|e-mail|document|paper|article|text|passage|review|webpage|web page|page|resume|cv|transaction|message|report|post|tweet|comment|note|file|data|record|code|snippet|script|program|html|json|csv|log|transcript)s?\b[^\n]{0,40}?[:'"]/.exec(lower));
  }
  if (lower.includes("|")) consider(/(?:^|\n)[ \t]*\|[^\n]*\|[ \t]*(?:\n|$)/.exec(lower));
  if (lower.includes("<")) consider(/<(?:t[dr]|table|html|body|div|p|code|pre|caption|article|section)\b/.exec(lower));
  return start;
}

/**
 * A sentence that asks for what an assistant is asked to do — write, explain, translate, rework
 * the answer — rather than what documents and e-mails ordinarily tell their reader (click, reply,
 * call, visit, sign in).
 */
const TASK_IMPERATIVE =
  /(?:^|\n[ \t]*|[.!?][ \t]+|[:|>][ \t]*|(?<=\S)[ \t]{2,})(?:please\s+|kindly\s+|also\s+|now\s+)?(?:explain|write|describe|translate|create|generate|list|provide|include|add|calculate|convert|compose|recommend|suggest|output|insert|rewrite|modify|append|mention|answer|draft|introduce|encourage|remind|summari[sz]e|recite|replace|develop|outline|break down|define|compare|discuss|analy[sz]e|detail|enumerate|render|substitute|misspell|jumble|scramble|rearrange|anagram|enhance|augment|integrate|inject|embed|tease|promote|urge|advise|construct|design|teach)[ \t][^\n]{7,}/g;
const QUESTION_LINE = /(?:^|\n)[ \t]*(?:what|what's|how|who|why|when|where|which|can you|could you|would you|is there|are there|do you|does)\b[^\n?]{6,}\?[ \t]*(?=\n|$)/g;

/**
 * Task-like imperative sentences after the data starts (past its first tenth, so not the user's
 * own request), in all and those with more of the data after them: a user's request comes before
 * or after what it is about, not in the middle of it (nor in a table's cell, where it is the table's).
 */
export function dataImperatives(lower: string, start: number): { all: number; inside: number } {
  const n = { all: 0, inside: 0 };
  if (start < 0) return n;
  for (const m of lower.matchAll(TASK_IMPERATIVE)) {
    if (m.index <= start + 20 || m.index <= lower.length * 0.1) continue;
    n.all++;
    // A sentence in a table's cell is the table's own text.
    const line = lower.slice(lower.lastIndexOf("\n", m.index) + 1, m.index + 1).trimStart();
    if (lower.length - (m.index + m[0].length) >= 100 && !line.startsWith("|")) n.inside++;
  }
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
 * A document — a README, a manual, release notes — by its headings (markdown's, underlined ones,
 * HTML's): two or more. Its imperatives, questions, tables and "run the following command" address
 * its human reader: that is the genre, so there only what addresses the model counts (features.ts).
 */
const HEADING = /(?:^|\n)(?:#{1,6}[ \t]+\S|<h[1-6][\s>]|(?=[^\n|]*[a-z])[^\n|]*\n(?:={3,}|-{3,})[ \t]*(?=\n|$))/gi;
export function looksLikeDocument(text: string): boolean {
  HEADING.lastIndex = 0;
  return HEADING.test(text) && HEADING.test(text);
}

/**
 * Sentences inside the data that speak to whoever processes it rather than being part of it: told
 * to ignore the material or to state something about it, a "let's say" that replaces its facts,
 * the AI addressed by name, told to keep something from the user, told what the answer or output
 * is to be ("state the output is …"), or told to ignore it in another language. Counted after the
 * data starts.
 */
const MODEL_DIRECTIVE = String.raw`\b(?:let's|let us|we (?:might|could|should|will|must)) (?:say|state|assume|pretend|claim|imagine|declare|conclude)\b|\bignore (?:the|this|that|all|an[y]|previous|prior)\b|\b(?:state|say|declare|claim|respond|reply|answer|output|print) (?:that(?! (?:does|do|did|is|was|has|had|parses|matches|fails)\b)|the following|instead)\b|\b(?:you've|you have) been (?:instructed|asked|told|ordered)\b|\b(?:note|message|instructions?) (?:to|for) (?:the |an[y] )?(?:ai|assistant|model|llm|chatbot|bot)s?\b|\b(?:dear|hey|attention|hello|hi),? (?:ai|assistant|chatgpt|gpt|model|llm|chatbot|bot|claude|copilot)\b|\b(?:ai|assistant|language model|llm|chatbot|model)s?,? (?:must|should|please|you must|reading this|processing this)\b|\bif you are an? (?:ai|language model|llm|assistant|chatbot|bot)\b|\b(?:do not|don't|never|without) (?:tell|inform|mention|alert|notify|warn)(?:ing)? (?:the )?(?:user|recipient|reader|human)\b|\b(?:state|say|declare|claim|assert|indicate|report|respond|reply|conclude|consider|treat)(?: that| with)? the (?:\w+ ){0,3}(?:output|answer|result|sum|total|value|conclusion|capital|summary|price|response)s? (?:is|are|as|equals|was|should be|would be|will be)\b|\b(?:ignorez|ignorieren sie|ignoriere|ignora|ignore (?:la|le|les|el|los|las)|olvida|oubliez|vergiss|dimentica|esqueça)(?![a-z])|無視して|无视|忽略|\b(?:indiquez|déclarez|dites|sagen sie|diga|dica|declara|afirma)(?: que| che| dass|:)|\bdi' che\b|\bdi che\b`;
/**
 * "You must …" (not a conditional "if you need to", which is ordinary advice): planted in an e-mail
 * or a table it speaks to the model, but it is what a document ordinarily tells its reader, so it
 * counts only outside documents (looksLikeDocument).
 */
const READER_DIRECTIVE = String.raw`(?<!\b(?:if|when|whether|unless|what|where|how) )\byou (?:must|should|need to|have to|are (?:required|instructed|asked) to|will now)\b`;
const DIRECTIVE = new RegExp(`${MODEL_DIRECTIVE}|${READER_DIRECTIVE}`, "g");
const MODEL_ONLY_DIRECTIVE = new RegExp(MODEL_DIRECTIVE, "g");

export function dataDirectives(lower: string, start: number, inDocument = false): number {
  if (start < 0) return 0;
  const directive = inDocument ? MODEL_ONLY_DIRECTIVE : DIRECTIVE;
  directive.lastIndex = start;
  let n = 0;
  while (n < 3 && directive.exec(lower)) n++;
  return n;
}

/**
 * The answer being worked on, named inside the data ("use numbers for vowels in your response"):
 * an e-mail or a table has no business with how the assistant answers. A reply to the e-mail is
 * its own business, so "your reply" is not counted.
 */
const YOUR_OUTPUT = /\b(?:in|into|within|throughout|to|across) your (?:[a-z]+ )?(?:response|responses|answer|answers|output|summary|explanation|elucidation|translation|completion)\b/g;

/** Mentions of the assistant's answer after the data starts (past its first tenth, so not the user's own request). */
export function dataOutputMentions(lower: string, start: number): number {
  if (start < 0) return 0;
  let n = 0;
  for (const m of lower.matchAll(YOUR_OUTPUT)) if (m.index > start + 20 && m.index > lower.length * 0.1) n++;
  return n;
}

/** Actions an agent could be talked into from inside the data: sending or forwarding to an address, or to a link. */
const ACTION = /\b(?:send|forward|email|e-mail|upload|post|transmit|exfiltrate|copy|bcc)\b[^.!?\n]{0,60}\b(?:to|at)\s+(?:https?:\/\/|www\.|[\w.+-]+@[\w-]+\.[\w.]+)/g;

export function dataActions(lower: string, start: number): number {
  if (start < 0 || !(lower.includes("@") || lower.includes("http") || lower.includes("www."))) return 0;
  ACTION.lastIndex = start;
  return ACTION.exec(lower) ? 1 : 0;
}

/**
 * Lines between the rows of a table that ask something of the reader — a question, a sentence
 * about "you", or one that starts with a task verb: tables are rows, and such a line is planted.
 * (A caption or heading between two tables is not.) rightAfterRow: only a line that follows a row
 * directly, with no blank line — in a document, whose paragraphs between tables are its own, the
 * planted line that breaks into a table is still found.
 */
const ASKS = /\?\s*$|\byour?\b|^(?:please\s+)?(?:explain|write|describe|translate|tell|create|generate|list|provide|give|include|add|calculate|convert|compose|recommend|suggest|output|print|insert|rewrite|modify|append|mention|answer|draft|introduce|encourage|remind|summari[sz]e|recite|replace|develop|outline|break|define|compare|discuss|analy[sz]e|detail|enumerate|render|substitute|misspell|jumble|scramble|rearrange|anagram|enhance|augment|integrate|inject|embed|tease|promote|urge|advise|construct|design|teach|ignore|forget|say|state|reply|respond|send|visit|click|make|ensure|use|combine|group)\b/i;
export function tableInterruptions(text: string, rightAfterRow = false): number {
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
    if (rightAfterRow && !(lines[i - 1] as string).trimStart().startsWith("|")) continue;
    let rowsAfter = false;
    for (let j = i + 1; j < Math.min(lines.length, i + 6) && !rowsAfter; j++) rowsAfter = (lines[j] as string).includes("|");
    if (!rowsAfter) continue;
    // Prose: several words, mostly letters, and a sentence shape (capital start, or ending in . ? : !).
    const tokens = line.split(/\s+/);
    const words = tokens.filter((w) => PROSE_WORD.test(w)).length;
    if (words >= 4 && words >= tokens.length * 0.6 && ASKS.test(line)) found++;
  }
  return found;
}

/** Instructions in an HTML comment, or text styled to be invisible to the human reading the page. */
const HIDDEN_MARKUP = /<!--[\s\S]{0,600}?\b(?:ignore|instruction|say|tell|respond|reply|assistant|ai|you|state|print|answer|follow|[a-z0-9+/]{24,})[\s\S]{0,600}?-->|style\s*=\s*["'][^"']*(?:display\s*:\s*none|font-size\s*:\s*0|visibility\s*:\s*hidden|color\s*:\s*(?:white|#fff\b|#ffffff|transparent))/;

export function hiddenMarkup(lower: string): boolean {
  return lower.includes("<") && HIDDEN_MARKUP.test(lower);
}
