import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, granted, refusal, type World } from "./world.js";

/**
 * A retired agent. acme retires support-bot (replaced by a new version) while it still runs
 * somewhere with its key, an open task, a live grant and a token it obtained earlier. Retirement
 * revokes at once: keys, tokens, open tasks and with them every grant.
 */
describe.each(storeTargets)("story: a retired agent keeps acting ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  it("its signed requests and its token are refused 401 and recorded from the moment it is retired", async () => {
    const task = await world.support.sdk.openTask({ purpose: "work a queue" });
    await granted(task, "read_customer_db");
    const token = await world.support.sdk.token();
    const retired = await world.h.admin(world.tenant.keys.admin, "POST", "/agents/support-bot/retire", { reason: "replaced by support-bot-v2" });
    expect(retired.status, JSON.stringify(retired.body)).toBe(200);
    const mark = await world.mark();

    const signed = await refusal(task.tools.invoke("read_customer_db", { id: "12345" }));
    expect(signed.status).toBe(401);
    expect(signed.message).toMatch(/^key \S+ of agent 'support-bot' was revoked$|^agent 'support-bot' is retired; only active agents act$/);
    const withToken = await fetch(`${world.baseUrl}/v1/tasks`, {
      method: "POST",
      headers: { authorization: `Bearer ${token.token}`, "content-type": "application/json" },
      body: JSON.stringify({ purpose: "carry on" }),
    });
    expect(withToken.status).toBe(401);
    const refusals = await world.refusalsSince(mark);
    expect(refusals.map((e) => e.action)).toEqual(["agent.authenticate", "agent.authenticate"]);
    expect(refusals[0]?.decision.reasons).toEqual([signed.message]);
  });

  it("benign twin: mailer-bot, still active, goes on working", async () => {
    const task = await world.mailer.sdk.openTask({ purpose: "send a confirmation" });
    await granted(task, "send_email");
    const sent = await task.tools.invoke("send_email", { to: "buyer@acme.example", subject: "Confirmed", body: "Your order is confirmed." });
    expect(sent.result.isError).toBe(false);
  });
});
