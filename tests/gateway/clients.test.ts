import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { fakeAnthropicUpstream, fakeOpenAiUpstream, type FakeUpstream } from "../support/fake-upstreams.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { lastInvokeRecord, listen, putRecord, upstreamModel } from "./support.js";

/**
 * The official OpenAI and Anthropic clients, streaming and not, against Gatehouse on a loopback
 * port, which calls local upstreams that speak each provider's wire format.
 */
describe.each(storeTargets)("model gateway with the official clients ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let openaiUp: FakeUpstream;
  let anthropicUp: FakeUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("acme");
    openaiUp = await fakeOpenAiUpstream();
    anthropicUp = await fakeAnthropicUpstream();
    await putRecord(h, t, "model", "gpt-up", upstreamModel("openai", openaiUp.endpoint, { aliases: ["fast"] }));
    await putRecord(h, t, "model", "claude-up", upstreamModel("anthropic", anthropicUp.endpoint));
    await putRecord(h, t, "model", "sim", upstreamModel("simulator", undefined, { aliases: ["demo"] }));
    for (const [model, secret] of [["gpt-up", "sk-openai-secret"], ["claude-up", "sk-ant-secret"]]) {
      const res = await h.admin(t.keys.owner, "PUT", `/models/${model}/credential`, { secret });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(JSON.stringify(res.body)).not.toContain(secret);
    }
    const base = await listen(h);
    openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.appKey, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: base, apiKey: t.appKey, maxRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await openaiUp?.close();
    await anthropicUp?.close();
  });

  it("answers an OpenAI chat completion from the OpenAI upstream, with its credential, and records the call", async () => {
    const completion = await openai.chat.completions.create(
      { model: "fast", messages: [{ role: "system", content: "be brief" }, { role: "user", content: "hello there" }] },
      { headers: { "x-gatehouse-task-id": "task-42", "x-gatehouse-purpose": "greeting", "x-gatehouse-business-unit": "support" } },
    );
    expect(completion.object).toBe("chat.completion");
    expect(completion.model).toBe("gpt-up");
    expect(completion.choices[0]?.message.content).toBe("openai upstream heard: hello there");
    expect(completion.choices[0]?.finish_reason).toBe("stop");
    expect(completion.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7, total_tokens: 18 });

    const sent = openaiUp.received.at(-1);
    expect(sent?.headers.authorization).toBe("Bearer sk-openai-secret");
    expect(sent?.body.model).toBe("openai-model");
    expect(sent?.body.messages).toEqual([{ role: "system", content: "be brief" }, { role: "user", content: "hello there" }]);

    const record = await lastInvokeRecord(h);
    expect(record.tenantId).toBe(t.id);
    expect(record.actor.id).toBe(t.principalIds.app);
    expect(record.decision.outcome).toBe("allowed");
    expect(record.context).toMatchObject({ taskId: "task-42", purpose: "greeting", businessUnit: "support", environment: "production", api: "openai" });
    expect(record.payload).toMatchObject({ modelRequested: "fast", modelServed: "gpt-up", provider: "openai", usage: { inputTokens: 11, outputTokens: 7 } });
    expect(record.payload.costUsd).toBeCloseTo((11 / 1000) * 1 + (7 / 1000) * 2, 8);
    // The record stage cannot time itself into its own event.
    for (const stage of ["identify", "admit", "inspect_input", "decide", "execute", "inspect_output"]) {
      expect(typeof record.payload.stageMs[stage], stage).toBe("number");
    }
    expect(JSON.stringify(record)).not.toContain("sk-openai-secret");
  });

  it("streams an OpenAI chat completion with correct chunks, the usage chunk and [DONE]", async () => {
    const stream = await openai.chat.completions.create({
      model: "gpt-up",
      messages: [{ role: "user", content: "stream me" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks.every((c) => c.object === "chat.completion.chunk")).toBe(true);
    expect(chunks[0]?.choices[0]?.delta.role).toBe("assistant");
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? "").join("");
    expect(text).toBe("openai upstream heard: stream me");
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe("stop");
    expect(chunks.at(-1)?.choices).toEqual([]);
    expect(chunks.at(-1)?.usage).toMatchObject({ prompt_tokens: 11, completion_tokens: 7 });
    expect(openaiUp.received.at(-1)?.body.stream).toBe(true);

    const record = await lastInvokeRecord(h);
    expect(record.payload).toMatchObject({ stream: true, modelServed: "gpt-up", usage: { inputTokens: 11, outputTokens: 7 } });
  });

  it("passes tools, tool calls and response_format through to the upstream and back", async () => {
    const tools: OpenAI.ChatCompletionTool[] = [
      { type: "function", function: { name: "weather", description: "weather by city", parameters: { type: "object", properties: { city: { type: "string" } } } } },
    ];
    const completion = await openai.chat.completions.create({
      model: "gpt-up",
      messages: [{ role: "user", content: "weather in Paris?" }],
      tools,
      response_format: { type: "json_schema", json_schema: { name: "answer", schema: { type: "object", properties: { ok: { type: "boolean" } } } } },
    });
    const call = completion.choices[0]?.message.tool_calls?.[0];
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(call?.type === "function" && call.function).toEqual({ name: "weather", arguments: '{"city":"Paris"}' });
    const sent = openaiUp.received.at(-1)?.body;
    expect(sent?.tools[0].function.name).toBe("weather");
    expect(sent?.response_format).toMatchObject({ type: "json_schema", json_schema: { name: "answer" } });

    const stream = await openai.chat.completions.create({ model: "gpt-up", messages: [{ role: "user", content: "weather?" }], tools, stream: true });
    let args = "";
    let name = "";
    for await (const chunk of stream) {
      for (const tc of chunk.choices[0]?.delta.tool_calls ?? []) {
        name += tc.function?.name ?? "";
        args += tc.function?.arguments ?? "";
      }
    }
    expect({ name, args }).toEqual({ name: "weather", args: '{"city":"Paris"}' });

    const followUp = await openai.chat.completions.create({
      model: "gpt-up",
      messages: [
        { role: "user", content: "weather in Paris?" },
        { role: "assistant", content: null, tool_calls: [{ id: "call_up_1", type: "function", function: { name: "weather", arguments: '{"city":"Paris"}' } }] },
        { role: "tool", tool_call_id: "call_up_1", content: "sunny" },
      ],
      tools,
    });
    expect(followUp.choices[0]?.finish_reason).toBe("stop");
    expect(openaiUp.received.at(-1)?.body.messages[2]).toEqual({ role: "tool", content: "sunny", tool_call_id: "call_up_1" });
  });

  it("answers Anthropic Messages from the Anthropic upstream, streamed and not", async () => {
    const message = await anthropic.messages.create({ model: "claude-up", max_tokens: 100, system: "terse", messages: [{ role: "user", content: "bonjour" }] });
    expect(message.type).toBe("message");
    expect(message.content).toEqual([{ type: "text", text: "anthropic upstream heard: bonjour" }]);
    expect(message.stop_reason).toBe("end_turn");
    expect(message.usage).toMatchObject({ input_tokens: 13, output_tokens: 5 });
    const sent = anthropicUp.received.at(-1);
    expect(sent?.headers["x-api-key"]).toBe("sk-ant-secret");
    expect(sent?.headers["anthropic-version"]).toBeDefined();
    expect(sent?.body).toMatchObject({ model: "anthropic-model", system: "terse", max_tokens: 100 });

    const events: string[] = [];
    const stream = anthropic.messages.stream({ model: "claude-up", max_tokens: 100, messages: [{ role: "user", content: "stream please" }] });
    stream.on("streamEvent", (event) => events.push(event.type));
    const final = await stream.finalMessage();
    expect(final.content).toEqual([{ type: "text", text: "anthropic upstream heard: stream please" }]);
    expect(final.usage.output_tokens).toBe(5);
    expect(events[0]).toBe("message_start");
    expect(events).toContain("content_block_start");
    expect(events).toContain("content_block_delta");
    expect(events.slice(-3)).toEqual(["content_block_stop", "message_delta", "message_stop"]);
    expect((await lastInvokeRecord(h)).payload).toMatchObject({ stream: true, modelServed: "claude-up", usage: { inputTokens: 13, outputTokens: 5 } });
  });

  it("translates across APIs: the Anthropic client with tools to an OpenAI upstream, the OpenAI client to an Anthropic upstream", async () => {
    const tools: Anthropic.Tool[] = [{ name: "weather", input_schema: { type: "object", properties: { city: { type: "string" } } } }];
    const message = await anthropic.messages.create({ model: "gpt-up", max_tokens: 50, tools, messages: [{ role: "user", content: "weather?" }] });
    expect(message.stop_reason).toBe("tool_use");
    expect(message.content).toEqual([{ type: "tool_use", id: "call_up_1", name: "weather", input: { city: "Paris" } }]);

    const streamed = await anthropic.messages.stream({ model: "gpt-up", max_tokens: 50, tools, messages: [{ role: "user", content: "weather?" }] }).finalMessage();
    expect(streamed.content).toEqual([{ type: "tool_use", id: "call_up_1", name: "weather", input: { city: "Paris" } }]);

    const stream = await openai.chat.completions.create({ model: "claude-up", messages: [{ role: "user", content: "hi claude" }], stream: true });
    let text = "";
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? "";
    expect(text).toBe("anthropic upstream heard: hi claude");
  });

  it("serves the simulator by alias, deterministically, naming itself, honouring json_schema", async () => {
    const ask = () => openai.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "What is 2 + 2?" }] });
    const [a, b] = [await ask(), await ask()];
    expect(a.choices[0]?.message.content).toContain("simulator");
    expect(a.choices[0]?.message.content).toBe(b.choices[0]?.message.content);
    expect(a.usage).toEqual(b.usage);
    expect(a.usage?.prompt_tokens).toBe(6); // What, is, 2, +, 2, ?

    const json = await openai.chat.completions.create({
      model: "sim",
      messages: [{ role: "user", content: "give me json" }],
      response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { answer: { type: "string" }, n: { type: "integer" } }, required: ["answer", "n"] } } },
    });
    expect(JSON.parse(json.choices[0]?.message.content ?? "")).toEqual({ answer: "answer", n: 0 });

    const streamed = await anthropic.messages.stream({ model: "demo", max_tokens: 200, messages: [{ role: "user", content: "What is 2 + 2?" }] }).finalMessage();
    expect(streamed.content[0]?.type === "text" && streamed.content[0].text).toBe(a.choices[0]?.message.content);
  });

  it("lists only the models the caller may use (with aliases), for both clients", async () => {
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids.sort()).toEqual(["claude-up", "demo", "fast", "gpt-up", "sim"]);

    await putRecord(h, t, "model", "refunds-only", upstreamModel("simulator", undefined, { taskClasses: ["refunds"] }));
    const again: string[] = [];
    for await (const model of openai.models.list()) again.push(model.id);
    expect(again).not.toContain("refunds-only");
    const anthropicIds: string[] = [];
    for await (const model of anthropic.models.list()) anthropicIds.push(model.id);
    expect(anthropicIds.sort()).toEqual(["claude-up", "demo", "fast", "gpt-up", "sim"]);
  });
});
