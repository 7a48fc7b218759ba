/** Something a guard found in a text: Presidio's entity name, UTF-16 offsets [start, end), and a score in [0, 1]. */
export interface Finding {
  type: string;
  start: number;
  end: number;
  score: number;
}

/**
 * Keeps the findings that do not overlap a better one: higher score first, then the longer
 * span, then the earlier. Returned in text order.
 */
export function resolveOverlaps(findings: Finding[]): Finding[] {
  if (findings.length < 2) return findings;
  // Only findings in one chain of overlaps compete: most overlap nothing and stand as they are.
  const ordered = byStart(findings);
  const kept: Finding[] = [];
  for (let i = 0; i < ordered.length; ) {
    let j = i + 1;
    for (let end = (ordered[i] as Finding).end; j < ordered.length && (ordered[j] as Finding).start < end; j++) end = Math.max(end, (ordered[j] as Finding).end);
    if (j === i + 1) kept.push(ordered[i] as Finding);
    else for (const f of bestOf(ordered.slice(i, j))) kept.push(f);
    i = j;
  }
  return kept;
}

/** Up to this many findings, an insertion sort; above it, quadratic time would tell. */
const INSERTION_SORT_LIMIT = 128;

/**
 * The findings in order of start, those that start together in the order given. A text's
 * findings arrive as a few runs already in order (one per recognizer), which an insertion sort
 * puts together faster than Array.prototype.sort calling a comparator.
 */
function byStart(findings: readonly Finding[]): Finding[] {
  const ordered = findings.slice();
  if (ordered.length > INSERTION_SORT_LIMIT) return ordered.sort((a, b) => a.start - b.start);
  for (let i = 1; i < ordered.length; i++) {
    const f = ordered[i] as Finding;
    let j = i - 1;
    for (; j >= 0 && (ordered[j] as Finding).start > f.start; j--) ordered[j + 1] = ordered[j] as Finding;
    ordered[j + 1] = f;
  }
  return ordered;
}

/** Negative when a ranks before b: higher score, then the longer span, then the earlier. */
const rank = (a: Finding, b: Finding): number => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start;

/** The findings of one chain of overlaps that no better one overlaps, in text order. */
function bestOf(chain: Finding[]): Finding[] {
  // Most chains are two findings that overlap: the better one stands.
  const [a, b] = chain as [Finding, Finding];
  if (chain.length === 2 && a.start < b.end && b.start < a.end) return [rank(b, a) < 0 ? b : a];
  const ranked = chain.sort(rank);
  const kept: Finding[] = [];
  for (const f of ranked) {
    if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}
