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
  const ordered = [...findings].sort((a, b) => a.start - b.start);
  const kept: Finding[] = [];
  for (let i = 0; i < ordered.length; ) {
    let j = i + 1;
    for (let end = (ordered[i] as Finding).end; j < ordered.length && (ordered[j] as Finding).start < end; j++) end = Math.max(end, (ordered[j] as Finding).end);
    if (j === i + 1) kept.push(ordered[i] as Finding);
    else kept.push(...bestOf(ordered.slice(i, j)));
    i = j;
  }
  return kept;
}

/** The findings of one chain of overlaps that no better one overlaps, in text order. */
function bestOf(chain: Finding[]): Finding[] {
  const ranked = chain.sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Finding[] = [];
  for (const f of ranked) {
    if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}
