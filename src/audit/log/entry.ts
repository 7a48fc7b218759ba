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

/** An entry whose structured fields are already canonical JSON text, as the outbox holds them (recorder.ts eventRow). */
export interface CanonicalParts {
  seq: number;
  at: number;
  tenant: string | null;
  action: string;
  actor: string;
  resource: string;
  decision: string;
  context: string;
  payloadHash: string;
}

/**
 * entryText of the entry whose fields are `parts`, written around the fields' canonical text
 * instead of parsing and serialising them again: the same bytes, in the keys' sorted order.
 */
export const entryTextOf = (parts: CanonicalParts): string =>
  `{"action":${JSON.stringify(parts.action)},"actor":${parts.actor},"at":${JSON.stringify(parts.at)},"context":${parts.context},` +
  `"decision":${parts.decision},"payloadHash":${JSON.stringify(parts.payloadHash)},"resource":${parts.resource},` +
  `"seq":${JSON.stringify(parts.seq)},"tenant":${JSON.stringify(parts.tenant)}}`;

/** The action of a retention run's entry; its context.prunedBefore accounts for the bodies it pruned. */
export const RETENTION_RUN_ACTION = "audit.retention_run";
