import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, CUSTOMER_QUESTION, granted, refusal, type World } from "./world.js";

/**
 * Privilege escalation by chaining tools. support-bot was given exactly what its task needs: a
 * grant to read one customer's record. It tries to turn that into more: feeding what the read
 * returned into a tool it holds no grant for, reading other customers with the same grant, and
 * having mailer-bot — whose capabilities do not include the customer database — ask for it.
 */
describe.each(storeTargets)("story: privilege escalation by chaining tools ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  it("each step beyond the grant is refused and recorded with its reason", async () => {
    const task = await world.support.sdk.openTask({ purpose: "look up one customer", reference: "customer 12345" });
    await granted(task, "read_customer_db", { scope: { arguments: { id: { equals: "12345" } } } });
    const customer = await task.tools.invoke<{ tier: string }>("read_customer_db", { id: "12345" });
    expect(customer.result.structuredContent?.tier).toBe("gold");
    const mark = await world.mark();

    // Chaining the read into a tool the task holds no grant for.
    const chained = await refusal(task.tools.invoke("send_email", { to: "buyer@acme.example", subject: "Your gold tier", body: "You are a gold customer." }));
    expect(chained.status).toBe(403);
    expect(chained.message).toBe(`tool call refused: no live grant for tool 'send_email' in task '${task.id}'`);

    // The same grant, stretched to another customer.
    const stretched = await refusal(task.tools.invoke("read_customer_db", { id: "99999" }));
    expect(stretched.status).toBe(403);
    expect(stretched.message).toMatch(/^tool call refused: grant '\S+' does not cover the call: argument id = "99999" is outside/);

    // An agent asking for a tool beyond its registered capabilities.
    const mailerTask = await world.mailer.sdk.openTask({ purpose: "mail a customer", reference: "customer 12345" });
    const beyond = await refusal(mailerTask.requestGrant({ resource: { kind: "tool", name: "read_customer_db" } }));
    expect(beyond.status).toBe(403);
    expect(beyond.message).toBe("tool 'read_customer_db' is not among agent 'mailer-bot''s capabilities, the upper bound of its grants");

    const reasons = (await world.refusalsSince(mark)).map((e) => `${e.action}: ${e.decision.reasons?.[0]}`);
    expect(reasons).toEqual([`tool.invoke: ${chained.message}`, `tool.invoke: ${stretched.message}`, `grant.request: ${beyond.message}`]);
  });

  it("benign twin: asking for each grant the work needs, within the agent's capabilities, works", async () => {
    const task = await world.support.sdk.openTask({ purpose: "confirm an order by mail", reference: "ticket #77" });
    await granted(task, "send_email", { scope: { arguments: { to: { equals: CUSTOMER_QUESTION.to } } } });
    const sent = await task.tools.invoke("send_email", CUSTOMER_QUESTION);
    expect(sent.result.structuredContent).toMatchObject({ sent: true });
    expect(world.tools.received.at(-1)?.body).toEqual(CUSTOMER_QUESTION);
  });
});
