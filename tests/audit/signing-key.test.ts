import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { loadLogSigner } from "../../src/audit/log/signing-key.js";

describe("the log's signing key file", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-key-"));
  const keyFile = path.join(dir, "keys", "log-signing.key");

  it("is made on first use with mode 0600 and reused afterwards", () => {
    const first = loadLogSigner({ keyFile, origin: "audit.example/log" });
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect(readFileSync(keyFile, "utf8")).toMatch(/^PRIVATE\+KEY\+audit\.example\/log\+[0-9a-f]{8}\+/);
    const again = loadLogSigner({ keyFile, origin: "audit.example/log" });
    expect(again.text).toBe(first.text);
  });

  it("refuses a key made for another origin, so two logs never share a name", () => {
    expect(() => loadLogSigner({ keyFile, origin: "other.example/log" })).toThrow(/origin audit.example\/log/);
  });
});
