import { isArray, isRecord } from "../../shared/json.js";
import type { Finding } from "../finding.js";
import type { ScanKind } from "../guard-check.js";

/**
 * What ScanWorkers and its worker threads say to each other. Messages between threads arrive
 * untyped: each side checks what it receives.
 */

/** What a worker is asked: one text to scan (scanText). */
export interface ScanRequest {
  id: number;
  text: string;
  kind: ScanKind;
}

/** What a worker answers: the text's findings, or why it could not scan it. */
export interface ScanReply {
  id: number;
  findings?: Finding[];
  error?: string;
}

const SCAN_KINDS: readonly unknown[] = ["all", "pii", "injection", "toxicity"] satisfies ScanKind[];
const isFinding = (v: unknown): v is Finding =>
  isRecord(v) && typeof v.type === "string" && typeof v.start === "number" && typeof v.end === "number" && typeof v.score === "number";

/** Whether a message to a worker is a ScanRequest. */
export const isScanRequest = (v: unknown): v is ScanRequest => isRecord(v) && typeof v.id === "number" && typeof v.text === "string" && SCAN_KINDS.includes(v.kind);

/** Whether a worker's message is a ScanReply. */
export const isScanReply = (v: unknown): v is ScanReply =>
  isRecord(v) &&
  typeof v.id === "number" &&
  (v.findings === undefined || (isArray(v.findings) && v.findings.every(isFinding))) &&
  (v.error === undefined || typeof v.error === "string");
