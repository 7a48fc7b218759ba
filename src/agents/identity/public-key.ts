import { createPublicKey, type KeyObject } from "node:crypto";
import { calculateJwkThumbprint } from "jose";
import { z } from "zod";
import { invalid } from "../../shared/errors.js";
import { parseInput } from "../../shared/validation.js";

/** An Ed25519 public key as a JWK (RFC 8037): the only form agent keys are registered in. */
export interface Ed25519PublicJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

const publicJwkSchema = z
  .object({
    kty: z.literal("OKP", { error: "must be OKP (an Ed25519 key)" }),
    crv: z.literal("Ed25519", { error: "must be Ed25519" }),
    x: z.string().regex(/^[A-Za-z0-9_-]{43}$/, "must be the 32-byte public key, base64url"),
    // Harmless JWK members a key tool may add; anything else (above all "d", the private key) is refused.
    kid: z.string().max(200).optional(),
    alg: z.literal("EdDSA").optional(),
    use: z.literal("sig").optional(),
  })
  .strict();

/**
 * Validates a public JWK. A private key ("d") is refused with a message that says so, and the
 * message never repeats the key.
 */
export function parsePublicJwk(value: unknown, field = "publicKey"): Ed25519PublicJwk {
  if (typeof value === "object" && value !== null && "d" in value) {
    throw invalid(field, `${field}: this is a private key; register only the public key (without "d")`);
  }
  const jwk = parseInput(publicJwkSchema, value, field);
  return { kty: "OKP", crv: "Ed25519", x: jwk.x };
}

/** The key id proofs name: the RFC 7638 thumbprint of the public key (SHA-256, base64url). */
export const thumbprint = (jwk: Ed25519PublicJwk): Promise<string> => calculateJwkThumbprint(jwk, "sha256");

const keyObjects = new Map<string, KeyObject>();

/**
 * The verifying key for a stored public JWK. Keys are content-addressed (their text is the key),
 * so a parsed key can be reused for as long as the process lives; the cache is bounded.
 */
export function verifyingKey(publicKeyJson: string): KeyObject {
  let key = keyObjects.get(publicKeyJson);
  if (!key) {
    key = createPublicKey({ key: JSON.parse(publicKeyJson) as Ed25519PublicJwk & Record<string, string>, format: "jwk" });
    if (keyObjects.size >= 10_000) keyObjects.clear();
    keyObjects.set(publicKeyJson, key);
  }
  return key;
}
