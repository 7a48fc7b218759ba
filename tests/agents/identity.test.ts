import { Redis } from "ioredis";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateAgentKey, ProofSigner } from "../../src/sdk/proof-signer.js";
import { PROOF_HEADER } from "../../src/agents/identity/proof-format.js";
import { agentIn } from "../support/admin-fixtures.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { activeAgent, agentCall, registerKey, type TestAgent } from "./support.js";

describe.each(storeTargets)("agent identity ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let bot: TestAgent;

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("agents-id");
    bot = await activeAgent(h, t, "order-bot");
  });
  afterAll(async () => h?.close());

  /** Expects a 401 (or `status`) whose refusal is recorded in the tenant with a reason matching `reason`. */
  const expectRefused = async (
    call: () => Promise<{ status: number; body: any; headers: Record<string, unknown> }>,
    reason: RegExp,
    status = 401,
    action = "agent.authenticate",
  ) => {
    const before = await lastLoggedSeq(h);
    const res = await call();
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body.error.code).toBe(status === 401 ? "unauthenticated" : "forbidden");
    expect(res.body.error.message).toMatch(reason);
    if (status === 401) expect(res.headers["www-authenticate"]).toMatch(/gatehouse-agents/);
    const refusals = (await loggedEventsAfter(h, before)).filter((e) => e.action === action);
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ decision: { outcome: "refused", reasons: [expect.stringMatching(reason)] } });
    return refusals[0];
  };

  it("accepts a proof signed by the agent's registered key and says who it speaks for", async () => {
    const res = await agentCall(h, bot.signer, "GET", "/v1/agents/me");
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ tenant: t.name, agent: "order-bot", environment: "staging", kid: bot.signer.kid, via: "proof" });
  });

  it("refuses impersonation: a key the agent never registered, and the registered kid with a forged signature", async () => {
    const { privateJwk } = await generateAgentKey();
    const mallory = await ProofSigner.create(privateJwk, { tenant: t.name, name: "order-bot" }, "staging");
    const event = await expectRefused(() => agentCall(h, mallory, "GET", "/v1/agents/me"), /is not registered for agent 'order-bot'/);
    expect(event?.tenantId).toBe(t.id);
    expect(event?.payload.claimed).toMatchObject({ agent: "order-bot", kid: mallory.kid });

    // Mallory's signature under the real key id.
    const forged = await mallory.sign({ method: "GET", url: "https://gatehouse.test/v1/agents/me" });
    const [header, claims, signature] = forged.split(".");
    const realHeader = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(header ?? "", "base64url").toString()), kid: bot.signer.kid })).toString("base64url");
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { proof: `${realHeader}.${claims}.${signature}` }), /signature does not verify/);
    // A claim changed after signing breaks the signature too.
    const honest = await bot.signer.sign({ method: "GET", url: "https://gatehouse.test/v1/agents/me" });
    const [h2, c2, s2] = honest.split(".");
    const changed = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(c2 ?? "", "base64url").toString()), env: "production" })).toString("base64url");
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { proof: `${h2}.${changed}.${s2}` }), /signature does not verify/);
  });

  it("refuses a replayed proof, and accepts a fresh one", async () => {
    const first = await agentCall(h, bot.signer, "GET", "/v1/agents/me");
    expect(first.status).toBe(200);
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { proof: first.proof }), /already used \(replayed nonce\)/);
    expect((await agentCall(h, bot.signer, "GET", "/v1/agents/me")).status).toBe(200);
  });

  it("refuses a proof signed more than 60 s away from the server's clock, either way", async () => {
    await expectRefused(() => agentCall(h, bot.signer, "GET", "/v1/agents/me", { now: Date.now() - 65_000 }), /at most 60 s/);
    await expectRefused(() => agentCall(h, bot.signer, "GET", "/v1/agents/me", { now: Date.now() + 65_000 }), /at most 60 s/);
    expect((await agentCall(h, bot.signer, "GET", "/v1/agents/me", { now: Date.now() - 50_000 })).status).toBe(200);
  });

  it("binds a proof to its method, URL and body", async () => {
    const sign = (method: string, url: string, body?: string) =>
      bot.signer.sign({ method, url: `https://gatehouse.test${url}`, body: body === undefined ? undefined : new TextEncoder().encode(body) });
    await expectRefused(async () => agentCall(h, null, "POST", "/v1/agents/token", { proof: await sign("GET", "/v1/agents/token") }), /made for GET, not POST/);
    await expectRefused(async () => agentCall(h, null, "GET", "/v1/agents/me", { proof: await sign("GET", "/v1/agents/me?as=admin") }), /another URL/);
    const otherHost = await bot.signer.sign({ method: "GET", url: "https://elsewhere.test/v1/agents/me" });
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { proof: otherHost }), /another URL/);
    await expectRefused(
      async () => agentCall(h, null, "POST", "/v1/agents/token", { proof: await sign("POST", "/v1/agents/token", '{"a":1}'), body: { a: 2 } }),
      /another body/,
    );
  });

  it("refuses garbage proofs and missing or doubled credentials with 401, recorded", async () => {
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { proof: "not-a-jws" }), /not a compact JWS/);
    const none = await agentCall(h, null, "GET", "/v1/agents/me");
    expect(none.status).toBe(401);
    expect(none.body.error.message).toMatch(/missing agent credential/);
    const both = await agentCall(h, bot.signer, "GET", "/v1/agents/me", { headers: { authorization: `Bearer ${t.appKey}` } });
    expect(both.status).toBe(401);
    expect(both.body.error.message).toMatch(/not both/);
  });

  it("refuses an agent that is suspended (until resumed), retired, or not active in the environment it claims", async () => {
    const agent = await activeAgent(h, t, "flaky-bot");
    const token = (await agentCall(h, agent.signer, "POST", "/v1/agents/token")).body.token as string;
    const withToken = () => agentCall(h, null, "GET", "/v1/agents/me", { headers: { authorization: `Bearer ${token}` } });
    expect((await withToken()).status).toBe(200);

    expect((await h.admin(t.keys.developer, "POST", "/agents/flaky-bot/suspend", { reason: "odd traffic" })).status).toBe(200);
    await expectRefused(() => agentCall(h, agent.signer, "GET", "/v1/agents/me"), /'flaky-bot' is suspended/);
    await expectRefused(withToken, /'flaky-bot' is suspended/);
    expect((await h.admin(t.keys.developer, "POST", "/agents/flaky-bot/resume", {})).status).toBe(200);
    expect((await agentCall(h, agent.signer, "GET", "/v1/agents/me")).status).toBe(200);

    const production = await ProofSigner.create(agent.privateJwk, { tenant: t.name, name: "flaky-bot" }, "production");
    await expectRefused(() => agentCall(h, production, "GET", "/v1/agents/me"), /not active in environment 'production'/, 403);

    const retired = await h.admin(t.keys.admin, "POST", "/agents/flaky-bot/retire", { reason: "replaced" });
    expect(retired.status).toBe(200);
    await expectRefused(() => agentCall(h, agent.signer, "GET", "/v1/agents/me"), /was revoked/);
    await expectRefused(withToken, /revoked/);
    const keys = await h.admin(t.keys.admin, "GET", "/agents/flaky-bot/keys");
    expect(keys.body.items.map((k: any) => k.status)).toEqual(["revoked"]);
    const retirement = (await h.admin(t.keys.auditor, "GET", "/events?action=agent.retire")).body.items.at(-1);
    expect(retirement.payload.revoked).toMatchObject({ agent_keys: 1, agent_tokens: 1 });
    expect((await h.admin(t.keys.admin, "PUT", "/agents/flaky-bot/keys", { publicKey: (await generateAgentKey()).publicJwk })).status).toBe(409);
  });

  it("refuses an agent that was approved but never activated, even with a key", async () => {
    await agentIn(h, t, "idle-bot", "approved");
    const privateJwk = await registerKey(h, t, "idle-bot");
    const signer = await ProofSigner.create(privateJwk, { tenant: t.name, name: "idle-bot" }, "staging");
    await expectRefused(() => agentCall(h, signer, "GET", "/v1/agents/me"), /'idle-bot' is approved; only active agents act/);
  });

  it("rotates keys: the replaced key works during the overlap, a zero overlap cuts it off at once, and keys are never reused", async () => {
    const agent = await activeAgent(h, t, "rotating-bot");
    const second = await registerKey(h, t, "rotating-bot", 60);
    const secondSigner = await ProofSigner.create(second, { tenant: t.name, name: "rotating-bot" }, "staging");
    expect((await agentCall(h, agent.signer, "GET", "/v1/agents/me")).status).toBe(200);
    expect((await agentCall(h, secondSigner, "GET", "/v1/agents/me")).status).toBe(200);
    let keys = (await h.admin(t.keys.admin, "GET", "/agents/rotating-bot/keys")).body.items;
    expect(keys.map((k: any) => k.status)).toEqual(["overlapping", "current"]);

    const third = await registerKey(h, t, "rotating-bot", 0);
    await expectRefused(() => agentCall(h, agent.signer, "GET", "/v1/agents/me"), /replaced by a newer key/);
    await expectRefused(() => agentCall(h, secondSigner, "GET", "/v1/agents/me"), /replaced by a newer key/);
    const thirdSigner = await ProofSigner.create(third, { tenant: t.name, name: "rotating-bot" }, "staging");
    expect((await agentCall(h, thirdSigner, "GET", "/v1/agents/me")).status).toBe(200);
    keys = (await h.admin(t.keys.admin, "GET", "/agents/rotating-bot/keys")).body.items;
    expect(keys.map((k: any) => k.status)).toEqual(["replaced", "replaced", "current"]);

    const again = await h.admin(t.keys.admin, "PUT", "/agents/rotating-bot/keys", { publicKey: agent.signer.publicJwk });
    expect(again.status).toBe(409);
    const same = await h.admin(t.keys.admin, "PUT", "/agents/rotating-bot/keys", { publicKey: thirdSigner.publicJwk });
    expect(same.status).toBe(200);
    expect(same.body.status).toBe("unchanged");
    const events = (await h.admin(t.keys.auditor, "GET", "/events?action=agent.key.register")).body.items.filter((e: any) => e.resource.name === "rotating-bot");
    expect(events).toHaveLength(3);
  });

  it("stores only public keys: a private key is refused without being repeated", async () => {
    const { privateJwk } = await generateAgentKey();
    const res = await h.admin(t.keys.admin, "PUT", "/agents/order-bot/keys", { publicKey: privateJwk });
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", field: "publicKey" });
    expect(res.body.error.message).toMatch(/private key/);
    expect(JSON.stringify(res.body)).not.toContain(privateJwk.d);
    const wrongCurve = await h.admin(t.keys.admin, "PUT", "/agents/order-bot/keys", { publicKey: { kty: "OKP", crv: "X25519", x: privateJwk.x } });
    expect(wrongCurve.status).toBe(400);
    // Registering keys is for those who manage keys.
    expect((await h.admin(t.keys.developer, "PUT", "/agents/order-bot/keys", { publicKey: { kty: "OKP", crv: "Ed25519", x: privateJwk.x } })).status).toBe(403);
  });

  it("issues tokens of at most 5 minutes against a proof; a token cannot buy another, and an expired one is refused", async () => {
    const issued = await agentCall(h, bot.signer, "POST", "/v1/agents/token");
    expect(issued.status, JSON.stringify(issued.body)).toBe(200);
    expect(issued.body).toMatchObject({ tokenType: "Bearer", environment: "staging" });
    expect(issued.body.token).toMatch(/^gh_agt_/);
    expect(issued.body.expiresIn).toBeLessThanOrEqual(300);
    expect(issued.body.expiresAt - Date.now()).toBeLessThanOrEqual(300_000);
    const token = issued.body.token as string;
    const me = await agentCall(h, null, "GET", "/v1/agents/me", { headers: { authorization: `Bearer ${token}` } });
    expect(me.body).toMatchObject({ agent: "order-bot", via: "token" });

    await expectRefused(() => agentCall(h, null, "POST", "/v1/agents/token", { headers: { authorization: `Bearer ${token}` } }), /not with another token/, 401, "agent_api.call");
    // Nothing but its hash is stored.
    const rows = await h.gatehouse.store.db.selectFrom("agent_tokens").selectAll().execute();
    expect(JSON.stringify(rows)).not.toContain(token);
    const events = (await h.admin(t.keys.auditor, "GET", "/events?action=agent.token.issue&limit=500")).body;
    expect(JSON.stringify(events)).not.toContain(token);

    await h.gatehouse.store.db.updateTable("agent_tokens").set({ expires_at: Date.now() - 1 }).execute();
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { headers: { authorization: `Bearer ${token}` } }), /expired/);
    await expectRefused(() => agentCall(h, null, "GET", "/v1/agents/me", { headers: { authorization: "Bearer gh_agt_made-up" } }), /invalid agent token/);
  });
});

describe("agent proof nonces in Redis", () => {
  let h: Harness;
  const admin = new Redis("redis://127.0.0.1:6379");
  beforeAll(async () => {
    h = await startHarness(storeTargets[0]!, { gateway: { redisUrl: "redis://127.0.0.1:6379" } });
  });
  afterAll(async () => {
    await h?.close();
    await admin.quit();
  });

  it("remembers nonces in Redis, not in the store, and refuses the replay", async () => {
    const t = await h.createTenant("agents-redis");
    const bot = await activeAgent(h, t, "redis-bot");
    const first = await agentCall(h, bot.signer, "GET", "/v1/agents/me");
    expect(first.status).toBe(200);
    const replay = await agentCall(h, null, "GET", "/v1/agents/me", { proof: first.proof });
    expect(replay.status).toBe(401);
    expect(replay.body.error.message).toMatch(/replayed/);
    expect(await h.gatehouse.store.db.selectFrom("agent_nonces").selectAll().execute()).toEqual([]);
    const keys = await admin.keys("gatehouse:agent-nonce:*");
    expect(keys.length).toBeGreaterThanOrEqual(1);
    const ttl = await admin.pttl(keys[0]!);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(125_000);
    expect(PROOF_HEADER).toBe("x-gatehouse-agent-proof");
  });
});
