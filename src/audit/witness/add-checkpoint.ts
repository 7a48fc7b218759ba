import type { Hash } from "../log/merkle.js";

/**
 * The body of a C2SP tlog-witness add-checkpoint request (https://c2sp.org/tlog-witness):
 * "old <size>", one base64 consistency-proof hash per line, an empty line, the signed checkpoint.
 */
export interface AddCheckpointRequest {
  oldSize: number;
  proof: Hash[];
  /** The signed checkpoint note, as sent. */
  checkpoint: string;
}

/** The spec's limit on consistency proof lines. */
export const MAX_PROOF_LINES = 63;

/** The media type of a 409 answer: the witness's size, in decimal, and a newline. */
export const SIZE_CONTENT_TYPE = "text/x.tlog.size";

export const formatAddCheckpoint = (request: AddCheckpointRequest): string =>
  `old ${request.oldSize}\n${request.proof.map((h) => `${h.toString("base64")}\n`).join("")}\n${request.checkpoint}`;

export class MalformedRequest extends Error {}

export function parseAddCheckpoint(body: string): AddCheckpointRequest {
  const end = body.indexOf("\n\n");
  if (end < 0) throw new MalformedRequest("the request has no empty line before the checkpoint");
  const [oldLine, ...proofLines] = body.slice(0, end).split("\n");
  const old = /^old (0|[1-9][0-9]*)$/.exec(oldLine ?? "");
  if (!old) throw new MalformedRequest("the first line must be old <size>");
  const oldSize = Number(old[1]);
  if (!Number.isSafeInteger(oldSize)) throw new MalformedRequest("the old size is too large");
  if (proofLines.length > MAX_PROOF_LINES) throw new MalformedRequest(`more than ${MAX_PROOF_LINES} consistency proof lines`);
  const proof = proofLines.map((line) => {
    const hash = Buffer.from(line, "base64");
    if (hash.length !== 32 || hash.toString("base64") !== line) throw new MalformedRequest("a consistency proof line is not a base64 SHA-256 hash");
    return hash;
  });
  return { oldSize, proof, checkpoint: body.slice(end + 2) };
}

/** Parses a 409 answer's body; undefined when it is not a size line. */
export function parseSizeBody(body: string): number | undefined {
  const match = /^(0|[1-9][0-9]*)\n$/.exec(body);
  return match ? Number(match[1]) : undefined;
}
