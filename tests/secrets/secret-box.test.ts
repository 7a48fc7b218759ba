import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { ephemeralSecretBox, loadSecretBox, SealedValueError } from "../../src/secrets/secret-box.js";

describe("secret box", () => {
  it("opens what it sealed, in the same context", () => {
    const box = ephemeralSecretBox();
    const sealed = box.seal("sk-upstream-123", "provider-credential:acme/openai");
    expect(sealed).not.toContain("sk-upstream-123");
    expect(box.openText(sealed, "provider-credential:acme/openai")).toBe("sk-upstream-123");
  });

  it("refuses a sealed value moved to another context", () => {
    const box = ephemeralSecretBox();
    const sealed = box.seal("secret", "provider-credential:acme/openai");
    expect(() => box.open(sealed, "provider-credential:globex/openai")).toThrow(SealedValueError);
  });

  it("refuses a changed byte and another key", () => {
    const box = ephemeralSecretBox();
    const sealed = box.seal("secret", "ctx");
    const raw = Buffer.from(sealed.slice(3), "base64url");
    raw[14] = (raw[14] ?? 0) ^ 1;
    expect(() => box.open("v1." + raw.toString("base64url"), "ctx")).toThrow(SealedValueError);
    expect(() => ephemeralSecretBox().open(sealed, "ctx")).toThrow(SealedValueError);
  });

  it("keeps its master key in a 0600 file and reads the same key back", () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "gh-key-")), "keys", "master.key");
    const sealed = loadSecretBox(file).seal("secret", "ctx");
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(readFileSync(file, "utf8").trim()).toMatch(/^[0-9a-f]{64}$/);
    expect(loadSecretBox(file).openText(sealed, "ctx")).toBe("secret");
  });
});
