import { randomBytes } from "node:crypto";
import { canonicalJson, parseJson } from "../../shared/json.js";

/** Personal data sealed with a data subject's key (see personal-data.ts). */
export interface SealedPersonalData {
  /** The id of the subject key it is sealed with. */
  key: string;
  /** AES-256-GCM: base64url(iv ‖ ciphertext ‖ tag) of the data's canonical JSON. */
  sealed: string;
}

/**
 * A log entry's payload body: kept beside the entry, which commits to it by SHA-256
 * (payloadHash), so that retention can forget the body and leave the entry verifiable. The
 * random salt keeps a forgotten body from being confirmed by guessing it and hashing the guess.
 */
export interface PayloadBody {
  data: Record<string, unknown>;
  personal?: SealedPersonalData;
  salt: string;
}

const SALT_BYTES = 16;
let saltPool = Buffer.alloc(0);
let saltOffset = 0;

/** 128 random bits, drawn from a pooled buffer: one call to the CSPRNG serves 256 salts. */
function salt(): string {
  if (saltOffset + SALT_BYTES > saltPool.length) {
    saltPool = randomBytes(SALT_BYTES * 256);
    saltOffset = 0;
  }
  const text = saltPool.toString("base64url", saltOffset, saltOffset + SALT_BYTES);
  saltOffset += SALT_BYTES;
  return text;
}

export const payloadBodyText = (data: Record<string, unknown>, personal?: SealedPersonalData): string =>
  canonicalJson({ data, personal, salt: salt() });

export const parsePayloadBody = (text: string): PayloadBody => parseJson<PayloadBody>(text);
