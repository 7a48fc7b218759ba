import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROOF_HEADER, TASK_HEADER } from "gatehouse/sdk";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, granted, type World } from "./world.js";

/**
 * Replay. An attacker on the network path captures one of support-bot's requests — a signed
 * call of read_customer_db — and sends the very same bytes again, hoping Gatehouse will run the
 * tool a second time on support-bot's authority. The proof in the request is bound to its
 * method, URL, body and time, and carries a nonce Gatehouse remembers.
 */
describe.each(storeTargets)("story: replaying a captured request ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  /** A request exactly as support-bot puts it on the wire. */
  async function capturedRequest(taskId: string) {
    const url = `${world.baseUrl}/v1/tools/read_customer_db/invoke`;
    const body = JSON.stringify({ arguments: { id: "12345" } });
    const proof = await world.support.signer.sign({ method: "POST", url, body: new TextEncoder().encode(body) });
    return { url, init: { method: "POST", headers: { "content-type": "application/json", [PROOF_HEADER]: proof, [TASK_HEADER]: taskId }, body } };
  }

  it("the replayed request is refused 401 and recorded; the tool ran once", async () => {
    const task = await world.support.sdk.openTask({ purpose: "look up a customer", reference: "customer 12345" });
    await granted(task, "read_customer_db", { scope: { arguments: { id: { equals: "12345" } } } });
    const { url, init } = await capturedRequest(task.id);

    const original = await fetch(url, init);
    expect(original.status).toBe(200);
    const runs = world.tools.received.length;
    const mark = await world.mark();

    const replayed = await fetch(url, init);
    expect(replayed.status).toBe(401);
    const { error } = (await replayed.json()) as { error: { message: string } };
    expect(error.message).toBe("the proof was already used (replayed nonce); sign every request afresh");
    expect(world.tools.received.length).toBe(runs);
    const [event] = await world.refusalsSince(mark);
    expect(event).toMatchObject({ tenantId: world.tenant.id, action: "agent.authenticate", resource: { name: "support-bot" }, decision: { reasons: [error.message] } });
  });

  it("benign twin: the same call signed afresh is served again", async () => {
    const task = await world.support.sdk.openTask({ purpose: "look up a customer", reference: "customer 12345" });
    await granted(task, "read_customer_db", { scope: { arguments: { id: { equals: "12345" } } } });
    for (let i = 0; i < 2; i++) {
      const { url, init } = await capturedRequest(task.id);
      expect((await fetch(url, init)).status).toBe(200);
    }
    const again = await task.tools.invoke("read_customer_db", { id: "12345" });
    expect(again.result.isError).toBe(false);
  });
});
