import { generateKeyPairSync } from "node:crypto";
import { describe, expect, it } from "vitest";
import {
  checkpointText,
  formatNote,
  keyTypes,
  parseCheckpointText,
  parseNote,
  parseSignerKey,
  parseVerifierKey,
  seedOf,
  signatureFor,
  signerFromSeed,
  signerKeyText,
  verifySignature,
} from "../../src/audit/log/note.js";

// Reference vectors: the C2SP signed-note specification's example and the Go sumdb/note example.
const specKey = "example.com/foo+530d903a+AekyeRrm56hApGFkyQR4ZCbV54Id2LKaANYcrnKv3U2k";
const specNote =
  "This is an example message.\n\n\u2014 example.com/foo Uw2QOkn8srV1yJGh2VYRlL1Tnagv1YEq6TfXppzi2ONncAlTgK7Ztg1ERYNZXsYjOBH3mFXmRKuwHjG1Yu72IneyaQM=\n";
const peterSigner = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz";
const peterVerifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW";
const peterText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const peterNote = `${peterText}\n\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n`;

describe("C2SP signed notes", () => {
  it("verifies the specification's example note", () => {
    const note = parseNote(specNote);
    expect(note.text).toBe("This is an example message.\n");
    expect(verifySignature(note, parseVerifierKey(specKey)).ok).toBe(true);
  });

  it("signs exactly like the Go reference implementation (Ed25519 is deterministic)", () => {
    const signer = parseSignerKey(peterSigner);
    expect(signer.text).toBe(peterVerifier);
    expect(signerKeyText(signer)).toBe(peterSigner);
    expect(formatNote({ text: peterText, signatures: [signatureFor(signer, peterText)] })).toBe(peterNote);
    expect(verifySignature(parseNote(peterNote), parseVerifierKey(peterVerifier)).ok).toBe(true);
  });

  it("refuses a changed text, another key and a mangled verifier key", () => {
    const note = parseNote(peterNote);
    expect(verifySignature({ ...note, text: note.text.replace("answer", "Answer") }, parseVerifierKey(peterVerifier)).ok).toBe(false);
    expect(verifySignature(note, parseVerifierKey(specKey)).ok).toBe(false);
    expect(() => parseVerifierKey(peterVerifier.replace("c74f20a3", "c74f20a4"))).toThrow(/id/);
    expect(() => parseNote("no signatures\n")).toThrow();
  });

  it("round-trips a checkpoint with a cosignature/v1 from a witness", () => {
    const logSigner = signerFromSeed("gatehouse.example/log", seedOf(generateKeyPairSync("ed25519").privateKey));
    const witness = signerFromSeed("witness.example/w1", seedOf(generateKeyPairSync("ed25519").privateKey), keyTypes.cosignatureV1);
    const text = checkpointText({ origin: "gatehouse.example/log", size: 42, root: Buffer.alloc(32, 7) });
    const note = parseNote(formatNote({ text, signatures: [signatureFor(logSigner, text), signatureFor(witness, text, 1_700_000_000n)] }));
    expect(parseCheckpointText(note.text)).toEqual({ origin: "gatehouse.example/log", size: 42, root: Buffer.alloc(32, 7) });
    expect(verifySignature(note, logSigner).ok).toBe(true);
    expect(verifySignature(note, witness)).toEqual({ ok: true, timestamp: 1_700_000_000n });
    const verifierOnly = parseVerifierKey(witness.text);
    expect(verifySignature(note, verifierOnly).ok).toBe(true);
  });
});
