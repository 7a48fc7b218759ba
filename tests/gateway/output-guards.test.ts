import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { fakeAnthropicUpstream, fakeOpenAiUpstream, type FakeUpstream, type ScriptedReply } from "../support/fake-upstreams.js";
import { approveFully } from "../support/admin-fixtures.js";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";
import { lastInvokeRecord, listen, putRecord, upstreamModel } from "./support.js";

/** Words of a text as an upstream streams them (each with its trailing space). */
const words = (text: string): string[] => text.split(/(?<= )/);

/** A paragraph long enough that the caller gets some of it while the output guards hold the end back. */
const preamble =
  "Here is the summary of the quarterly planning notes you asked for. The team met on Tuesday, reviewed the roadmap, " +
  "agreed the hiring plan and moved the launch review to the first week of next month. ";

/** Collects an OpenAI stream: its text, and the error that ended it, if one did. */
async function readOpenAiStream(stream: AsyncIterable<OpenAI.ChatCompletionChunk>, onText?: (text: string) => void) {
  let text = "";
  let finish: string | null | undefined;
  try {
    for await (const chunk of stream) {
      const piece = chunk.choices[0]?.delta.content ?? "";
      text += piece;
      if (piece) onText?.(text);
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    return { text, finish, error: undefined };
  } catch (error) {
    return { text, finish, error: error as Error };
  }
}

describe.each(storeTargets)("output guards with the official clients ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let other: TestTenant;
  let openaiUp: FakeUpstream;
  let anthropicUp: FakeUpstream;
  let openai: OpenAI;
  let anthropic: Anthropic;

  /** Sets guards.output; loosening them is a change request, approved here by two approvers. */
  const settle = async (tenant: TestTenant, output: Record<string, unknown>) => {
    const res = await h.admin(tenant.keys.admin, "PUT", "/tenant/settings", { guards: { output } });
    if (res.status === 202) await approveFully(h, tenant, res.body.changeRequest.id);
    else expect(res.status, JSON.stringify(res.body)).toBe(200);
  };
  const reply = (text: string, extra: Partial<ScriptedReply> = {}): ScriptedReply => ({ pieces: words(text), ...extra });
  const ask = (content = "summarise the notes") => ({ model: "gpt-up", messages: [{ role: "user" as const, content }] });

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("acme");
    other = await h.createTenant("globex");
    openaiUp = await fakeOpenAiUpstream();
    anthropicUp = await fakeAnthropicUpstream();
    for (const tenant of [t, other]) {
      await putRecord(h, tenant, "model", "gpt-up", upstreamModel("openai", openaiUp.endpoint));
      await putRecord(h, tenant, "model", "claude-up", upstreamModel("anthropic", anthropicUp.endpoint));
    }
    const write = (tenant: TestTenant, name: string, spec: unknown) =>
      h.gatehouse.transaction((trx) =>
        h.gatehouse.registry.write(trx, actionContext(systemActor("test", tenant.id)), { tenantId: tenant.id, kind: "data_source", name, owner: "data", spec }),
      );
    await write(t, "crm", { kind: "database", sensitivity: "confidential", region: "eu", retentionDays: 30, markers: ["CONFIDENTIAL-ACME"] });
    await write(other, "ledger", { kind: "database", sensitivity: "restricted", region: "eu", retentionDays: 30, markers: ["GLOBEX-LEDGER-ONLY"] });
    const base = await listen(h);
    openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: t.appKey, maxRetries: 0 });
    anthropic = new Anthropic({ baseURL: base, apiKey: t.appKey, maxRetries: 0 });
  });

  afterAll(async () => {
    await h?.close();
    await openaiUp?.close();
    await anthropicUp?.close();
  });

  beforeEach(async () => {
    openaiUp.replies = [];
    anthropicUp.replies = [];
    await settle(t, { restrictedTerms: ["Project Falcon"] });
  });

  describe("streams", () => {
    it("cut a stream that turns into a leak mid-stream: the caller has the first chunks, then an error, never the leak", async () => {
      let firstTextSeen!: () => void;
      const callerHasText = new Promise<void>((resolve) => (firstTextSeen = resolve));
      let streamEnded!: () => void;
      const callerDone = new Promise<void>((resolve) => (streamEnded = resolve));
      const leak = words("The launch code name is Project Falcon and the budget is final, as agreed with finance last week. ");
      const rest = words("More notes follow on hiring and on the office move. ".repeat(4));
      openaiUp.replies.push({
        pieces: [...words(preamble), ...leak, ...rest],
        // The leak comes only once the caller has text in hand (the stream is live, not buffered); the rest only after the caller's stream ended.
        pauses: [
          { piece: words(preamble).length, until: callerHasText },
          { piece: words(preamble).length + leak.length, until: callerDone },
        ],
      });
      const abandonedBefore = openaiUp.abandoned;

      const stream = await openai.chat.completions.create({ ...ask(), stream: true });
      const result = await readOpenAiStream(stream, () => firstTextSeen());
      streamEnded();

      expect(result.text.length).toBeGreaterThan(100);
      expect(preamble.startsWith(result.text)).toBe(true);
      expect(result.text).not.toContain("Falcon");
      expect(result.error).toBeInstanceOf(OpenAI.APIError);
      expect(result.error?.message).toMatch(/output guard restricted-terms cut the answer: it contains a restricted term/);
      expect(result.error?.message).not.toContain("Falcon");
      expect(result.finish).toBeUndefined();

      const record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("refused");
      expect(record.payload.stream).toBe(true);
      expect(record.payload.outputGuards).toEqual([{ guard: "restricted-terms", type: "RESTRICTED_TERM", action: "block", count: 1, detail: "term 1" }]);
      expect(JSON.stringify(record)).not.toContain("Falcon");
      // The upstream is let go of when the stream is cut: it never gets to send the rest.
      await expect.poll(() => openaiUp.abandoned, { timeout: 2000 }).toBe(abandonedBefore + 1);
    });

    it("catch a leak split across chunks before any of it is sent", async () => {
      openaiUp.replies.push({ pieces: [...words(preamble), "Code name: Proj", "ect Fal", "con", ". Budget is final, and the team agreed."] });
      const result = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(result.error?.message).toMatch(/restricted-terms/);
      expect(result.text).not.toMatch(/Fal|Proj/);
    });

    it("let a clean stream through whole, with its end", async () => {
      const clean = "The code name is not decided yet; falconry was suggested as a team outing.";
      openaiUp.replies.push(reply(preamble + clean));
      const result = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(result.error).toBeUndefined();
      expect(result.text).toBe(preamble + clean);
      expect(result.finish).toBe("stop");
      const record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("allowed");
      expect(record.payload.outputGuards).toEqual([]);
    });

    it("see through invisible characters and fullwidth letters mid-stream: a stuffed card is redacted, a fullwidth term cuts", async () => {
      const stuffed = "4111 1111 1111 1111".replaceAll(" ", "\u200b".repeat(60));
      openaiUp.replies.push(reply(`${preamble}Your card ${stuffed} is on file and will be charged on the first.`));
      const redacted = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(redacted.error).toBeUndefined();
      expect(redacted.text).toBe(preamble + "Your card [CREDIT_CARD_1] is on file and will be charged on the first.");

      openaiUp.replies.push(reply(preamble + "Between us: Ｐｒｏｊｅｃｔ Ｆａｌｃｏｎ ships in May."));
      const cut = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(cut.error?.message).toMatch(/restricted-terms/);
      expect(cut.text).not.toMatch(/Ｐｒｏ|Ｆａｌ/);
    });

    it("redact a card number mid-stream by default, and cut it when the tenant blocks personal data", async () => {
      const card = "Your card 4111 1111 1111 1111 is on file and will be charged on the first.";
      openaiUp.replies.push(reply(preamble + card));
      const redacted = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(redacted.error).toBeUndefined();
      expect(redacted.text).toBe(preamble + "Your card [CREDIT_CARD_1] is on file and will be charged on the first.");
      expect((await lastInvokeRecord(h)).payload.outputGuards).toEqual([{ guard: "pii", type: "CREDIT_CARD", action: "redact", count: 1 }]);

      await settle(t, { pii: "block" });
      openaiUp.replies.push(reply(preamble + card));
      const cut = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(cut.error?.message).toMatch(/output guard pii cut the answer: it contains personal data \(CREDIT_CARD\)/);
      expect(cut.text).not.toMatch(/4111/);
      expect(cut.text.length).toBeGreaterThan(100);
    });

    it("cut an Anthropic stream with an error event in Anthropic's shape", async () => {
      anthropicUp.replies.push(reply(preamble + "Between us: Project Falcon ships in May."));
      let text = "";
      let error: unknown;
      try {
        const stream = await anthropic.messages.create({ model: "claude-up", max_tokens: 200, messages: [{ role: "user", content: "notes?" }], stream: true });
        for await (const event of stream) {
          if (event.type === "content_block_delta" && event.delta.type === "text_delta") text += event.delta.text;
        }
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Anthropic.APIError);
      expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: "error", error: { type: "permission_error" } });
      expect(String((error as Error).message)).toMatch(/output guard restricted-terms cut the answer/);
      expect(text.length).toBeGreaterThan(100);
      expect(text).not.toContain("Falcon");

      anthropicUp.replies.push(reply(preamble + "Nothing else to add."));
      const clean = await anthropic.messages.create({ model: "claude-up", max_tokens: 200, messages: [{ role: "user", content: "notes?" }], stream: true });
      let all = "";
      for await (const event of clean) if (event.type === "content_block_delta" && event.delta.type === "text_delta") all += event.delta.text;
      expect(all).toBe(preamble + "Nothing else to add.");
    });
  });

  describe("complete answers", () => {
    it("refuse restricted terms with 403 naming the guard, in each API's shape; whole words only", async () => {
      openaiUp.replies.push(reply("It is called project-falcon internally."));
      const refused = await openai.chat.completions.create(ask()).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((refused as Error).message).toMatch(/output guard restricted-terms refused the answer: it contains a restricted term/);
      expect((refused as Error).message).not.toMatch(/falcon/i);

      anthropicUp.replies.push(reply("PROJECT\u200bFALCON is on track."));
      const anthropicRefused = await anthropic.messages.create({ model: "claude-up", max_tokens: 100, messages: [{ role: "user", content: "status?" }] }).catch((e: unknown) => e);
      expect(anthropicRefused).toBeInstanceOf(Anthropic.PermissionDeniedError);

      openaiUp.replies.push(reply("Falconry and projects are unrelated."));
      const allowed = await openai.chat.completions.create(ask());
      expect(allowed.choices[0]?.message.content).toBe("Falconry and projects are unrelated.");
    });

    it("refuse the markers of the tenant's confidential data sources, not another tenant's", async () => {
      openaiUp.replies.push(reply("Row 4 (CONFIDENTIAL-ACME): revenue 4.2M"));
      const refused = await openai.chat.completions.create(ask()).catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(/output guard markers refused the answer: it contains the marker of a confidential data source/);
      const record = await lastInvokeRecord(h);
      expect(record.payload.outputGuards).toEqual([{ guard: "markers", type: "DATA_SOURCE_MARKER", action: "block", count: 1, detail: "data source crm" }]);

      // globex's marker means nothing to acme's answers, and acme's nothing to globex's.
      openaiUp.replies.push(reply("The header said GLOBEX-LEDGER-ONLY."));
      expect((await openai.chat.completions.create(ask())).choices[0]?.message.content).toBe("The header said GLOBEX-LEDGER-ONLY.");
      const globex = new OpenAI({ baseURL: openai.baseURL, apiKey: other.appKey, maxRetries: 0 });
      openaiUp.replies.push(reply("Row 4 (CONFIDENTIAL-ACME)"));
      expect((await globex.chat.completions.create(ask())).choices[0]?.message.content).toBe("Row 4 (CONFIDENTIAL-ACME)");
      openaiUp.replies.push(reply("GLOBEX LEDGER ONLY"));
      expect(await globex.chat.completions.create(ask()).catch((e: unknown) => e)).toBeInstanceOf(OpenAI.PermissionDeniedError);
    });

    it("only confidential and restricted data sources may declare markers", async () => {
      const res = await h.admin(t.keys.admin, "POST", "/data-sources", {
        name: "wiki",
        owner: "docs",
        spec: { kind: "files", sensitivity: "internal", region: "eu", retentionDays: 30, markers: ["INTERNAL-ONLY"] },
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toMatch(/only confidential and restricted data sources declare markers/);
    });

    it("redact personal data and refuse credentials by default, each as configured", async () => {
      openaiUp.replies.push(reply("Write to jane.doe@example.com or call about card 4111111111111111."));
      const redacted = await openai.chat.completions.create(ask());
      expect(redacted.choices[0]?.message.content).toBe("Write to [EMAIL_ADDRESS_1] or call about card [CREDIT_CARD_1].");
      const record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("allowed");
      expect(record.payload.outputGuards).toEqual([
        { guard: "pii", type: "EMAIL_ADDRESS", action: "redact", count: 1 },
        { guard: "pii", type: "CREDIT_CARD", action: "redact", count: 1 },
      ]);
      expect(JSON.stringify(record)).not.toContain("jane.doe");

      openaiUp.replies.push(reply("Use the key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789 for the call."));
      const refused = await openai.chat.completions.create(ask()).catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(/output guard secrets refused the answer: it contains a credential/);

      await settle(t, { pii: "flag", secrets: "redact" });
      openaiUp.replies.push(reply("jane.doe@example.com, key sk-proj-abcdefghijklmnopqrstuvwxyz0123456789"));
      const flagged = await openai.chat.completions.create(ask());
      expect(flagged.choices[0]?.message.content).toBe("jane.doe@example.com, key [SECRET_1]");
      expect((await lastInvokeRecord(h)).payload.outputGuards).toEqual([
        { guard: "pii", type: "EMAIL_ADDRESS", action: "flag", count: 1 },
        { guard: "secrets", type: "SECRET", action: "redact", count: 1 },
      ]);
    });

    it("refuse abuse, pass ordinary text that sounds violent, and only flag when the tenant says so", async () => {
      openaiUp.replies.push(reply("If you ask again, I will kill you."));
      const refused = await openai.chat.completions.create(ask()).catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(/output guard toxicity refused the answer: it contains a threat of violence/);

      const ordinary = "Run kill -9 to kill the process; I'll shoot you an email once the job is dead.";
      openaiUp.replies.push(reply(ordinary));
      expect((await openai.chat.completions.create(ask())).choices[0]?.message.content).toBe(ordinary);

      await settle(t, { toxicity: "flag" });
      openaiUp.replies.push(reply("You are a worthless idiot."));
      expect((await openai.chat.completions.create(ask())).choices[0]?.message.content).toBe("You are a worthless idiot.");
      expect((await lastInvokeRecord(h)).payload.outputGuards).toEqual([{ guard: "toxicity", type: "HARASSMENT", action: "flag", count: 1 }]);
    });
  });

  describe("confidence", () => {
    const confident = (n: number) => Array.from({ length: n }, () => [-0.05]);
    const unsure = (n: number) => Array.from({ length: n }, () => [-3]);

    it("asks the upstream for log-probabilities only when the tenant sets a threshold, and refuses answers below it", async () => {
      openaiUp.replies.push(reply("Paris is the capital of France."));
      await openai.chat.completions.create(ask());
      expect(openaiUp.received.at(-1)?.body.logprobs).toBeUndefined();

      await settle(t, { minConfidence: 0.5 });
      const answer = "Paris is the capital of France.";
      openaiUp.replies.push(reply(answer, { logprobs: confident(words(answer).length) }));
      const sure = await openai.chat.completions.create(ask());
      expect(openaiUp.received.at(-1)?.body.logprobs).toBe(true);
      expect(sure.choices[0]?.message.content).toBe(answer);
      // The log-probabilities are Gatehouse's; the caller did not ask for them.
      expect(sure.choices[0]?.logprobs).toBeNull();

      openaiUp.replies.push(reply("Perhaps Lyon, or Marseille.", { logprobs: unsure(4) }));
      const refused = await openai.chat.completions.create(ask()).catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.PermissionDeniedError);
      expect((refused as Error).message).toMatch(/output guard confidence refused the answer: its mean token probability 0\.050 below 0\.5/);
      expect((await lastInvokeRecord(h)).payload.outputGuards).toEqual([
        { guard: "confidence", type: "LOW_CONFIDENCE", action: "block", count: 1, detail: "mean token probability 0.050 below 0.5" },
      ]);
    });

    it("cuts a stream once enough unsure tokens have arrived, passes a confident one, and notes when there is nothing to judge", async () => {
      await settle(t, { minConfidence: 0.5 });
      const text = preamble + preamble;
      const pieces = words(text);
      openaiUp.replies.push({ pieces, logprobs: pieces.map(() => [-3]) });
      const cut = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(cut.error?.message).toMatch(/output guard confidence cut the answer/);
      expect(cut.text.length).toBeLessThan(text.length);

      openaiUp.replies.push({ pieces, logprobs: pieces.map(() => [-0.01]) });
      const whole = await readOpenAiStream(await openai.chat.completions.create({ ...ask(), stream: true }));
      expect(whole.error).toBeUndefined();
      expect(whole.text).toBe(text);

      anthropicUp.replies.push(reply("No log-probabilities here."));
      await anthropic.messages.create({ model: "claude-up", max_tokens: 100, messages: [{ role: "user", content: "hi" }] });
      expect((await lastInvokeRecord(h)).payload.outputGuards).toEqual([{ guard: "confidence", type: "CONFIDENCE_UNAVAILABLE", action: "flag", count: 1 }]);
    });
  });

  describe("structured outputs", () => {
    const schema = { type: "object", properties: { city: { type: "string" }, population: { type: "integer" } }, required: ["city", "population"], additionalProperties: false };
    const structured = (extra: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {}) => ({
      ...ask("largest city?"),
      response_format: { type: "json_schema" as const, json_schema: { name: "city", schema } },
      ...extra,
    });

    it("repairs an answer that misses the schema once, and the caller gets the valid one", async () => {
      openaiUp.replies.push(reply('{"city": "Tokyo", "population": "lots"}'), reply('{"city": "Tokyo", "population": 37400000}'));
      const before = openaiUp.received.length;
      const completion = await openai.chat.completions.create(structured());
      expect(JSON.parse(completion.choices[0]?.message.content ?? "")).toEqual({ city: "Tokyo", population: 37400000 });
      expect(openaiUp.received.length).toBe(before + 2);
      const repair = openaiUp.received.at(-1)?.body.messages;
      expect(repair.at(-2)).toEqual({ role: "assistant", content: '{"city": "Tokyo", "population": "lots"}' });
      expect(repair.at(-1).content).toMatch(/does not match the required JSON schema:\n- \/population must be integer/);
      // Both attempts' tokens are the call's.
      expect(completion.usage?.completion_tokens).toBe(words('{"city": "Tokyo", "population": "lots"}').length + words('{"city": "Tokyo", "population": 37400000}').length);
      const record = await lastInvokeRecord(h);
      expect(record.decision.outcome).toBe("allowed");
      expect(record.payload.outputGuards).toEqual([{ guard: "json-schema", type: "SCHEMA_INVALID", action: "repair", count: 1, detail: "/population must be integer" }]);
      expect(record.payload.attempts).toHaveLength(2);
    });

    it("fails with 502 naming the errors when the repair fails too, or when the tenant allows no repair", async () => {
      openaiUp.replies.push(reply("Sure! The city is Tokyo."), reply('{"city": "Tokyo"}'));
      const failed = await openai.chat.completions.create(structured()).catch((e: unknown) => e);
      expect(failed).toBeInstanceOf(OpenAI.APIError);
      expect((failed as InstanceType<typeof OpenAI.APIError>).status).toBe(502);
      expect((failed as Error).message).toMatch(/does not match the requested response_format after a repair attempt: \(root\) must have required property 'population'/);
      expect((await lastInvokeRecord(h)).payload.outputGuards).toEqual([
        { guard: "json-schema", type: "SCHEMA_INVALID", action: "repair", count: 1, detail: "the answer is not valid JSON" },
        { guard: "json-schema", type: "SCHEMA_INVALID", action: "block", count: 1, detail: "(root) must have required property 'population'" },
      ]);

      await settle(t, { schemaRepairRetries: 0 });
      const before = openaiUp.received.length;
      openaiUp.replies.push(reply('{"city": 5, "population": 1}'));
      const unrepaired = await openai.chat.completions.create(structured()).catch((e: unknown) => e);
      expect((unrepaired as Error).message).toMatch(/does not match the requested response_format: \/city must be string/);
      expect(openaiUp.received.length).toBe(before + 1);
    });

    it("refuses a schema it cannot run safely before calling the upstream", async () => {
      const before = openaiUp.received.length;
      const evil = { type: "object", properties: { id: { type: "string", pattern: "^(a+)+$" } } };
      const refused = await openai.chat.completions
        .create({ ...ask(), response_format: { type: "json_schema", json_schema: { name: "x", schema: evil } } })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(OpenAI.BadRequestError);
      expect((refused as Error).message).toMatch(/nests quantifiers/);
      const broken = await openai.chat.completions
        .create({ ...ask(), response_format: { type: "json_schema", json_schema: { name: "x", schema: { type: "object", properties: { n: { type: 12 } } } } } })
        .catch((e: unknown) => e);
      expect(broken).toBeInstanceOf(OpenAI.BadRequestError);
      expect((broken as Error).message).toMatch(/not a valid JSON Schema/);
      expect(openaiUp.received.length).toBe(before);
    });

    it("cuts a structured stream at its first character when it cannot be the JSON asked for, and checks a whole one before its end", async () => {
      openaiUp.replies.push(reply("Sure! Here it is: {}"));
      const chatty = await readOpenAiStream(await openai.chat.completions.create({ ...structured(), stream: true }));
      expect(chatty.error?.message).toMatch(/does not start with '\{'/);
      expect(chatty.text).toBe("");

      openaiUp.replies.push(reply('{"city": "Tokyo", "population": 37400000}'));
      const valid = await readOpenAiStream(await openai.chat.completions.create({ ...structured(), stream: true }));
      expect(valid.error).toBeUndefined();
      expect(JSON.parse(valid.text)).toEqual({ city: "Tokyo", population: 37400000 });

      openaiUp.replies.push(reply('{"city": "Tokyo", "population": "lots"}'));
      const invalid = await readOpenAiStream(await openai.chat.completions.create({ ...structured(), stream: true }));
      expect(invalid.error?.message).toMatch(/\/population must be integer/);
      expect(invalid.finish).toBeUndefined();
    });
  });

  it("lets an admin tighten the output guards alone, but loosening them is a change request another person approves", async () => {
    const put = (output: Record<string, unknown>) => h.admin(other.keys.admin, "PUT", "/tenant/settings", { guards: { output } });
    const tighter = await put({ pii: "block", restrictedTerms: ["Globex merger", "Project Kite"], minConfidence: 0.5 });
    expect(tighter.status, JSON.stringify(tighter.body)).toBe(200);
    const looser = await put({ pii: "flag", toxicity: "off", restrictedTerms: ["Project Kite"] });
    expect(looser.status).toBe(202);
    expect(looser.body.changeRequest.reasons).toEqual(
      expect.arrayContaining([
        "the output guards would set pii to flag instead of block",
        "the output guards would set toxicity to off instead of block",
        "the output guards would no longer refuse 1 restricted term",
        "the output guards would no longer check the answers' confidence",
      ]),
    );
    expect((await h.admin(other.keys.admin, "POST", `/change-requests/${looser.body.changeRequest.id}/approve`, { justification: "mine" })).status).toBe(403);
    // Until approved, the stricter settings stay in force.
    expect((await h.admin(other.keys.viewer, "GET", "/tenant")).body.settings.guards.output).toMatchObject({ pii: "block", toxicity: "block", minConfidence: 0.5 });
    await approveFully(h, other, looser.body.changeRequest.id);
    expect((await h.admin(other.keys.viewer, "GET", "/tenant")).body.settings.guards.output).toMatchObject({ pii: "flag", toxicity: "off", restrictedTerms: ["Project Kite"] });
  });

  it("keeps guards.output in the tenant settings and refuses bad values naming the field", async () => {
    await settle(t, { pii: "block", restrictedTerms: ["Project Falcon"], minConfidence: 0.3 });
    const read = (await h.admin(t.keys.viewer, "GET", "/tenant")).body.settings;
    expect(read.guards.output).toMatchObject({ pii: "block", secrets: "block", restrictedTerms: ["Project Falcon"], minConfidence: 0.3, schemaRepairRetries: 1 });
    const bad = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { guards: { output: { schemaRepairRetries: 3 } } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.field).toBe("guards.output.schemaRepairRetries");
    const short = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { guards: { output: { restrictedTerms: ["a"] } } });
    expect(short.status).toBe(400);
    expect(short.body.error.field).toBe("guards.output.restrictedTerms[0]");
  });
});
