import Anthropic from "@anthropic-ai/sdk";
import OpenAI from "openai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, startService, type RunningService } from "../support/service.js";
import { storeTargets } from "../support/stores.js";

/**
 * The first thing a new user does: start Gatehouse as `npm start` does (the built CLI, demo
 * workspace, nothing else installed) and ask model `demo` through the official clients with the
 * bootstrap app key, streamed and not.
 */
describe.each(storeTargets)("the demo gateway as started by npm start ($name)", (target) => {
  let dir: string;
  let service: RunningService | undefined;
  let dispose: (() => Promise<void>) | undefined;
  let appKey: string;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-demo-"));
    const dataDir = path.join(dir, "data");
    let vars: Record<string, string> = {};
    if (target.name === "postgres") {
      const fresh = await target.fresh();
      vars = { GATEHOUSE_DATABASE_URL: fresh.databaseUrl, GATEHOUSE_DATABASE_SCHEMA: fresh.schema ?? "public" };
      dispose = () => fresh.dispose();
    }
    service = await startService({ cwd: dir, env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(await freePort()), ...vars } });
    appKey = (JSON.parse(readFileSync(path.join(dataDir, "bootstrap-credentials.json"), "utf8")) as { app_key: string }).app_key;
  });

  afterAll(async () => {
    await service?.stop("SIGKILL");
    await dispose?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("answers model demo through the OpenAI client, streamed and not", async () => {
    const client = new OpenAI({ baseURL: `${service?.baseUrl}/v1`, apiKey: appKey, maxRetries: 0 });
    const completion = await client.chat.completions.create({ model: "demo", messages: [{ role: "user", content: "Hello, Gatehouse!" }] });
    const answer = completion.choices[0]?.message.content ?? "";
    expect(answer).toContain("Gatehouse simulator");
    expect(answer).toContain("Hello, Gatehouse!");
    expect(completion.usage?.prompt_tokens).toBeGreaterThan(0);

    const stream = await client.chat.completions.create({
      model: "demo",
      messages: [{ role: "user", content: "Hello, Gatehouse!" }],
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let usage: OpenAI.CompletionUsage | null | undefined;
    for await (const chunk of stream) {
      text += chunk.choices[0]?.delta.content ?? "";
      usage = chunk.usage ?? usage;
    }
    expect(text).toBe(answer);
    expect(usage).toEqual(completion.usage);

    const models: string[] = [];
    for await (const model of client.models.list()) models.push(model.id);
    expect(models).toContain("demo");
  });

  it("answers model demo through the Anthropic client, streamed and not", async () => {
    const client = new Anthropic({ baseURL: service?.baseUrl, apiKey: appKey, maxRetries: 0 });
    const message = await client.messages.create({ model: "demo", max_tokens: 256, messages: [{ role: "user", content: "Hi there" }] });
    const first = message.content[0];
    expect(first?.type === "text" && first.text).toContain("Gatehouse simulator");
    const streamed = await client.messages.stream({ model: "demo", max_tokens: 256, messages: [{ role: "user", content: "Hi there" }] }).finalMessage();
    expect(streamed.content).toEqual(message.content);
  });

  it("records each call in the audit log", async () => {
    const stdout = service?.stdout() ?? "";
    expect(stdout).not.toContain(appKey);
    const admin = JSON.parse(readFileSync(path.join(dir, "data", "bootstrap-credentials.json"), "utf8")) as { admin_key: string };
    const res = await fetch(`${service?.baseUrl}/admin/v1/events?action=model.invoke&limit=100`, { headers: { authorization: `Bearer ${admin.admin_key}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { items: { resource: { name: string }; decision: { outcome: string } }[] };
    expect(body.items.length).toBeGreaterThanOrEqual(4);
    expect(body.items.every((e) => e.resource.name === "demo" && e.decision.outcome === "allowed")).toBe(true);
  });
});
