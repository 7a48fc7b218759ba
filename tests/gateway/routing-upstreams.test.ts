import { createServer, type Server } from "node:http";
import { Agent, errors, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Router, UpstreamError, planRoute, routingSettingsSchema, type Candidate, type ModelRecord } from "../../src/gateway/routing/index.js";
import { freePort } from "../support/service.js";

/** A loopback upstream speaking the OpenAI chat completions wire format, that can be stopped and started again on its port. */
class LocalUpstream {
  private server: Server | undefined;
  hits = 0;
  /** How long the upstream takes to answer. */
  delayMs = 0;
  constructor(
    readonly name: string,
    readonly port: number,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  async start(): Promise<void> {
    const server = createServer((req, res) => {
      this.hits++;
      req.resume();
      req.on("end", async () => {
        if (this.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.delayMs));
        if (res.destroyed) return;
        res.setHeader("content-type", "application/json");
        res.end(JSON.stringify({ id: "c", object: "chat.completion", model: this.name, choices: [{ index: 0, message: { role: "assistant", content: `hello from ${this.name}` }, finish_reason: "stop" }] }));
      });
    });
    await new Promise<void>((resolve) => server.listen(this.port, "127.0.0.1", resolve));
    this.server = server;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}

const dispatcher = new Agent({ keepAliveTimeout: 10_000, connections: 8 });

/** What a provider does: one HTTP call, upstream failures reported as UpstreamError. */
async function chat(candidate: Candidate, signal: AbortSignal): Promise<string> {
  let res;
  try {
    res = await request(`${candidate.spec.endpoint}/chat/completions`, {
      method: "POST",
      dispatcher,
      signal,
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: candidate.spec.upstreamModel, messages: [{ role: "user", content: "hi" }] }),
    });
  } catch (error) {
    if (error instanceof errors.RequestAbortedError || signal.aborted) throw error;
    throw new UpstreamError("connection", candidate.model, `${candidate.model}: ${(error as Error).message}`, { cause: error });
  }
  if (res.statusCode >= 400) {
    await res.body.dump();
    throw new UpstreamError("status", candidate.model, `${candidate.model}: HTTP ${res.statusCode}`, { status: res.statusCode });
  }
  const body = (await res.body.json()) as { choices?: { message?: { content?: string } }[] };
  const content = body.choices?.[0]?.message?.content;
  if (typeof content !== "string") throw new UpstreamError("malformed", candidate.model, `${candidate.model}: no message in the answer`);
  return content;
}

describe("routing over real loopback upstreams", () => {
  let primary: LocalUpstream;
  let fallback: LocalUpstream;
  beforeAll(async () => {
    primary = new LocalUpstream("primary", await freePort());
    fallback = new LocalUpstream("fallback", await freePort());
    await Promise.all([primary.start(), fallback.start()]);
  });
  afterAll(async () => {
    await Promise.all([primary.stop(), fallback.stop()]);
    await dispatcher.close();
  });

  it("moves traffic to the fallback when the primary stops mid-run, opens its circuit, and returns once it is back", async () => {
    const model = (name: string, endpoint: string): ModelRecord => ({
      name,
      spec: { provider: "openai", upstreamModel: name, endpoint, region: "eu", external: false, pricing: { inputPer1k: 0, outputPer1k: 0 }, taskClasses: ["chat"], aliases: [] },
    });
    const routes = routingSettingsSchema.parse({ routes: [{ name: "chat", primary: [{ model: "gpt-primary" }], fallbacks: ["gpt-fallback"] }] }).routes;
    const plan = planRoute({ model: "chat", environment: "production", dataRegion: "eu" }, [model("gpt-primary", primary.url), model("gpt-fallback", fallback.url)], routes);
    let now = 0;
    const router = new Router({
      clock: () => now,
      attemptTimeoutMs: 2_000,
      retry: { retries: 1, baseDelayMs: 5, maxDelayMs: 20, maxRetryAfterMs: 1000 },
      breaker: { failureThreshold: 4, windowMs: 60_000, coolDownMs: 30_000 },
    });

    const served: string[] = [];
    const reasons: (string | undefined)[] = [];
    const call = async () => {
      const routed = await router.route(plan, chat);
      served.push(routed.value);
      reasons.push(routed.fallbackReason);
      now += 100;
    };

    for (let i = 0; i < 10; i++) await call();
    expect(served).toEqual(Array(10).fill("hello from primary"));

    await primary.stop(); // the outage, in the middle of the run
    for (let i = 0; i < 10; i++) await call();
    // Every caller still got an answer, from the fallback.
    expect(served.slice(10)).toEqual(Array(10).fill("hello from fallback"));
    // Two calls, each retrying once, found the primary down; then its circuit opened and it was skipped.
    expect(reasons.slice(10, 12)).toEqual(["gpt-primary connection, gpt-primary connection", "gpt-primary connection, gpt-primary connection"]);
    expect(reasons.slice(12)).toEqual(Array(8).fill("gpt-primary circuit open"));
    expect(router.breakers.states()["gpt-primary"]).toBe("open");

    await primary.start();
    const hitsBefore = primary.hits;
    await call();
    expect(served.at(-1)).toBe("hello from fallback"); // still cooling down: not tried yet
    expect(primary.hits).toBe(hitsBefore);

    now += 30_000;
    await call(); // the probe
    expect(served.at(-1)).toBe("hello from primary");
    expect(router.breakers.states()["gpt-primary"]).toBe("closed");
    for (let i = 0; i < 5; i++) await call();
    expect(served.slice(-5)).toEqual(Array(5).fill("hello from primary"));
  });

  it("calls in flight on the primary when it dies are answered by the fallback", async () => {
    const model = (name: string, endpoint: string): Candidate => ({
      model: name,
      weight: 1,
      tier: name === "gpt-primary" ? "primary" : "fallback",
      spec: { provider: "openai", upstreamModel: name, endpoint, region: "eu", external: false, pricing: { inputPer1k: 0, outputPer1k: 0 }, taskClasses: ["chat"], aliases: [] },
    });
    const plan = { route: "chat", source: "route" as const, primary: [model("gpt-primary", primary.url)], fallbacks: [model("gpt-fallback", fallback.url)], excluded: [] };
    const router = new Router({ retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    primary.delayMs = 300;
    const hitsBefore = primary.hits;
    const inFlight = Array.from({ length: 6 }, () => router.route(plan, chat));
    while (primary.hits < hitsBefore + 6) await new Promise((resolve) => setTimeout(resolve, 5));
    await primary.stop();
    const results = await Promise.all(inFlight);
    expect(results.map((r) => r.value)).toEqual(Array(6).fill("hello from fallback"));
    expect(results.every((r) => r.attempts[0]?.model === "gpt-primary" && r.attempts[0].error === "connection")).toBe(true);
    primary.delayMs = 0;
    await primary.start();
  });

  it("a stream that breaks before its first token falls back; one that breaks after it stays with the caller", async () => {
    const port = await freePort();
    let mode: "before" | "after" = "before";
    const streaming = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      if (mode === "before") {
        res.flushHeaders();
        setTimeout(() => res.destroy(), 20);
        return;
      }
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: "Hel" } }] })}\n\n`);
      setTimeout(() => res.destroy(), 20);
    });
    await new Promise<void>((resolve) => streaming.listen(port, "127.0.0.1", resolve));
    const fallbackStream = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { "content-type": "text/event-stream" });
      res.write(`data: ${JSON.stringify({ choices: [{ delta: { content: "fallback" } }] })}\n\n`);
      res.end("data: [DONE]\n\n");
    });
    const fallbackPort = await freePort();
    await new Promise<void>((resolve) => fallbackStream.listen(fallbackPort, "127.0.0.1", resolve));

    /** A streaming provider: resolves with the first token and the rest of the stream, or throws stream_broken before it. */
    async function streamChat(candidate: Candidate, signal: AbortSignal): Promise<{ first: string; rest: AsyncIterator<Buffer> }> {
      const res = await request(`${candidate.spec.endpoint}/chat/completions`, { method: "POST", dispatcher, signal, body: "{}" }).catch((error: unknown) => {
        throw new UpstreamError("connection", candidate.model, String(error));
      });
      const chunks = res.body[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
      try {
        const next = await chunks.next();
        if (next.done) throw new Error("ended");
        const token = (JSON.parse(next.value.toString("utf8").replace(/^data: /, "").split("\n")[0] ?? "") as { choices: { delta: { content: string } }[] }).choices[0]?.delta.content;
        return { first: token ?? "", rest: chunks };
      } catch (error) {
        throw new UpstreamError("stream_broken", candidate.model, `${candidate.model}: the stream ended before its first token`, { cause: error });
      }
    }

    const spec = (endpoint: string) => ({ provider: "openai", upstreamModel: "m", endpoint, region: "eu", external: false, pricing: { inputPer1k: 0, outputPer1k: 0 }, taskClasses: ["chat"], aliases: [] });
    const plan = {
      route: "chat",
      source: "route" as const,
      primary: [{ model: "streamer", weight: 1, tier: "primary" as const, spec: spec(`http://127.0.0.1:${port}/v1`) }],
      fallbacks: [{ model: "backup", weight: 1, tier: "fallback" as const, spec: spec(`http://127.0.0.1:${fallbackPort}/v1`) }],
      excluded: [],
    };
    const router = new Router({ retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    try {
      const before = await router.route(plan, streamChat);
      expect(before.served.model).toBe("backup");
      expect(before.value.first).toBe("fallback");
      expect(before.attempts[0]).toMatchObject({ model: "streamer", outcome: "failed", error: "stream_broken" });

      mode = "after";
      const after = await router.route(plan, streamChat);
      expect(after.served.model).toBe("streamer");
      expect(after.value.first).toBe("Hel");
      expect(after.attempts).toHaveLength(1);
      // The break after the first token reaches the caller reading the rest; nothing is retried.
      const drained = async () => {
        for (let next = await after.value.rest.next(); !next.done; next = await after.value.rest.next());
      };
      await expect(drained()).rejects.toThrow();
    } finally {
      for (const server of [streaming, fallbackStream]) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      }
    }
  });

  it("a primary that answers 503 sends calls to the fallback; a timeout does too", async () => {
    const port = await freePort();
    let mode: "503" | "hang" = "503";
    const sick = createServer((req, res) => {
      req.resume();
      if (mode === "503") {
        res.statusCode = 503;
        res.end("overloaded");
      } // "hang": never answers
    });
    await new Promise<void>((resolve) => sick.listen(port, "127.0.0.1", resolve));
    try {
      const candidates: Candidate[] = [
        { model: "sick", weight: 1, tier: "primary", spec: { provider: "openai", upstreamModel: "m", endpoint: `http://127.0.0.1:${port}/v1`, region: "eu", external: false, pricing: { inputPer1k: 0, outputPer1k: 0 }, taskClasses: ["chat"], aliases: [] } },
      ];
      const fallbackCandidate: Candidate = { ...candidates[0]!, model: "fallback", tier: "fallback", spec: { ...candidates[0]!.spec, endpoint: fallback.url } };
      const plan = { route: "chat", source: "route" as const, primary: candidates, fallbacks: [fallbackCandidate], excluded: [] };
      const router = new Router({ attemptTimeoutMs: 300, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
      const first = await router.route(plan, chat);
      expect(first.value).toBe("hello from fallback");
      expect(first.fallbackReason).toBe("sick HTTP 503");
      mode = "hang";
      const second = await router.route(plan, chat);
      expect(second.value).toBe("hello from fallback");
      expect(second.attempts[0]).toMatchObject({ model: "sick", error: "timeout" });
    } finally {
      sick.closeAllConnections();
      await new Promise<void>((resolve) => sick.close(() => resolve()));
    }
  });
});
