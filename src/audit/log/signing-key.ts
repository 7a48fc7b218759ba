import { existsSync, mkdirSync, readFileSync, writeFileSync, chmodSync } from "node:fs";
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { parseSignerKey, seedOf, signerFromSeed, signerKeyText, type NoteSigner } from "./note.js";

/**
 * The log's Ed25519 signing key, kept as a C2SP signer key in a file of mode 0600. It is made on
 * first start; every process that appends to the same log must be given the same file.
 */
export function loadLogSigner(options: { keyFile: string; origin: string }): NoteSigner {
  if (existsSync(options.keyFile)) {
    const signer = parseSignerKey(readFileSync(options.keyFile, "utf8"));
    if (signer.name !== options.origin) {
      throw new Error(`the log key in ${options.keyFile} is for origin ${signer.name}, but the configured origin is ${options.origin}`);
    }
    return signer;
  }
  const signer = signerFromSeed(options.origin, seedOf(generateKeyPairSync("ed25519").privateKey));
  mkdirSync(path.dirname(options.keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(options.keyFile, signerKeyText(signer) + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(options.keyFile, 0o600);
  return signer;
}

/** A throwaway signer for tests and tools that never publish checkpoints. */
export const ephemeralLogSigner = (origin = "gatehouse.test/log"): NoteSigner =>
  signerFromSeed(origin, seedOf(generateKeyPairSync("ed25519").privateKey));
