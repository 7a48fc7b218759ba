import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { lastInvokeRecord, listen, putRecord, upstreamModel } from "./support.js";

const template = (text: string) => ({ text, variables: ["customer", "question"], maxSensitivity: "internal" });

/** A call names a prompt template (and version) in the body; only approved versions serve, and the record names the version. */
describe.each(storeTargets)("prompt templates in model calls ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let up: FakeUpstream;
  let base: string;

  const call = (gatehouseTemplate: unknown) =>
    fetch(`${base}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.appKey}` },
      body: JSON.stringify({ model: "gpt-up", messages: [{ role: "user", content: "where is my order?" }], gatehouse_template: gatehouseTemplate }),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as { error: { message: string; param: string | null } } }));

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("acme");
    up = await fakeOpenAiUpstream();
    await putRecord(h, t, "model", "gpt-up", upstreamModel("openai", up.endpoint));
    await putRecord(h, t, "prompt_template", "support-reply", template("v1: help {{customer}} with {{ question }}"));
    await putRecord(h, t, "prompt_template", "support-reply", template("v2: answer {{customer}} about {{question}}"));
    base = await listen(h);
  });

  afterAll(async () => {
    await h?.close();
    await up?.close();
  });

  it("serves the live version by default and a named approved version on request, and records which", async () => {
    const variables = { customer: "Ada", question: "order 12345" };
    expect((await call({ name: "support-reply", variables })).status).toBe(200);
    // The customer's name is personal data: the input guards put a placeholder in its place.
    expect(up.received.at(-1)?.body.messages).toEqual([
      { role: "system", content: "v2: answer [PERSON_1] about order 12345" },
      { role: "user", content: "where is my order?" },
    ]);
    expect((await lastInvokeRecord(h)).payload.template).toEqual({ name: "support-reply", version: 2 });

    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.appKey, maxRetries: 0 });
    await client.chat.completions.create({
      model: "gpt-up",
      messages: [{ role: "user", content: "hi" }],
      // The body extension rides along with the official client's parameters.
      ...({ gatehouse_template: { name: "support-reply", version: 1, variables } } as object),
    });
    expect(up.received.at(-1)?.body.messages[0]).toEqual({ role: "system", content: "v1: help [PERSON_1] with order 12345" });
    expect((await lastInvokeRecord(h)).payload.template).toEqual({ name: "support-reply", version: 1 });

    expect((await call(undefined)).status).toBe(200);
    expect((await lastInvokeRecord(h)).payload.template).toBeNull();
  });

  it("refuses versions that were never approved, missing or unknown variables, and deleted templates", async () => {
    const variables = { customer: "Ada", question: "q" };
    const unknownVersion = await call({ name: "support-reply", version: 9, variables });
    expect(unknownVersion.status).toBe(404);
    expect(unknownVersion.body.error.message).toContain("not an approved version");
    expect((await call({ name: "no-such-template", variables })).status).toBe(404);
    const missing = await call({ name: "support-reply", variables: { customer: "Ada" } });
    expect(missing.status).toBe(400);
    expect(missing.body.error.param).toBe("gatehouse_template.variables.question");
    expect((await call({ name: "support-reply", variables: { ...variables, extra: "x" } })).status).toBe(400);
    expect((await call({ name: "support-reply", variables: { customer: 1, question: "q" } })).status).toBe(400);
    expect((await lastInvokeRecord(h)).decision.outcome).toBe("refused");

    await h.gatehouse.transaction((trx) =>
      h.gatehouse.registry.remove(trx, actionContext(systemActor("test", t.id)), { tenantId: t.id, kind: "prompt_template", name: "support-reply" }),
    );
    expect((await call({ name: "support-reply", version: 1, variables })).status).toBe(404);
  });
});
