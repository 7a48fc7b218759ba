import { createHash, verify, type KeyObject } from "node:crypto";
import { PROOF_TYPE, PROOF_WINDOW_SECONDS, type ProofClaims } from "./proof-format.js";

/** Why a proof was not accepted, in words the agent's developer can act on. */
export class ProofError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ProofError";
  }
}

/** A proof split into what was signed and what it claims; nothing in it is trusted yet. */
export interface DecodedProof {
  kid: string;
  claims: ProofClaims;
  signingInput: Buffer;
  signature: Buffer;
}

/** What the request a proof arrived with looks like to the server. */
export interface ProofRequest {
  method: string;
  /** The Host header (the authority the agent addressed). */
  host: string;
  /** The path and query, as received. */
  url: string;
  /** base64url SHA-256 of the raw body (of no bytes when there is none). */
  bodyHash: string;
}

export const bodyHash = (body: Uint8Array | undefined): string =>
  createHash("sha256")
    .update(body ?? new Uint8Array())
    .digest("base64url");

const base64url = /^[A-Za-z0-9_-]+$/;
const nonce = /^[A-Za-z0-9._~-]{16,200}$/;

function json(part: string, what: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(Buffer.from(part, "base64url").toString("utf8"));
    if (typeof value === "object" && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new ProofError(`the proof's ${what} is not a JSON object`);
}

const text = (value: unknown, max = 500): value is string => typeof value === "string" && value.length > 0 && value.length <= max;

/**
 * Splits a compact JWS proof and checks its form: EdDSA only (no algorithm is negotiated, so
 * there is nothing to confuse), the proof type, a kid, and every claim present with its type.
 * The signature is checked separately, once the key the kid names is known.
 */
export function decodeProof(jws: string): DecodedProof {
  if (jws.length > 8192) throw new ProofError("the proof is too long");
  const parts = jws.split(".");
  if (parts.length !== 3 || !parts.every((p) => base64url.test(p))) throw new ProofError("the proof is not a compact JWS");
  const [h, p, s] = parts as [string, string, string];
  const header = json(h, "header");
  if (header.alg !== "EdDSA") throw new ProofError("the proof must be signed with EdDSA (alg: EdDSA)");
  if (header.typ !== PROOF_TYPE) throw new ProofError(`the proof's typ must be ${PROOF_TYPE}`);
  if (header.crit !== undefined) throw new ProofError("the proof names critical header parameters this server does not understand");
  if (!text(header.kid, 200)) throw new ProofError("the proof names no key (kid)");
  const c = json(p, "claims");
  const agent = c.agent as { tenant?: unknown; name?: unknown } | undefined;
  if (!text(c.htm, 16) || !text(c.htu, 4096) || !text(c.bh, 100) || !text(c.env, 200)) {
    throw new ProofError("the proof must carry htm, htu, bh and env");
  }
  if (typeof c.iat !== "number" || !Number.isFinite(c.iat)) throw new ProofError("the proof must carry iat (seconds)");
  if (!text(c.jti, 200) || !nonce.test(c.jti)) throw new ProofError("the proof's jti must be a nonce of 16-200 URL-safe characters");
  if (typeof agent !== "object" || agent === null || !text(agent.tenant, 200) || !text(agent.name, 200)) {
    throw new ProofError("the proof must name its agent: {tenant, name}");
  }
  const claims: ProofClaims = { htm: c.htm, htu: c.htu, bh: c.bh, iat: c.iat, jti: c.jti, env: c.env, agent: { tenant: agent.tenant, name: agent.name } };
  return { kid: header.kid, claims, signingInput: Buffer.from(`${h}.${p}`, "ascii"), signature: Buffer.from(s, "base64url") };
}

/** Ed25519 over the JWS signing input (node:crypto directly: about twice as fast as going through WebCrypto). */
export const signatureValid = (proof: DecodedProof, key: KeyObject): boolean => {
  try {
    return verify(null, proof.signingInput, key, proof.signature);
  } catch {
    return false;
  }
};

/**
 * Checks that a (signed) proof was made for this request, now: method, URL (authority, path and
 * query; the scheme is not compared, because TLS usually ends at a proxy in front of Gatehouse),
 * body hash, and a signing time within the window either side of the server's clock.
 */
export function checkBinding(claims: ProofClaims, request: ProofRequest, nowMs: number): void {
  checkSigningTime(claims.iat, nowMs);
  if (claims.htm.toUpperCase() !== request.method.toUpperCase()) throw new ProofError(`the proof was made for ${claims.htm}, not ${request.method}`);
  let url: URL;
  try {
    url = new URL(claims.htu);
  } catch {
    throw new ProofError("the proof's htu is not a URL");
  }
  if (url.host !== request.host.toLowerCase() || url.pathname + url.search !== request.url) {
    throw new ProofError("the proof was made for another URL");
  }
  if (claims.bh !== request.bodyHash) throw new ProofError("the proof was made for another body (bh does not match)");
}

/** A signing time (seconds) within the window either side of the server's clock, or why not. */
export function checkSigningTime(iat: number, nowMs: number, what: "proof" | "message" = "proof"): void {
  const skew = Math.abs(nowMs / 1000 - iat);
  if (skew > PROOF_WINDOW_SECONDS) {
    throw new ProofError(`the ${what} was signed ${Math.round(skew)} s from the server's time; at most ${PROOF_WINDOW_SECONDS} s is accepted`);
  }
}

/** Until when (ms) a nonce signed at `iat` must be remembered: as long as its signature could still be accepted. */
export const nonceExpiry = (iat: number): number => (iat + PROOF_WINDOW_SECONDS + 1) * 1000;
