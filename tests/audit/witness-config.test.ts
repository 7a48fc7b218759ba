import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { keyTypes, seedOf, signerFromSeed } from "../../src/audit/log/note.js";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { ConfigError, loadConfig } from "../../src/config/config.js";

/** GATEHOUSE_WITNESSES and GATEHOUSE_WITNESS_THRESHOLD (and their gatehouse.yaml keys). */
const witnessKey = (name: string) => signerFromSeed(name, seedOf(generateKeyPairSync("ed25519").privateKey), keyTypes.cosignatureV1).text;
const [w1, w2, w3, w4] = ["w.test/1", "w.test/2", "w.test/3", "w.test/4"].map(witnessKey) as [string, string, string, string];

let cwd: string;
beforeEach(() => {
  cwd = mkdtempSync(path.join(tmpdir(), "gatehouse-witness-config-"));
});
afterEach(() => {
  rmSync(cwd, { recursive: true, force: true });
});

const load = (env: Record<string, string>) => loadConfig({ env, cwd });
const refused = (env: Record<string, string>): string => {
  try {
    load(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("witness settings", () => {
  it("default to no witnesses, which the demo runs with", () => {
    expect(load({})).toMatchObject({ witnesses: [], witnessThreshold: 0 });
  });

  it("read a JSON list from GATEHOUSE_WITNESSES, naming each witness by its key, with a majority threshold by default", () => {
    const witnesses = [w1, w2, w3, w4].map((key, i) => ({ url: `http://127.0.0.1:${7381 + i}`, key }));
    const config = load({ GATEHOUSE_WITNESSES: JSON.stringify([{ ...witnesses[0], name: "w.test/1" }, ...witnesses.slice(1)]) });
    expect(config.witnesses.map((w) => w.name)).toEqual(["w.test/1", "w.test/2", "w.test/3", "w.test/4"]);
    expect(config.witnesses[0]).toEqual({ name: "w.test/1", url: "http://127.0.0.1:7381", key: w1 });
    expect(config.witnessThreshold).toBe(3);
    expect(load({ GATEHOUSE_WITNESSES: JSON.stringify(witnesses.slice(0, 1)) }).witnessThreshold).toBe(1);
    expect(load({ GATEHOUSE_WITNESSES: JSON.stringify(witnesses), GATEHOUSE_WITNESS_THRESHOLD: "4" }).witnessThreshold).toBe(4);
  });

  it("read a YAML list from gatehouse.yaml", () => {
    writeFileSync(path.join(cwd, "gatehouse.yaml"), `witnesses:\n  - url: https://w1.example\n    key: ${w1}\n  - url: https://w2.example\n    key: ${w2}\nwitnessThreshold: 2\n`);
    const config = loadConfig({ env: {}, cwd });
    expect(config.witnesses.map((w) => w.url)).toEqual(["https://w1.example", "https://w2.example"]);
    expect(config.witnessThreshold).toBe(2);
  });

  it("refuse what cannot work, naming the setting and the witness", () => {
    const one = (w: Record<string, unknown>) => JSON.stringify([{ url: "http://127.0.0.1:7381", key: w1, ...w }]);
    expect(refused({ GATEHOUSE_WITNESSES: "not json" })).toMatch(/GATEHOUSE_WITNESSES: must be a JSON list/);
    expect(refused({ GATEHOUSE_WITNESSES: one({ url: "ftp://w" }) })).toMatch(/GATEHOUSE_WITNESSES at 0\.url: must be an http/);
    expect(refused({ GATEHOUSE_WITNESSES: one({ key: "nonsense" }) })).toMatch(/GATEHOUSE_WITNESSES at 0\.key: not a verifier key/);
    expect(refused({ GATEHOUSE_WITNESSES: one({ key: ephemeralLogSigner("log.test/x").text }) })).toMatch(/0\.key: must be a cosignature\/v1 witness key/);
    expect(refused({ GATEHOUSE_WITNESSES: one({ name: "w.test/other" }) })).toMatch(/0\.name: w\.test\/other is not the key's name w\.test\/1/);
    expect(refused({ GATEHOUSE_WITNESSES: one({ extra: 1 }) })).toMatch(/GATEHOUSE_WITNESSES/);
    const twice = JSON.stringify([{ url: "http://a.test", key: w1 }, { url: "http://b.test", key: w1 }]);
    expect(refused({ GATEHOUSE_WITNESSES: twice })).toMatch(/1\.key: witness w\.test\/1 is listed twice/);
    expect(refused({ GATEHOUSE_WITNESSES: one({}), GATEHOUSE_WITNESS_THRESHOLD: "2" })).toMatch(/GATEHOUSE_WITNESS_THRESHOLD: 2 is more than the 1 configured witnesses/);
    expect(refused({ GATEHOUSE_WITNESS_THRESHOLD: "1" })).toMatch(/GATEHOUSE_WITNESS_THRESHOLD: 1 is more than the 0 configured witnesses/);
    expect(refused({ GATEHOUSE_WITNESSES: one({}), GATEHOUSE_WITNESS_THRESHOLD: "0" })).toMatch(/GATEHOUSE_WITNESS_THRESHOLD/);
  });
});
