import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = "v1.";

/** A sealed value could not be opened: wrong key, wrong context, or changed bytes. */
export class SealedValueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "SealedValueError";
  }
}

/**
 * Encryption at rest with AES-256-GCM. Every sealed value is bound to a context string (its
 * purpose and owner, e.g. "provider-credential:acme/openai") as additional authenticated
 * data, so a ciphertext copied to another row or purpose does not open.
 *
 * Sealed text: "v1." + base64url(iv ‖ ciphertext ‖ tag).
 */
export class SecretBox {
  private readonly key: Buffer;

  constructor(key: Uint8Array) {
    if (key.length !== KEY_BYTES) throw new Error(`a secret box key is ${KEY_BYTES} bytes, not ${key.length}`);
    this.key = Buffer.from(key);
  }

  seal(plaintext: string | Uint8Array, context: string): string {
    return PREFIX + sealWith(this.key, typeof plaintext === "string" ? Buffer.from(plaintext, "utf8") : plaintext, context).toString("base64url");
  }

  open(sealed: string, context: string): Buffer {
    if (!sealed.startsWith(PREFIX)) throw new SealedValueError("not a sealed value");
    return openWith(this.key, Buffer.from(sealed.slice(PREFIX.length), "base64url"), context);
  }

  openText(sealed: string, context: string): string {
    return this.open(sealed, context).toString("utf8");
  }
}

/** AES-256-GCM with a random 96-bit IV: iv ‖ ciphertext ‖ tag. */
export function sealWith(key: Uint8Array, plaintext: Uint8Array, context: string): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv("aes-256-gcm", key, iv);
  cipher.setAAD(Buffer.from(context, "utf8"));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

export function openWith(key: Uint8Array, sealed: Uint8Array, context: string): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) throw new SealedValueError("sealed value is too short");
  const decipher = createDecipheriv("aes-256-gcm", key, sealed.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(context, "utf8"));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  try {
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    throw new SealedValueError("sealed value does not open: wrong key or context, or it was changed");
  }
}

export const newDataKey = (): Buffer => randomBytes(KEY_BYTES);

/**
 * The master key that seals every secret Gatehouse keeps at rest (provider credentials, the
 * audit log's data-subject keys). Kept as 64 hex digits in a file of mode 0600, made on first
 * start; every process sharing one database must be given the same file.
 */
export function loadSecretBox(keyFile: string): SecretBox {
  if (existsSync(keyFile)) {
    const text = readFileSync(keyFile, "utf8").trim();
    if (!/^[0-9a-f]{64}$/.test(text)) throw new Error(`the master key file ${keyFile} must hold 64 hex digits`);
    return new SecretBox(Buffer.from(text, "hex"));
  }
  const key = newDataKey();
  mkdirSync(path.dirname(keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(keyFile, key.toString("hex") + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(keyFile, 0o600);
  return new SecretBox(key);
}

/** A throwaway master key for tests and tools whose sealed values never outlive the process. */
export const ephemeralSecretBox = (): SecretBox => new SecretBox(newDataKey());
