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
  const ranked = [...findings].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: Finding[] = [];
  for (const f of ranked) {
    if (!kept.some((k) => f.start < k.end && k.start < f.end)) kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}
