import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, granted, refusal, type World } from "./world.js";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A grant used after it expired. support-bot asked for one second of access to the customer
 * database — and keeps using it afterwards, as a careless or compromised agent would with any
 * standing credential. A grant is only ever a row with an end; its end is checked on every call.
 */
describe.each(storeTargets)("story: a grant used after it expired ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  it("the call after the grant's end is refused 403 and recorded; the tool is not reached", async () => {
    const task = await world.support.sdk.openTask({ purpose: "look up a customer", reference: "customer 12345" });
    const grant = await granted(task, "read_customer_db", { ttlSeconds: 1 });
    expect((await task.tools.invoke("read_customer_db", { id: "12345" })).grantId).toBe(grant.id);

    await sleep(Math.max(0, (grant.expiresAt ?? 0) - Date.now()) + 50);
    const reached = world.tools.received.length;
    const mark = await world.mark();
    const error = await refusal(task.tools.invoke("read_customer_db", { id: "12345" }));
    expect(error.status).toBe(403);
    expect(error.message).toBe(`tool call refused: no live grant for tool 'read_customer_db' in task '${task.id}'`);
    expect(world.tools.received.length).toBe(reached);
    const [event] = await world.refusalsSince(mark);
    expect(event).toMatchObject({ action: "tool.invoke", resource: { name: "read_customer_db" }, decision: { outcome: "refused", reasons: [error.message] } });
    expect((await task.refresh()).grants).toEqual([expect.objectContaining({ id: grant.id, status: "expired" })]);
  });

  it("benign twin: asking again for a fresh grant, as the task still needs it, works", async () => {
    const task = await world.support.sdk.openTask({ purpose: "look up a customer", reference: "customer 12345" });
    await granted(task, "read_customer_db", { ttlSeconds: 1 });
    await sleep(1100);
    await granted(task, "read_customer_db", { ttlSeconds: 60 });
    const again = await task.tools.invoke("read_customer_db", { id: "12345" });
    expect(again.result.isError).toBe(false);
  });
});
