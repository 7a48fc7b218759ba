import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { ProofSigner } from "../../src/sdk/proof-signer.js";
import { agentIn } from "../support/admin-fixtures.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { runCli } from "../support/service.js";
import { storeTargets } from "../support/stores.js";
import { listen } from "../gateway/support.js";
import { agentCall } from "./support.js";

describe.each(storeTargets)("gatehouse agents keygen|set-key|keys and gatehouse grants ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let base: string;
  const cwd = mkdtempSync(path.join(tmpdir(), "gatehouse-agents-cli-"));
  const cli = (key: string, ...args: string[]) => runCli(args, { cwd, env: { GATEHOUSE_URL: base, GATEHOUSE_ADMIN_KEY: key } });

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("agents-cli");
    base = await listen(h);
    await h.gatehouse.transaction(async (trx) => {
      const ctx = actionContext(systemActor("test", t.id));
      await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind: "tool", name: "lookup", owner: "platform", spec: sampleSpecs.tool });
      await h.gatehouse.registry.write(trx, ctx, {
        tenantId: t.id,
        kind: "policy",
        name: "lookups-need-a-person",
        owner: "platform",
        spec: { text: '@escalate("lookups need a person") forbid (principal, action == Gatehouse::Action::"request_grant", resource);', environments: [] },
      });
    });
    await agentIn(h, t, "cli-bot", "active");
  });
  afterAll(async () => h?.close());

  let signer: ProofSigner;

  it("makes a key pair (private key file 0600), registers its public half and lists the agent's keys", async () => {
    const keyFile = path.join(cwd, "cli-bot.key.json");
    const made = await cli(t.keys.admin, "agents", "keygen", "--out", keyFile);
    expect(made.code, made.stderr).toBe(0);
    const printed = JSON.parse(made.stdout);
    const privateJwk = JSON.parse(readFileSync(keyFile, "utf8"));
    expect(privateJwk).toMatchObject({ kty: "OKP", crv: "Ed25519", d: expect.any(String) });
    expect(made.stdout).not.toContain(privateJwk.d);
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);
    expect((await cli(t.keys.admin, "agents", "keygen", "--out", keyFile)).code).toBe(1); // never overwritten

    const set = await cli(t.keys.admin, "agents", "set-key", "cli-bot", "--key-file", keyFile);
    expect(set.code, set.stderr).toBe(0);
    expect(JSON.parse(set.stdout)).toMatchObject({ status: "registered", key: { kid: printed.kid, status: "current" } });
    const listed = await cli(t.keys.admin, "agents", "keys", "cli-bot");
    expect(JSON.parse(listed.stdout).items.map((k: any) => k.kid)).toEqual([printed.kid]);

    signer = await ProofSigner.create(privateJwk, { tenant: t.name, name: "cli-bot" }, "staging");
    expect((await agentCall(h, signer, "GET", "/v1/agents/me")).status).toBe(200);
  }, 120_000);

  it("lists pending grant requests and approves or denies them", async () => {
    const task = (await agentCall(h, signer, "POST", "/v1/tasks", { body: { purpose: "look things up" } })).body;
    const ask = async () => {
      const res = await agentCall(h, signer, "POST", `/v1/tasks/${task.id}/grants`, { body: { resource: { kind: "tool", name: "lookup" } } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      return res.body.id as string;
    };
    const first = await ask();
    const second = await ask();

    const pending = await cli(t.keys.approver, "grants", "pending");
    expect(pending.code, pending.stderr).toBe(0);
    expect(JSON.parse(pending.stdout).items.map((g: any) => g.id)).toEqual([first, second]);

    const approved = await cli(t.keys.approver, "grants", "approve", first, "--justification", "looked at it");
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ id: first, status: "active" });
    const denied = await cli(t.keys.approver, "grants", "deny", second, "--justification", "not needed");
    expect(JSON.parse(denied.stdout)).toMatchObject({ id: second, status: "denied" });
    const active = await cli(t.keys.viewer, "grants", "list", "--status", "active");
    expect(JSON.parse(active.stdout).items.map((g: any) => g.id)).toEqual([first]);

    const revoked = await cli(t.keys.developer, "grants", "revoke", first, "--reason", "done with it");
    expect(JSON.parse(revoked.stdout)).toMatchObject({ id: first, status: "revoked", endReason: "done with it" });
    const covered = await h.gatehouse.agentAccess.grants.liveGrantCovering({ tenantId: t.id, id: task.id }, { name: "lookup", sideEffect: "read" }, {});
    expect(covered.covered).toBe(false);
  }, 120_000);
});
