import { describe, expect, it } from "vitest";
import { entryText, entryTextOf, type LogEntry } from "../../src/audit/log/entry.js";
import { canonicalJson } from "../../src/shared/json.js";

/** The sequencer writes entries around the outbox's canonical fields; the bytes must be entryText's. */
describe("entry text from canonical parts", () => {
  const entries: LogEntry[] = [
    {
      seq: 0,
      at: 1_764_000_000_000,
      tenant: null,
      actor: { type: "system", id: "anonymous", name: "anonymous", tenantId: null, role: null },
      action: "model.invoke",
      resource: { kind: "model", name: "gpt-\u00e9\"quoted\"\n" },
      decision: { outcome: "refused", reasons: ["invalid, expired or revoked application key"] },
      context: { requestId: "r-1", api: "openai", nested: { b: [1, 2.5, null], a: true } },
      payloadHash: "ab".repeat(32),
    },
    {
      seq: 123_456_789,
      at: 1,
      tenant: "tenant-\u2028x",
      actor: { type: "user", id: "u", name: "ü@example.com", tenantId: "t", role: "owner" },
      action: "tenant.settings.update",
      resource: { kind: "tenant", id: "t" },
      decision: { outcome: "allowed", reasons: [] },
      context: {},
      payloadHash: "00".repeat(32),
    },
  ];

  it("is byte for byte the canonical JSON of the entry", () => {
    for (const entry of entries) {
      const text = entryTextOf({
        ...entry,
        actor: canonicalJson(entry.actor),
        resource: canonicalJson(entry.resource),
        decision: canonicalJson(entry.decision),
        context: canonicalJson(entry.context),
      });
      expect(text).toBe(entryText(entry));
      expect(JSON.parse(text)).toEqual(entry);
    }
  });
});
