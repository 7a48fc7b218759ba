import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, granted, refusal, type World } from "./world.js";

/**
 * A grant used after its task ended. support-bot completes its task ("order #12345 done") while
 * its five-minute grant to read the customer database still has minutes to run, then goes on
 * reading under that task. Grants belong to a task and end with it.
 */
describe.each(storeTargets)("story: a grant used after its task ended ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  it("the call in the completed task is refused and recorded; its grant shows it ended with the task", async () => {
    const task = await world.support.sdk.openTask({ purpose: "complete order #12345", reference: "order #12345" });
    const grant = await granted(task, "read_customer_db");
    await task.tools.invoke("read_customer_db", { id: "12345" });
    await task.complete("order shipped");
    const mark = await world.mark();

    const error = await refusal(task.tools.invoke("read_customer_db", { id: "12345" }));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(`is not an open task of agent '${world.support.name}' (task '${task.id}' has ended (completed))`);
    const [event] = await world.refusalsSince(mark);
    expect(event).toMatchObject({ action: "tool.invoke", context: { taskId: task.id }, decision: { reasons: [error.message] } });
    const after = await task.refresh();
    expect(after.grants).toEqual([expect.objectContaining({ id: grant.id, status: "ended" })]);
  });

  it("benign twin: the next order gets its own task and its own grant", async () => {
    const task = await world.support.sdk.openTask({ purpose: "complete order #12346", reference: "order #12346" });
    await granted(task, "read_customer_db");
    expect((await task.tools.invoke("read_customer_db", { id: "12346" })).result.isError).toBe(false);
    await task.complete();
  });
});
