import { createHash, createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";

/**
 * C2SP signed notes (https://c2sp.org/signed-note) with Ed25519 keys, and checkpoints in the
 * tlog-checkpoint format (origin, tree size, base64 root hash) carried in them.
 */
const ED25519 = 0x01;
const COSIGNATURE_V1 = 0x04;
const EM_DASH_PREFIX = "\u2014 ";

// DER prefixes that wrap a raw 32-byte Ed25519 seed or public key for node:crypto.
const PKCS8_PREFIX = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b6570032100", "hex");

export const privateKeyFromSeed = (seed: Buffer): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: "der", type: "pkcs8" });
export const publicKeyFromRaw = (raw: Buffer): KeyObject =>
  createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: "der", type: "spki" });
export const rawPublicKey = (key: KeyObject): Buffer => key.export({ format: "der", type: "spki" }).subarray(SPKI_PREFIX.length);
export const seedOf = (key: KeyObject): Buffer => key.export({ format: "der", type: "pkcs8" }).subarray(PKCS8_PREFIX.length);

function validName(name: string): boolean {
  return name.length > 0 && !/[\s+]/.test(name);
}

/** Key ID: the first four bytes of SHA-256(name ‖ "\n" ‖ type ‖ public key). */
export function keyId(name: string, type: number, publicKey: Buffer): Buffer {
  return createHash("sha256")
    .update(name)
    .update(Buffer.from([0x0a, type]))
    .update(publicKey)
    .digest()
    .subarray(0, 4);
}

export interface NoteVerifier {
  name: string;
  id: Buffer;
  type: number;
  publicKey: KeyObject;
  /** The verifier key string: name+hex id+base64(type ‖ key). */
  text: string;
}

export interface NoteSigner extends NoteVerifier {
  privateKey: KeyObject;
}

export function verifierFromKey(name: string, publicKey: KeyObject, type = ED25519): NoteVerifier {
  if (!validName(name)) throw new Error(`invalid key name ${JSON.stringify(name)}`);
  const raw = rawPublicKey(publicKey);
  const id = keyId(name, type, raw);
  const text = `${name}+${id.toString("hex")}+${Buffer.concat([Buffer.from([type]), raw]).toString("base64")}`;
  return { name, id, type, publicKey, text };
}

export function signerFromSeed(name: string, seed: Buffer, type = ED25519): NoteSigner {
  const privateKey = privateKeyFromSeed(seed);
  return { ...verifierFromKey(name, createPublicKey(privateKey), type), privateKey };
}

/** Parses a verifier key string such as example.com/log+a1b2c3d4+AbC…= */
export function parseVerifierKey(text: string): NoteVerifier {
  const parts = text.trim().split("+");
  if (parts.length < 3) throw new Error("verifier key must be name+id+key");
  const [name, idHex] = parts as [string, string];
  const keyBytes = Buffer.from(parts.slice(2).join("+"), "base64");
  const type = keyBytes[0];
  if ((type !== ED25519 && type !== COSIGNATURE_V1) || keyBytes.length !== 33) throw new Error("unsupported verifier key type or length");
  const verifier = verifierFromKey(name, publicKeyFromRaw(keyBytes.subarray(1)), type);
  if (verifier.id.toString("hex") !== idHex) throw new Error("verifier key id does not match its key");
  return verifier;
}

/** Parses a signer key string PRIVATE+KEY+name+id+base64(type ‖ seed). */
export function parseSignerKey(text: string): NoteSigner {
  const parts = text.trim().split("+");
  if (parts[0] !== "PRIVATE" || parts[1] !== "KEY" || parts.length < 5) throw new Error("signer key must be PRIVATE+KEY+name+id+key");
  const name = parts[2] as string;
  const keyBytes = Buffer.from(parts.slice(4).join("+"), "base64");
  const type = keyBytes[0] as number;
  if ((type !== ED25519 && type !== COSIGNATURE_V1) || keyBytes.length !== 33) throw new Error("unsupported signer key");
  const signer = signerFromSeed(name, keyBytes.subarray(1), type);
  if (signer.id.toString("hex") !== parts[3]) throw new Error("signer key id does not match its key");
  return signer;
}

export const signerKeyText = (signer: NoteSigner): string =>
  `PRIVATE+KEY+${signer.name}+${signer.id.toString("hex")}+${Buffer.concat([Buffer.from([signer.type]), seedOf(signer.privateKey)]).toString("base64")}`;

export interface NoteSignature {
  name: string;
  /** Key ID followed by the signature (and, for cosignatures, the timestamp before it). */
  blob: Buffer;
}

export interface Note {
  text: string;
  signatures: NoteSignature[];
}

/** The message a cosignature/v1 covers: a header with its time, then the checkpoint body. */
const cosignedMessage = (text: string, timestamp: bigint) => Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, "utf8");

export function signatureFor(signer: NoteSigner, text: string, timestamp?: bigint): NoteSignature {
  if (signer.type === COSIGNATURE_V1) {
    const time = timestamp ?? BigInt(Math.floor(Date.now() / 1000));
    const stamp = Buffer.alloc(8);
    stamp.writeBigUInt64BE(time);
    const sig = sign(null, cosignedMessage(text, time), signer.privateKey);
    return { name: signer.name, blob: Buffer.concat([signer.id, stamp, sig]) };
  }
  return { name: signer.name, blob: Buffer.concat([signer.id, sign(null, Buffer.from(text, "utf8"), signer.privateKey)]) };
}

export function formatNote(note: Note): string {
  if (!note.text.endsWith("\n")) throw new Error("note text must end with a newline");
  const lines = note.signatures.map((s) => `${EM_DASH_PREFIX}${s.name} ${s.blob.toString("base64")}\n`);
  return `${note.text}\n${lines.join("")}`;
}

export function parseNote(message: string): Note {
  const split = message.lastIndexOf("\n\n");
  if (split < 0 || !message.endsWith("\n")) throw new Error("malformed note: no signature block");
  const text = message.slice(0, split + 1);
  const signatures = message
    .slice(split + 2)
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => {
      if (!line.startsWith(EM_DASH_PREFIX)) throw new Error("malformed note: signature line must start with an em dash");
      const [name, b64, ...rest] = line.slice(EM_DASH_PREFIX.length).split(" ");
      if (!name || !b64 || rest.length > 0) throw new Error("malformed note: signature line must be name and base64");
      return { name, blob: Buffer.from(b64, "base64") };
    });
  if (signatures.length === 0) throw new Error("malformed note: no signatures");
  return { text, signatures };
}

/** True when the note carries a valid signature by this verifier. */
export function verifySignature(note: Note, verifier: NoteVerifier): { ok: boolean; timestamp?: bigint } {
  for (const s of note.signatures) {
    if (s.name !== verifier.name || !s.blob.subarray(0, 4).equals(verifier.id)) continue;
    if (verifier.type === COSIGNATURE_V1) {
      if (s.blob.length !== 4 + 8 + 64) continue;
      const timestamp = s.blob.readBigUInt64BE(4);
      if (verify(null, cosignedMessage(note.text, timestamp), verifier.publicKey, s.blob.subarray(12))) return { ok: true, timestamp };
    } else if (s.blob.length === 68 && verify(null, Buffer.from(note.text, "utf8"), verifier.publicKey, s.blob.subarray(4))) {
      return { ok: true };
    }
  }
  return { ok: false };
}

export interface Checkpoint {
  origin: string;
  size: number;
  root: Buffer;
}

export const checkpointText = (c: Checkpoint): string => `${c.origin}\n${c.size}\n${c.root.toString("base64")}\n`;

export function parseCheckpointText(text: string): Checkpoint {
  const [origin, size, root] = text.split("\n");
  if (!origin || !size || !/^\d+$/.test(size) || !root) throw new Error("malformed checkpoint");
  const hash = Buffer.from(root, "base64");
  if (hash.length !== 32) throw new Error("malformed checkpoint: root hash must be 32 bytes");
  return { origin, size: Number(size), root: hash };
}

export const keyTypes = { ed25519: ED25519, cosignatureV1: COSIGNATURE_V1 } as const;
