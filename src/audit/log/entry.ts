import { canonicalJson } from "../../shared/json.js";
import type { Actor } from "../actor.js";

/**
 * One entry of the tamper-evident log. Its canonical JSON (sorted keys, no spaces) is what is
 * stored, hashed into the Merkle tree and exported: the bytes hashed are the bytes kept. The
 * payload body is kept beside the entry (see privacy/payload-body.ts) and committed to by its
 * hash, so retention can forget a body without breaking a single proof.
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
  /** SHA-256 (hex) of the payload body's bytes. */
  payloadHash: string;
}

export const entryText = (entry: LogEntry): string => canonicalJson(entry);

/** The action of a retention run's entry; its context.prunedBefore accounts for the bodies it pruned. */
export const RETENTION_RUN_ACTION = "audit.retention_run";
