import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeAnthropicUpstream, fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { freePort } from "../support/service.js";
import { storeTargets, type StoreTarget } from "../support/stores.js";
import { lastInvokeRecord, listen, putRecord, upstreamModel } from "./support.js";

const redisUrl = "redis://127.0.0.1:6379";

/** Rate windows in this process and in Redis; budgets in each store (they live in the database). */
const cases: { name: string; target: StoreTarget; redis: boolean }[] = [
  ...storeTargets.map((target) => ({ name: `${target.name}, in-process windows`, target, redis: false })),
  ...storeTargets.map((target) => ({ name: `${target.name}, Redis windows`, target, redis: true })),
];

/** Waits until the current minute has at least `seconds` left, so a per-minute test does not straddle two windows. */
async function awayFromMinuteEnd(seconds = 8): Promise<void> {
  const left = 60 - (Date.now() % 60_000) / 1000;
  if (left < seconds) await new Promise((resolve) => setTimeout(resolve, left * 1000 + 50));
}

/**
 * Rate limits and budgets as the service applies them, from the tenant's `limits` settings,
 * seen through the official clients: 429 with Retry-After and a message naming the limit;
 * budgets settled on what calls actually used, streamed calls included.
 */
describe.each(cases)("limits and budgets with the official clients ($name)", ({ target, redis }) => {
  let h: Harness;
  let openaiUp: FakeUpstream;
  let anthropicUp: FakeUpstream;
  let base: string;

  beforeAll(async () => {
    h = await startHarness(target, redis ? { gateway: { redisUrl } } : {});
    [openaiUp, anthropicUp] = await Promise.all([fakeOpenAiUpstream(), fakeAnthropicUpstream()]);
    base = await listen(h);
  });

  afterAll(async () => {
    await h?.close();
    await Promise.all([openaiUp?.close(), anthropicUp?.close()]);
  });

  async function tenantWith(name: string, limits: unknown): Promise<TestTenant> {
    const t = await h.createTenant(name);
    await putRecord(h, t, "model", "gpt-up", upstreamModel("openai", openaiUp.endpoint));
    await putRecord(h, t, "model", "claude-up", upstreamModel("anthropic", anthropicUp.endpoint));
    const res = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { limits });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return t;
  }

  it("refuses a key over its requests per minute with 429, Retry-After and a clear message, in each API's shape", async () => {
    const t = await tenantWith("rpm", { perKey: { requestsPerMinute: 3 } });
    // The official client retries 429 by default; this test wants to see the 429 itself.
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.appKey, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: base, apiKey: t.appKey, maxRetries: 0 });
    await awayFromMinuteEnd();
    for (let i = 0; i < 3; i++) {
      const ok = await openai.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: `call ${i}` }] });
      expect(ok.choices[0]?.message.content).toBe(`openai upstream heard: call ${i}`);
    }
    const refused = await openai.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: "one more" }] }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.status).toBe(429);
    const retryAfter = Number(error.headers?.get("retry-after"));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(error.message).toContain("Rate limit exceeded: 3 requests per minute for this API key (3 requests already made)");
    expect(error.code).toBe("rate_limited");

    const anthropicRefused = await anthropic.messages.create({ model: "claude-up", max_tokens: 10, messages: [{ role: "user", content: "hi" }] }).catch((e: unknown) => e);
    expect(anthropicRefused).toBeInstanceOf(Anthropic.RateLimitError);
    expect((anthropicRefused as InstanceType<typeof Anthropic.RateLimitError>).message).toContain("3 requests per minute for this API key");

    const record = await lastInvokeRecord(h);
    expect(record.tenantId).toBe(t.id);
    expect(record.decision.outcome).toBe("refused");
    expect(record.decision.reasons[0]).toContain("Rate limit exceeded");
    expect(record.payload.error).toMatchObject({ code: "rate_limited" });
    expect(openaiUp.received.filter((r) => r.body.messages?.[0]?.content === "one more")).toHaveLength(0);
  });

  it("refuses a business unit over its token budget with 429 naming the budget, counting the tokens of streamed calls", async () => {
    const t = await tenantWith("budget", { businessUnits: { research: { tokensPerDay: 60 } } });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.appKey, maxRetries: 0 });
    const anthropic = new Anthropic({ baseURL: base, apiKey: t.appKey, maxRetries: 0 });
    const research = { headers: { "x-gatehouse-business-unit": "research" } };
    // Each call is estimated at 1 prompt token + max_tokens 10 and actually uses 18 (the upstreams' usage).
    for (let i = 0; i < 2; i++) {
      const stream = await openai.chat.completions.create({ model: "gpt-up", max_tokens: 10, messages: [{ role: "user", content: "hello" }], stream: true }, research);
      let text = "";
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
      expect(text).toBe("openai upstream heard: hello");
    }
    const streamed = await anthropic.messages.stream({ model: "claude-up", max_tokens: 10, messages: [{ role: "user", content: "hello" }] }, research).finalMessage();
    expect(streamed.usage).toMatchObject({ input_tokens: 13, output_tokens: 5 });

    // 54 tokens used: the estimate of one more call (11) no longer fits in 60.
    const refused = await openai.chat.completions.create({ model: "gpt-up", max_tokens: 10, messages: [{ role: "user", content: "hello" }] }, research).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);
    const error = refused as InstanceType<typeof OpenAI.RateLimitError>;
    expect(error.message).toContain("Budget exceeded: 60 tokens per day (UTC) for business unit 'research' (54 tokens used or reserved, this call needs up to 11 tokens)");
    expect(Number(error.headers?.get("retry-after"))).toBeGreaterThanOrEqual(1);
    expect((await lastInvokeRecord(h)).decision.outcome).toBe("refused");

    // Other units, and calls billed to no unit, are not held by the research budget.
    const other = await openai.chat.completions.create({ model: "gpt-up", max_tokens: 10, messages: [{ role: "user", content: "hello" }] }, { headers: { "x-gatehouse-business-unit": "sales" } });
    expect(other.choices[0]?.message.content).toBe("openai upstream heard: hello");
    expect((await openai.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: "hello" }] })).model).toBe("gpt-up");
  });

  it("releases the reservation of a call that fails upstream, so a failed call costs no budget", async () => {
    const t = await tenantWith("released", { tenant: { tokensPerDay: 28 } });
    const openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.appKey, maxRetries: 0 });
    const ask = () => openai.chat.completions.create({ model: "gpt-up", max_tokens: 10, messages: [{ role: "user", content: "hello" }] });
    openaiUp.misbehave = "malformed";
    try {
      for (let i = 0; i < 4; i++) await expect(ask()).rejects.toBeInstanceOf(OpenAI.InternalServerError);
    } finally {
      openaiUp.misbehave = "none";
    }
    // Four failed calls reserved 11 tokens each and released them all (held, the third would have
    // been refused): the budget is whole, and the first answer's 18 tokens are what count.
    expect((await ask()).usage?.total_tokens).toBe(18);
    await expect(ask()).rejects.toThrow(/Budget exceeded: 28 tokens per day \(UTC\) for the tenant \(18 tokens used or reserved/);
  });

  it.runIf(redis)("refuses to start when the Redis it is told to use does not answer (fail closed)", async () => {
    const port = await freePort();
    await expect(startHarness(target, { gateway: { redisUrl: `redis://127.0.0.1:${port}` } })).rejects.toThrow();
  });
});
