import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { systemActor } from "../../src/audit/actor.js";
import { actionContext } from "../../src/audit/recorder.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { runCli } from "../support/service.js";
import { storeTargets } from "../support/stores.js";

describe("gatehouse audit replay, erase and retention", () => {
  let h: Harness;
  let t: TestTenant;
  let url: string;
  const cwd = mkdtempSync(path.join(tmpdir(), "gatehouse-replay-"));

  beforeAll(async () => {
    h = await startHarness(storeTargets[0]!);
    t = await h.createTenant("replayed");
    const ctx = actionContext(systemActor("agent-runtime", t.id));
    for (const [action, outcome, reason] of [
      ["task.open", "allowed", "purpose: complete order #12345"],
      ["tool.call", "allowed", "grant g-1"],
      ["tool.call", "refused", "policy pii-never-external"],
    ] as const) {
      await h.gatehouse.recorder.record(h.gatehouse.store.db, ctx, {
        action,
        resource: { kind: "tool", name: "send_email" },
        decision: { outcome, reasons: [reason] },
        context: { taskId: "order-12345" },
      });
    }
    url = await h.app.listen({ port: 0, host: "127.0.0.1" });
  });
  afterAll(async () => h?.close());

  it("prints the task's verified timeline in order, with decisions and reasons", async () => {
    const run = await runCli(["audit", "replay", "--task", "order-12345"], {
      cwd,
      env: { GATEHOUSE_URL: url, GATEHOUSE_ADMIN_KEY: t.keys.auditor },
    });
    expect(run.code, run.stderr).toBe(0);
    const lines = run.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^task order-12345: 3 entries, verified against checkpoint \d+/);
    expect(lines.slice(1).map((l) => l.replace(/^#\d+ \S+ /, ""))).toEqual([
      "agent-runtime task.open tool send_email allowed (purpose: complete order #12345)",
      "agent-runtime tool.call tool send_email allowed (grant g-1)",
      "agent-runtime tool.call tool send_email refused (policy pii-never-external)",
    ]);
  });

  it("answers with the API's refusal for an unknown task or a key that may not read the log", async () => {
    const unknown = await runCli(["audit", "replay", "--task", "nope"], { cwd, env: { GATEHOUSE_URL: url, GATEHOUSE_ADMIN_KEY: t.keys.auditor } });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/404/);
    const developer = await runCli(["audit", "replay", "--task", "order-12345"], { cwd, env: { GATEHOUSE_URL: url, GATEHOUSE_ADMIN_KEY: t.keys.developer } });
    expect(developer.code).toBe(1);
    expect(developer.stderr).toMatch(/403/);
  });

  it("erases a data subject and runs retention with an owner's or admin's key", async () => {
    const env = { GATEHOUSE_URL: url, GATEHOUSE_ADMIN_KEY: t.keys.admin };
    const erased = await runCli(["audit", "erase", "--subject", `principal:${t.principalIds.viewer}`, "--justification", "request #7"], { cwd, env });
    expect(erased.code, erased.stderr).toBe(0);
    expect(erased.stdout).toMatch(/^erased: key of subject [0-9a-f]{64} destroyed/);
    const both = await runCli(["audit", "erase", "--subject", "x", "--tenant-wide", "--justification", "j"], { cwd, env });
    expect(both.code).toBe(1);
    expect(both.stderr).toMatch(/exactly one of --subject and --tenant-wide/);

    const forever = await runCli(["audit", "retention"], { cwd, env });
    expect(forever.code).toBe(1);
    expect(forever.stderr).toMatch(/409.*retentionDays/);
    const auditor = await runCli(["audit", "retention"], { cwd, env: { ...env, GATEHOUSE_ADMIN_KEY: t.keys.auditor } });
    expect(auditor.stderr).toMatch(/403/);
  });
});
