import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeAnthropicUpstream, fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { invokeRecords, lastInvokeRecord, listen, putRecord, upstreamModel } from "./support.js";

/**
 * Routing as the service does it: a tenant route with a primary and a fallback upstream (two
 * local servers speaking different wire formats), driven by the official openai client. The
 * primary is stopped in the middle of the run; every call still answers, and the records name
 * the model that served and why.
 */
describe.each(storeTargets)("fallback between real upstreams with the official client ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let primary: FakeUpstream;
  let flaky: FakeUpstream;
  let fallback: FakeUpstream;
  let openai: OpenAI;

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("acme");
    [primary, flaky, fallback] = await Promise.all([fakeOpenAiUpstream(), fakeOpenAiUpstream(), fakeAnthropicUpstream()]);
    await putRecord(h, t, "model", "gpt-primary", upstreamModel("openai", primary.endpoint, { pricing: { inputPer1k: 1, outputPer1k: 2 } }));
    await putRecord(h, t, "model", "gpt-flaky", upstreamModel("openai", flaky.endpoint));
    await putRecord(h, t, "model", "claude-fallback", upstreamModel("anthropic", fallback.endpoint, { pricing: { inputPer1k: 3, outputPer1k: 4 } }));
    await putRecord(h, t, "model", "claude-eu", upstreamModel("anthropic", fallback.endpoint, { region: "eu" }));
    const routing = {
      routes: [
        { name: "assistant", primary: [{ model: "gpt-primary" }], fallbacks: ["claude-fallback"] },
        { name: "streamer", primary: [{ model: "gpt-flaky" }], fallbacks: ["claude-fallback"] },
        { name: "resident", primary: [{ model: "gpt-primary" }], fallbacks: ["claude-eu"] },
      ],
    };
    const res = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { routing });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    openai = new OpenAI({ baseURL: `${await listen(h)}/v1`, apiKey: t.appKey, maxRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([primary?.close(), flaky?.close(), fallback?.close()]);
  });

  it("lists the tenant's routes among the models the caller may use", async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(["assistant", "claude-eu", "claude-fallback", "gpt-flaky", "gpt-primary", "resident", "streamer"]);
  });

  it("keeps answering when the primary upstream stops mid-run, and records the fallback model as served with the reason", async () => {
    const before = (await invokeRecords(h)).length;
    const total = 40;
    const stopAfter = 12;
    let started = 0;
    let answered = 0;
    let stopping: Promise<void> | undefined;
    const answers: { n: number; model: string; text: string | null | undefined }[] = [];
    // Four callers at once, so calls are in flight on the primary when it stops.
    const caller = async () => {
      while (started < total) {
        const n = started++;
        const completion = await openai.chat.completions.create({ model: "assistant", messages: [{ role: "user", content: `question ${n}` }] });
        answers.push({ n, model: completion.model, text: completion.choices[0]?.message.content });
        if (++answered === stopAfter) stopping = primary.close();
      }
    };
    await Promise.all([caller(), caller(), caller(), caller()]);
    await stopping;

    expect(answers).toHaveLength(total);
    for (const a of answers) {
      expect(a.text).toMatch(new RegExp(`upstream heard: question ${a.n}$`));
      expect(a.text?.startsWith(a.model === "gpt-primary" ? "openai" : "anthropic"), JSON.stringify(a)).toBe(true);
    }
    const served = answers.map((a) => a.model);
    expect(served.slice(0, stopAfter - 4).every((m) => m === "gpt-primary")).toBe(true);
    expect(served.slice(-10).every((m) => m === "claude-fallback")).toBe(true);

    const records = (await invokeRecords(h)).slice(before);
    expect(records).toHaveLength(total);
    expect(records.every((r) => r.decision.outcome === "allowed")).toBe(true);
    const fellBack = records.filter((r) => r.payload.modelServed === "claude-fallback");
    expect(fellBack.length).toBeGreaterThanOrEqual(10);
    for (const r of fellBack) {
      expect(r.resource.name).toBe("claude-fallback");
      expect(r.payload).toMatchObject({ modelRequested: "assistant", route: "assistant", provider: "anthropic" });
      // Refused connections first; once enough have failed, the primary's circuit is open and it is skipped.
      expect(r.payload.fallbackReason).toMatch(/^gpt-primary (connection|circuit open)/);
      expect(r.payload.attempts.at(-1)).toMatchObject({ model: "claude-fallback", tier: "fallback", outcome: "served" });
      expect(r.payload.attempts[0]).toMatchObject({ model: "gpt-primary", tier: "primary" });
      expect(r.payload.costUsd).toBeCloseTo((13 / 1000) * 3 + (5 / 1000) * 4, 8);
    }
    expect(fellBack.some((r) => r.payload.fallbackReason.includes("circuit open"))).toBe(true);
    const direct = records.filter((r) => r.payload.modelServed === "gpt-primary");
    for (const r of direct) expect(r.payload).toMatchObject({ fallbackReason: null, attempts: [{ model: "gpt-primary", outcome: "served" }] });
  });

  it("keeps circuit breakers per tenant: another tenant's model of the same name is not held by acme's open circuit", async () => {
    const beta = await h.createTenant("beta");
    await putRecord(h, beta, "model", "gpt-primary", upstreamModel("openai", flaky.endpoint));
    const client = new OpenAI({ baseURL: openai.baseURL, apiKey: beta.appKey, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: "gpt-primary", messages: [{ role: "user", content: "beta here" }] });
    expect(completion.choices[0]?.message.content).toBe("openai upstream heard: beta here");
    expect((await lastInvokeRecord(h)).payload.attempts).toEqual([expect.objectContaining({ model: "gpt-primary", outcome: "served" })]);
  });

  it("falls back when the primary's stream breaks before its first token, and the caller sees one clean stream", async () => {
    flaky.misbehave = "break-before-first-token";
    try {
      const stream = await openai.chat.completions.create({
        model: "streamer",
        messages: [{ role: "user", content: "stream through" }],
        stream: true,
        stream_options: { include_usage: true },
      });
      let text = "";
      const models = new Set<string>();
      let usage: OpenAI.CompletionUsage | null | undefined;
      for await (const chunk of stream) {
        text += chunk.choices[0]?.delta.content ?? "";
        models.add(chunk.model);
        usage = chunk.usage ?? usage;
      }
      expect(text).toBe("anthropic upstream heard: stream through");
      expect([...models]).toEqual(["claude-fallback"]);
      expect(usage).toMatchObject({ prompt_tokens: 13, completion_tokens: 5 });
      expect(flaky.received.length).toBeGreaterThan(0);

      const record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("allowed");
      expect(record.payload).toMatchObject({ stream: true, modelRequested: "streamer", modelServed: "claude-fallback", usage: { inputTokens: 13, outputTokens: 5 } });
      expect(record.payload.fallbackReason).toMatch(/^gpt-flaky stream_broken/);
      expect(record.payload.attempts[0]).toMatchObject({ model: "gpt-flaky", outcome: "failed", error: "stream_broken" });
    } finally {
      flaky.misbehave = "none";
    }
  });

  it("keeps data in its region: with x-gatehouse-data-region the route uses only upstreams in that region", async () => {
    const completion = await openai.chat.completions.create(
      { model: "resident", messages: [{ role: "user", content: "eu data" }] },
      { headers: { "x-gatehouse-data-region": "eu" } },
    );
    expect(completion.model).toBe("claude-eu");
    const record = await lastInvokeRecord(h);
    expect(record.context.dataRegion).toBe("eu");
    expect(record.payload.attempts).toEqual([expect.objectContaining({ model: "claude-eu", outcome: "served" })]);

    const refused = openai.chat.completions.create(
      { model: "gpt-primary", messages: [{ role: "user", content: "eu data" }] },
      { headers: { "x-gatehouse-data-region": "eu" } },
    );
    await expect(refused).rejects.toBeInstanceOf(OpenAI.PermissionDeniedError);
    await expect(refused).rejects.toThrow(/region 'us', outside the data's region 'eu'/);
  });

  it("answers 502 naming every attempt when no upstream of the route is left", async () => {
    await fallback.close();
    const failing = openai.chat.completions.create({ model: "assistant", messages: [{ role: "user", content: "anyone?" }] });
    await expect(failing).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    await expect(failing).rejects.toThrow(/every upstream for 'assistant' failed: gpt-primary .*claude-fallback connection/);
    const record = await lastInvokeRecord(h);
    expect(record.decision.outcome).toBe("failed");
    expect(record.payload.modelServed).toBeNull();
    expect(record.payload.attempts.map((a: { model: string }) => a.model)).toContain("claude-fallback");
    expect(record.payload.error).toMatchObject({ code: "upstream_connection", upstream: "claude-fallback" });
  });
});
