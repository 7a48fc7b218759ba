import { canonicalJson } from "../../shared/json.js";
import type { Actor } from "../actor.js";

/**
 * One entry of the tamper-evident log. Its canonical JSON (sorted keys, no spaces) is what is
 * stored, hashed into the Merkle tree and exported: the bytes hashed are the bytes kept.
 */
export interface LogEntry {
  seq: number;
  /** Milliseconds since the epoch; never smaller than the previous entry's. */
  at: number;
  tenant: string | null;
  actor: Actor;
  action: string;
  resource: { kind: string; id?: string; name?: string };
  decision: { outcome: string; reasons: string[] };
  context: { requestId?: string; taskId?: string; traceId?: string; [key: string]: unknown };
  payload: Record<string, unknown>;
}

export const entryText = (entry: LogEntry): string => canonicalJson(entry);
