import OpenAI from "openai";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GatehouseError } from "../../src/shared/errors.js";
import type { Admission } from "../../src/gateway/pipeline/admit.js";
import { fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { invokeRecords, lastInvokeRecord, listen, putRecord, upstreamModel } from "./support.js";

/** Refuses calls of the business unit "over-budget": a real Admission, as the limits work will plug in. */
const overBudget: Admission = {
  async admit(call) {
    if (call.input.headers.businessUnit === "over-budget") {
      throw new GatehouseError("rate_limited", "business unit over-budget has spent its daily budget", undefined, { retryAfterSeconds: 30 });
    }
    return { settle: async () => undefined };
  },
};

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

/**
 * Bad input, refusals and failures on both APIs: each answered in the API's own error shape
 * with the right status, never a 5xx for bad input, and recorded.
 */
describe.each(storeTargets)("model gateway refusals and failures ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let up: FakeUpstream;
  let base: string;

  const post = async (path: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> => {
    const res = await fetch(`${base}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${t.appKey}`, ...headers },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
    return { status: res.status, headers: res.headers, body: parsed };
  };
  const chat = (body: unknown, headers?: Record<string, string>) => post("/v1/chat/completions", body, headers);
  const messages = (body: unknown, headers?: Record<string, string>) => post("/v1/messages", body, headers);
  const hello = { model: "sim", messages: [{ role: "user", content: "hello" }] };
  const helloAnthropic = { ...hello, max_tokens: 50 };

  const expectOpenAiError = (res: Answer, status: number) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(Object.keys(res.body)).toEqual(["error"]);
    expect(Object.keys(res.body.error).sort()).toEqual(["code", "message", "param", "type"]);
    expect(res.body.error).toMatchObject({ message: expect.any(String), type: expect.any(String), code: expect.any(String) });
    expect(res.body.error.param === null || typeof res.body.error.param === "string").toBe(true);
    expect(res.body.error.message.length).toBeGreaterThan(0);
  };
  const expectAnthropicError = (res: Answer, status: number, type: string) => {
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.body).toEqual({ type: "error", error: { type, message: expect.any(String) } });
  };

  beforeAll(async () => {
    // These tests make one upstream fail on purpose many times in a row; its circuit breaker
    // (tested in routing*.test.ts and fallback.test.ts) must not open and hide the failures.
    const routing = { breaker: { failureThreshold: 1000, windowMs: 30_000, coolDownMs: 15_000 } };
    h = await startHarness(target, { bodyLimitBytes: 256 * 1024, gateway: { admission: overBudget, maxPromptTokens: 2000, routing } });
    t = await h.createTenant("acme");
    up = await fakeOpenAiUpstream();
    await putRecord(h, t, "model", "sim", upstreamModel("simulator", undefined));
    await putRecord(h, t, "model", "gpt-up", upstreamModel("openai", up.endpoint));
    await putRecord(h, t, "model", "refunds-only", upstreamModel("simulator", undefined, { taskClasses: ["refunds"] }));
    base = await listen(h);
  });

  afterAll(async () => {
    await h?.close();
    await up?.close();
  });

  it("answers bad input with 4xx in each API's shape, never a 5xx", async () => {
    const openAiCases: [string, unknown, number, string | null][] = [
      ["malformed JSON", '{"model": "sim", "messages": [', 400, null],
      ["a JSON array", JSON.stringify([hello]), 400, "body"],
      ["messages of the wrong type", { model: "sim", messages: "hello" }, 400, "messages"],
      ["no messages", { model: "sim", messages: [] }, 400, "messages"],
      ["a message with an unknown role", { model: "sim", messages: [{ role: "wizard", content: "x" }] }, 400, "messages[0].role"],
      ["model of the wrong type", { model: 42, messages: hello.messages }, 400, "model"],
      ["temperature out of range", { ...hello, temperature: 7 }, 400, "temperature"],
      ["stream_options without stream", { ...hello, stream_options: { include_usage: true } }, 400, "stream_options"],
      ["stream_options of the wrong type", { ...hello, stream: true, stream_options: { include_usage: "yes" } }, 400, "stream_options.include_usage"],
      ["stream_options with an unknown field", { ...hello, stream: true, stream_options: { everything: true } }, 400, "stream_options"],
      ["stream of the wrong type", { ...hello, stream: "yes" }, 400, "stream"],
      ["an image part", { model: "sim", messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] }, 400, "messages[0].content"],
      ["n > 1", { ...hello, n: 3 }, 400, "n"],
    ];
    for (const [what, body, status, param] of openAiCases) {
      const res = await chat(body);
      expectOpenAiError(res, status);
      if (param) expect(res.body.error.param, what).toBe(param);
    }
    const anthropicCases: [string, unknown][] = [
      ["malformed JSON", '{"model": '],
      ["no max_tokens", hello],
      ["max_tokens of the wrong type", { ...helloAnthropic, max_tokens: "lots" }],
      ["a system message in messages", { ...helloAnthropic, messages: [{ role: "system", content: "x" }] }],
      ["an unknown content block", { ...helloAnthropic, messages: [{ role: "user", content: [{ type: "video" }] }] }],
      ["stream of the wrong type", { ...helloAnthropic, stream: 1 }],
    ];
    for (const [what, body] of anthropicCases) {
      const res = await messages(body);
      expect(res.status, what).toBe(400);
      expectAnthropicError(res, 400, "invalid_request_error");
    }
    for (const contentType of ["text/plain", "application/x-www-form-urlencoded", "application/vnd.invented"]) {
      const res = await chat("hi", { "content-type": contentType });
      expect([400, 415], contentType).toContain(res.status);
      expectOpenAiError(res, res.status);
    }
    const headerRes = await chat(hello, { "x-gatehouse-task-id": "bad id with spaces" });
    expectOpenAiError(headerRes, 400);
    expect(headerRes.body.error.param).toBe("headers.x-gatehouse-task-id");
  });

  it("records calls refused for bad input, naming the caller when its key is good", async () => {
    const before = (await invokeRecords(h)).length;
    expectOpenAiError(await chat('{"model": "sim", "messages": ['), 400);
    expectAnthropicError(await messages({ model: "sim", messages: "nope", max_tokens: 5 }), 400, "invalid_request_error");
    expectOpenAiError(await chat(hello, { authorization: "Bearer wrong" , "x-gatehouse-purpose": "x".repeat(600) }), 400);
    const records = (await invokeRecords(h)).slice(before);
    expect(records.map((r) => r.decision.outcome)).toEqual(["refused", "refused", "refused"]);
    expect(records[0]?.actor.id).toBe(t.principalIds.app);
    expect(records[1]).toMatchObject({ tenantId: t.id, context: { api: "anthropic" }, payload: { modelRequested: "sim", error: { code: "invalid_request" } } });
    expect(records[2]?.tenantId).toBeNull();
  });

  it("refuses a missing, wrong or admin key with 401 and records the refusal", async () => {
    const before = (await invokeRecords(h)).length;
    expectOpenAiError(await chat(hello, { authorization: "" }), 401);
    expectOpenAiError(await chat(hello, { authorization: "Bearer gh_app_not-a-key" }), 401);
    expectOpenAiError(await chat(hello, { authorization: `Bearer ${t.keys.owner}` }), 401);
    expectAnthropicError(await messages(helloAnthropic, { authorization: "", "x-api-key": "wrong" }), 401, "authentication_error");
    const ok = await messages(helloAnthropic, { authorization: "", "x-api-key": t.appKey });
    expect(ok.status).toBe(200);
    const records = (await invokeRecords(h)).slice(before);
    expect(records.map((r) => r.decision.outcome)).toEqual(["refused", "refused", "refused", "refused", "allowed"]);
    expect(records[0]?.tenantId).toBeNull();

    const client = new OpenAI({ baseURL: `${base}/v1`, apiKey: "gh_app_wrong", maxRetries: 0 });
    await expect(client.chat.completions.create(hello as OpenAI.ChatCompletionCreateParamsNonStreaming)).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
  });

  it("answers an unknown model with 404, and a model not approved for the task class with 403, both recorded", async () => {
    const unknown = await chat({ ...hello, model: "gpt-5-turbo-ultra" });
    expectOpenAiError(unknown, 404);
    expect(unknown.body.error).toMatchObject({ code: "model_not_found", param: "model" });
    expectAnthropicError(await messages({ ...helloAnthropic, model: "nope" }), 404, "not_found_error");
    expect((await lastInvokeRecord(h)).decision.outcome).toBe("refused");

    const denied = await chat({ ...hello, model: "refunds-only" });
    expectOpenAiError(denied, 403);
    expect(denied.body.error.message).toContain("task class 'chat'");
    const record = await lastInvokeRecord(h);
    expect(record.decision).toMatchObject({ outcome: "refused" });
    expect(record.payload.modelRequested).toBe("refunds-only");
    expect((await chat({ ...hello, model: "refunds-only" }, { "x-gatehouse-task-class": "refunds" })).status).toBe(200);
  });

  it("refuses oversized bodies and prompts with 413", async () => {
    const huge = { model: "sim", messages: [{ role: "user", content: "x".repeat(300 * 1024) }] };
    expectOpenAiError(await chat(huge), 413);
    expectAnthropicError(await messages({ ...huge, max_tokens: 5 }), 413, "request_too_large");
    const long = { model: "sim", messages: [{ role: "user", content: "word ".repeat(2500) }] };
    const res = await chat(long);
    expectOpenAiError(res, 413);
    expect(res.body.error.message).toContain("limit is 2000");
  });

  it("answers an admission refusal with 429 and Retry-After", async () => {
    const res = await chat(hello, { "x-gatehouse-business-unit": "over-budget" });
    expectOpenAiError(res, 429);
    expect(res.headers.get("retry-after")).toBe("30");
    const anthropicRes = await messages(helloAnthropic, { "x-gatehouse-business-unit": "over-budget" });
    expectAnthropicError(anthropicRes, 429, "rate_limit_error");
    expect(anthropicRes.headers.get("retry-after")).toBe("30");
    const record = await lastInvokeRecord(h);
    expect(record.decision.outcome).toBe("refused");
    expect(record.context.businessUnit).toBe("over-budget");
  });

  it("answers a malformed or failing upstream with 502 and records the failure", async () => {
    up.misbehave = "malformed";
    try {
      const res = await chat({ ...hello, model: "gpt-up" });
      expectOpenAiError(res, 502);
      expect(res.body.error.message).toMatch(/malformed|not JSON/);
      let record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("failed");
      expect(record.payload.error).toMatchObject({ code: "upstream_malformed", upstream: "gpt-up" });

      const streamed = await chat({ ...hello, model: "gpt-up", stream: true });
      expectOpenAiError(streamed, 502);
      expectAnthropicError(await messages({ ...helloAnthropic, model: "gpt-up" }), 502, "api_error");

      up.misbehave = "status-500";
      expectOpenAiError(await chat({ ...hello, model: "gpt-up" }), 502);
      record = await lastInvokeRecord(h);
      expect(record.payload.error).toMatchObject({ code: "upstream_status" });
    } finally {
      up.misbehave = "none";
    }
    expect((await chat({ ...hello, model: "gpt-up" })).status).toBe(200);
  });

  it("ends a stream that breaks after its first token with an error event in the API's shape, and records the failure", async () => {
    up.misbehave = "malformed-after-first-token";
    try {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.appKey}` },
        body: JSON.stringify({ ...hello, model: "gpt-up", stream: true }),
      });
      expect(res.status).toBe(200);
      const text = await res.text();
      // The stream opened at once; its first token was still held back by the output guards when
      // the upstream broke, and text that was never judged whole is not sent.
      expect(text).toContain('"role":"assistant"');
      expect(text).not.toContain('"content":"first "');
      expect(text).toContain('"type":"upstream_error"');
      expect(text).not.toContain("[DONE]");
      const record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("failed");
      expect(record.payload.error).toMatchObject({ code: "upstream_malformed" });

      const anthropicRes = await fetch(`${base}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": t.appKey },
        body: JSON.stringify({ ...helloAnthropic, model: "gpt-up", stream: true }),
      });
      const events = await anthropicRes.text();
      expect(events).toContain("event: message_start");
      expect(events).toContain('event: error\ndata: {"type":"error","error":{"type":"api_error"');
      expect(events).not.toContain("message_stop");
    } finally {
      up.misbehave = "none";
    }
  });

  it("records a stream the caller abandons", async () => {
    up.misbehave = "stall-after-first-token";
    const abort = new AbortController();
    try {
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.appKey}` },
        body: JSON.stringify({ ...hello, model: "gpt-up", stream: true }),
        signal: abort.signal,
      });
      const reader = res.body?.getReader();
      const first = await reader?.read();
      expect(new TextDecoder().decode(first?.value)).toContain("chat.completion.chunk");
      const before = (await invokeRecords(h)).length;
      abort.abort();
      // The upstream stalls, so the gateway learns of the departure only from the socket.
      let records = await invokeRecords(h);
      for (let i = 0; i < 50 && records.length === before; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        records = await invokeRecords(h);
      }
      expect(records.at(-1)?.decision).toMatchObject({ outcome: "failed", reasons: ["the caller went away before the answer ended"] });
    } finally {
      up.misbehave = "none";
    }
  });

  it("refuses calls with 503 while the audit log is unavailable (fail closed), streamed or not", async () => {
    const db = h.gatehouse.store.db;
    await sql`alter table events rename to events_unavailable`.execute(db);
    try {
      expectOpenAiError(await chat(hello), 503);
      expectAnthropicError(await messages(helloAnthropic), 503, "api_error");
      expectOpenAiError(await chat({ ...hello, model: "nope" }), 503);
      // A stream cannot take back what it sent, so it ends with an error event and no [DONE].
      const res = await fetch(`${base}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${t.appKey}` },
        body: JSON.stringify({ ...hello, stream: true }),
      });
      const text = await res.text();
      expect(text).toContain('"type":"service_unavailable"');
      expect(text).not.toContain("[DONE]");
      expect(text).not.toContain('"finish_reason":"stop"');
    } finally {
      await sql`alter table events_unavailable rename to events`.execute(db);
    }
    expect((await chat(hello)).status).toBe(200);
  });

  it("keeps provider credentials sealed at rest and never returns them", async () => {
    const secret = "sk-very-secret-value";
    const set = await h.admin(t.keys.admin, "PUT", "/models/gpt-up/credential", { secret });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ model: "gpt-up", updatedAt: expect.any(Number), updatedBy: expect.any(String) });
    const row = await h.gatehouse.store.db.selectFrom("provider_credentials").selectAll().where("model", "=", "gpt-up").executeTakeFirstOrThrow();
    expect(row.sealed.startsWith("v1.")).toBe(true);
    expect(row.sealed).not.toContain(secret);
    expect(JSON.stringify((await h.admin(t.keys.admin, "GET", "/models/gpt-up")).body)).not.toContain(secret);
    const rotated = await h.admin(t.keys.admin, "PUT", "/models/gpt-up/credential", { secret: "sk-rotated" });
    expect(rotated.status).toBe(200);
    expect((await chat({ ...hello, model: "gpt-up" })).status).toBe(200);
    expect(up.received.at(-1)?.headers.authorization).toBe("Bearer sk-rotated");
    expect((await h.admin(t.keys.developer, "PUT", "/models/gpt-up/credential", { secret })).status).toBe(403);
    expect((await h.admin(t.keys.admin, "PUT", "/models/nope/credential", { secret })).status).toBe(404);
  });
});
