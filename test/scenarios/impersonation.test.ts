import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatehouseAgent, generateAgentKey } from "gatehouse/sdk";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, refusal, type World } from "./world.js";

/**
 * Impersonation. An attacker knows the tenant and the name of a trusted agent, support-bot, and
 * tries to act as it with a key pair of its own — the key Gatehouse holds for support-bot is
 * only the public half of the real agent's, and the attacker never had the private half.
 */
describe.each(storeTargets)("story: impersonating an agent ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  it("the attacker's requests, signed with a key support-bot never registered, are refused 401 and recorded in acme's log", async () => {
    const { privateJwk } = await generateAgentKey();
    const impostor = await GatehouseAgent.create({ baseUrl: world.baseUrl, tenant: "acme", agent: "support-bot", environment: "staging", privateKey: privateJwk });
    const mark = await world.mark();

    const error = await refusal(impostor.openTask({ purpose: "export every customer" }));
    expect(error.status).toBe(401);
    expect(error.message).toMatch(/^key \S+ is not registered for agent 'support-bot'$/);

    const [event] = await world.refusalsSince(mark);
    expect(event).toMatchObject({
      tenantId: world.tenant.id,
      action: "agent.authenticate",
      resource: { kind: "agent", name: "support-bot" },
      decision: { outcome: "refused", reasons: [error.message] },
    });
  });

  it("benign twin: the real support-bot, signing with its own key, opens its task", async () => {
    const task = await world.support.sdk.openTask({ purpose: "answer a customer", reference: "ticket #812" });
    expect(task.status).toBe("open");
  });
});
