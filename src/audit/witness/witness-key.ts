import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { generateKeyPairSync } from "node:crypto";
import { keyTypes, parseSignerKey, seedOf, signerFromSeed, signerKeyText, type NoteSigner } from "../log/note.js";

/**
 * A witness's Ed25519 cosignature/v1 key, kept as a C2SP signer key in a file of mode 0600 and
 * made on first start. The name is fixed by the key: it is part of the key ID logs trust.
 */
export function loadWitnessSigner(options: { keyFile: string; name?: string }): NoteSigner {
  if (existsSync(options.keyFile)) {
    const signer = parseSignerKey(readFileSync(options.keyFile, "utf8"));
    if (signer.type !== keyTypes.cosignatureV1) throw new Error(`${options.keyFile} is not a cosignature/v1 witness key`);
    if (options.name !== undefined && signer.name !== options.name) {
      throw new Error(`the witness key in ${options.keyFile} is named ${signer.name}, not ${options.name}`);
    }
    return signer;
  }
  if (options.name === undefined) throw new Error(`${options.keyFile} does not exist: give the witness a name to make its key`);
  const signer = signerFromSeed(options.name, seedOf(generateKeyPairSync("ed25519").privateKey), keyTypes.cosignatureV1);
  mkdirSync(path.dirname(options.keyFile), { recursive: true, mode: 0o700 });
  writeFileSync(options.keyFile, signerKeyText(signer) + "\n", { mode: 0o600, flag: "wx" });
  chmodSync(options.keyFile, 0o600);
  return signer;
}
