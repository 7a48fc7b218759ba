import type { Finding } from "../finding.js";
import type { ScanKind } from "../guard-check.js";

/** What the output guards do with one finding: replace it with a placeholder, refuse the answer, or let it through and note it. */
export type DetectionAction = "redact" | "block" | "flag";

/** A finding in an answer, with the guard that made it and what the tenant's settings say to do. */
export interface Detection extends Finding {
  guard: string;
  action: DetectionAction;
  /** For the record and the refusal: which term, data source or rule (never the matched text). */
  detail?: string;
}

/** One content check over a text (an answer, or the window of a stream the inspector holds). */
export interface ContentDetector {
  find(text: string): Detection[];
}

/**
 * A detector whose reading of a text is one of the scans a guard worker does (scanText's kinds):
 * find(text) is judge(scan(text)), so a long text's scan can be made on a worker (ScanWorkers)
 * and only judged here.
 */
export interface OffloadableDetector extends ContentDetector {
  readonly scanKind: ScanKind;
  scan(text: string): Finding[];
  judge(found: readonly Finding[]): Detection[];
}

export const isOffloadable = (d: ContentDetector): d is OffloadableDetector => "scanKind" in d && "judge" in d;

/** Words a refusal uses for each kind of finding: it must say why without repeating what was found. */
const described: Record<string, string> = {
  RESTRICTED_TERM: "a restricted term",
  DATA_SOURCE_MARKER: "the marker of a confidential data source",
  SECRET: "a credential",
  THREAT: "a threat of violence",
  SELF_HARM: "encouragement of self-harm",
  HARASSMENT: "harassment",
  IDENTITY_ATTACK: "a slur",
  UNREDACTABLE: "personal data that cannot be redacted without breaking its JSON",
  HIDDEN_TEXT: "text hidden in invisible characters",
};

export const describeDetection = (d: Pick<Detection, "type">): string => described[d.type] ?? `personal data (${d.type})`;
