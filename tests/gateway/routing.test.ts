import { describe, expect, it } from "vitest";
import { GatehouseError } from "../../src/shared/errors.js";
import {
  CircuitBreaker,
  Router,
  RoutingFailedError,
  UpstreamError,
  planRoute,
  residencyAllows,
  retryDelayMs,
  routingSettingsSchema,
  seededRandom,
  type Candidate,
  type ModelRecord,
  type ModelSpec,
  type RoutePlan,
} from "../../src/gateway/routing/index.js";
import { weightedOrder } from "../../src/gateway/routing/weighted-order.js";

const spec = (over: Partial<ModelSpec> = {}): ModelSpec => ({
  provider: "openai",
  upstreamModel: "gpt",
  endpoint: "http://127.0.0.1:1/v1",
  region: "eu",
  external: true,
  pricing: { inputPer1k: 0.001, outputPer1k: 0.002 },
  taskClasses: ["chat"],
  aliases: [],
  ...over,
});

const models: ModelRecord[] = [
  { name: "gpt-eu", spec: spec({ region: "eu-west-1", aliases: ["fast"] }) },
  { name: "gpt-eu-2", spec: spec({ region: "eu", aliases: ["fast"] }) },
  { name: "gpt-us", spec: spec({ region: "us" }) },
  { name: "coder", spec: spec({ taskClasses: ["code"] }) },
];

const routes = routingSettingsSchema.parse({
  routes: [
    { name: "chat", environments: ["production"], primary: [{ model: "gpt-eu", weight: 3 }, { model: "gpt-us" }], fallbacks: ["gpt-eu-2", "coder"] },
  ],
}).routes;

const caught = (fn: () => unknown): GatehouseError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof GatehouseError) return error;
    throw error;
  }
  throw new Error("expected a GatehouseError");
};

describe("candidate selection", () => {
  it("a route gives its weighted primary pool and its fallback chain in order", () => {
    const plan = planRoute({ model: "chat", environment: "production" }, models, routes);
    expect(plan.source).toBe("route");
    expect(plan.primary.map((c) => [c.model, c.weight])).toEqual([["gpt-eu", 3], ["gpt-us", 1]]);
    expect(plan.fallbacks.map((c) => c.model)).toEqual(["gpt-eu-2", "coder"]);
  });

  it("keeps eu data in eu endpoints and serves only the call's task class, saying why the others are out", () => {
    const plan = planRoute({ model: "chat", environment: "production", dataRegion: "eu", taskClass: "chat" }, models, routes);
    expect(plan.primary.map((c) => c.model)).toEqual(["gpt-eu"]);
    expect(plan.fallbacks.map((c) => c.model)).toEqual(["gpt-eu-2"]);
    expect(plan.excluded).toEqual([
      { model: "gpt-us", reason: "runs in region 'us', outside the data's region 'eu'" },
      { model: "coder", reason: "is not approved for task class 'chat'" },
    ]);
  });

  it("residency: eu data may go to eu and eu-*; data pinned to a sub-region stays there", () => {
    expect(residencyAllows("eu", "eu")).toBe(true);
    expect(residencyAllows("eu", "eu-west-1")).toBe(true);
    expect(residencyAllows("eu", "us")).toBe(false);
    expect(residencyAllows("eu", "europe")).toBe(false);
    expect(residencyAllows("eu-west-1", "eu")).toBe(false);
    expect(residencyAllows(undefined, "us")).toBe(true);
  });

  it("a route is only approved in its environments", () => {
    const error = caught(() => planRoute({ model: "chat", environment: "staging" }, models, routes));
    expect(error.code).toBe("forbidden");
    expect(error.message).toBe("route 'chat' is not approved in environment 'staging'");
  });

  it("without a route a model name or a shared alias resolves; unknown names are not found", () => {
    expect(planRoute({ model: "coder", environment: "staging" }, models, routes).primary.map((c) => c.model)).toEqual(["coder"]);
    const alias = planRoute({ model: "fast", environment: "staging" }, models, routes);
    expect(alias.source).toBe("alias");
    expect(alias.primary.map((c) => c.model)).toEqual(["gpt-eu", "gpt-eu-2"]);
    expect(caught(() => planRoute({ model: "nope", environment: "staging" }, models, routes)).code).toBe("not_found");
  });

  it("refuses when no model may serve the call, with every reason", () => {
    const error = caught(() => planRoute({ model: "gpt-us", environment: "production", dataRegion: "eu" }, models, routes));
    expect(error.code).toBe("forbidden");
    expect(error.message).toBe("no model may serve 'gpt-us' for this call: gpt-us runs in region 'us', outside the data's region 'eu'");
  });

  it("route definitions are validated: unique names, no model twice", () => {
    expect(routingSettingsSchema.safeParse({ routes: [{ name: "a", primary: [{ model: "x" }] }, { name: "a", primary: [{ model: "y" }] }] }).success).toBe(false);
    expect(routingSettingsSchema.safeParse({ routes: [{ name: "a", primary: [{ model: "x" }], fallbacks: ["x"] }] }).success).toBe(false);
    expect(routingSettingsSchema.safeParse({ routes: [{ name: "a", primary: [] }] }).success).toBe(false);
  });
});

describe("weighted order", () => {
  it("sends load in proportion to weight, deterministically for a seed", () => {
    const pool = [{ id: "a", weight: 3 }, { id: "b", weight: 1 }];
    const random = seededRandom(42);
    const firsts = Array.from({ length: 4000 }, () => weightedOrder(pool, random)[0]?.id);
    const share = firsts.filter((id) => id === "a").length / firsts.length;
    expect(share).toBeGreaterThan(0.72);
    expect(share).toBeLessThan(0.78);
    const again = seededRandom(42);
    expect(Array.from({ length: 4000 }, () => weightedOrder(pool, again)[0]?.id)).toEqual(firsts);
    expect(weightedOrder(pool, random).map((p) => p.id).sort()).toEqual(["a", "b"]);
  });
});

describe("retry delays", () => {
  const policy = { retries: 3, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 5000 };
  it("grow exponentially with full jitter, capped", () => {
    expect(retryDelayMs(0, policy, () => 0.999)).toBe(100);
    expect(retryDelayMs(2, policy, () => 0.999)).toBe(400);
    expect(retryDelayMs(2, policy, () => 0.5)).toBe(200);
    expect(retryDelayMs(2, { ...policy, retries: 9 }, () => 0.999)).toBe(400);
    expect(retryDelayMs(8, { ...policy, retries: 9 }, () => 0.999)).toBe(999);
    expect(retryDelayMs(3, policy, () => 0.5)).toBeUndefined();
  });
  it("honour Retry-After as a floor, and give up on one longer than the cap", () => {
    expect(retryDelayMs(0, policy, () => 0.5, 2000)).toBe(2000);
    expect(retryDelayMs(0, policy, () => 0.5, 6000)).toBeUndefined();
  });
});

describe("circuit breaker", () => {
  it("opens after the threshold within the window, lets one probe through after the cool-down, and closes on its success", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 3, windowMs: 1000, coolDownMs: 5000 }, () => now);
    breaker.onFailure();
    now = 600;
    breaker.onFailure();
    now = 1200; // the first failure left the window
    breaker.onFailure();
    expect(breaker.state).toBe("closed");
    breaker.onFailure();
    expect(breaker.state).toBe("open");
    expect(breaker.tryAcquire()).toBe(false);
    expect(breaker.retryAfterMs).toBe(5000);
    now += 5000;
    expect(breaker.state).toBe("half_open");
    expect(breaker.tryAcquire()).toBe(true);
    expect(breaker.tryAcquire()).toBe(false);
    breaker.onSuccess();
    expect(breaker.state).toBe("closed");
    expect(breaker.tryAcquire()).toBe(true);
  });

  it("a failed probe opens it for another cool-down; an abandoned probe frees the slot", () => {
    let now = 0;
    const breaker = new CircuitBreaker({ failureThreshold: 1, windowMs: 1000, coolDownMs: 100 }, () => now);
    breaker.onFailure();
    now = 100;
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onAbandon();
    expect(breaker.tryAcquire()).toBe(true);
    breaker.onFailure();
    expect(breaker.state).toBe("open");
    now = 150;
    expect(breaker.tryAcquire()).toBe(false);
    now = 200;
    expect(breaker.tryAcquire()).toBe(true);
  });
});

const candidate = (model: string, tier: Candidate["tier"] = "primary", weight = 1): Candidate => ({ model, spec: spec(), weight, tier });
const plan = (primary: Candidate[], fallbacks: Candidate[] = []): RoutePlan => ({ route: "chat", source: "route", primary, fallbacks, excluded: [] });

/** A router on a fake clock whose sleeps advance it, recording each wait. */
function fakeRouter(options: ConstructorParameters<typeof Router>[0] = {}) {
  const time = { now: 1_000_000, slept: [] as number[] };
  const router = new Router({
    clock: () => time.now,
    sleep: async (ms) => {
      time.slept.push(ms);
      time.now += ms;
    },
    random: seededRandom(7),
    retry: { retries: 1, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 3000 },
    breaker: { failureThreshold: 3, windowMs: 60_000, coolDownMs: 10_000 },
    ...options,
  });
  return { router, time };
}

type Behaviour = (signal: AbortSignal) => Promise<string>;
const fail = (kind: UpstreamError["kind"], model: string, status?: number, retryAfterMs?: number): Behaviour => async () => {
  throw new UpstreamError(kind, model, `${model} ${kind}`, { status, retryAfterMs });
};
const answer = (text: string): Behaviour => async () => text;

/** Upstreams by name, each answering with the next behaviour in its script (the last one repeats). */
function upstreams(scripts: Record<string, Behaviour[]>) {
  const calls: string[] = [];
  const attempt = async (c: Candidate, signal: AbortSignal): Promise<string> => {
    calls.push(c.model);
    const script = scripts[c.model] ?? [];
    const next = script.length > 1 ? script.shift() : script[0];
    if (!next) throw new Error(`no script for ${c.model}`);
    return next(signal);
  };
  return { attempt, calls };
}

describe("router", () => {
  for (const [label, behaviour] of [
    ["5xx", fail("status", "a", 503)],
    ["429", fail("status", "a", 429)],
    ["connection errors", fail("connection", "a")],
    ["a stream broken before its first token", fail("stream_broken", "a")],
  ] as const) {
    it(`falls back on ${label} after retrying the upstream, and says who served and why`, async () => {
      const { router, time } = fakeRouter();
      const { attempt, calls } = upstreams({ a: [behaviour], b: [answer("from b")] });
      const routed = await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt);
      expect(routed.value).toBe("from b");
      expect(routed.served.model).toBe("b");
      expect(calls).toEqual(["a", "a", "b"]);
      expect(time.slept).toHaveLength(1);
      expect(routed.attempts.map((a) => [a.model, a.outcome])).toEqual([["a", "failed"], ["a", "failed"], ["b", "served"]]);
      expect(routed.fallbackReason).toMatch(/^a (HTTP \d+|connection|stream_broken), a /);
    });
  }

  it("falls back on a timeout, aborting the slow attempt's signal", async () => {
    const { router } = fakeRouter({ attemptTimeoutMs: 30, retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    let aborted = false;
    const hang: Behaviour = (signal) =>
      new Promise((_, reject) => signal.addEventListener("abort", () => ((aborted = true), reject(new Error("aborted")))));
    const { attempt } = upstreams({ a: [hang], b: [answer("b")] });
    const routed = await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt);
    expect(aborted).toBe(true);
    expect(routed.attempts[0]).toMatchObject({ model: "a", outcome: "failed", error: "timeout" });
    expect(routed.served.model).toBe("b");
  });

  it("a retry that succeeds stays on the upstream; Retry-After is honoured", async () => {
    const { router, time } = fakeRouter();
    const { attempt, calls } = upstreams({ a: [fail("status", "a", 429, 2500), answer("a")] });
    const routed = await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt);
    expect(routed.served.model).toBe("a");
    expect(calls).toEqual(["a", "a"]);
    expect(time.slept).toEqual([2500]);
  });

  it("does not wait out a Retry-After longer than the cap: it moves to the next candidate", async () => {
    const { router, time } = fakeRouter();
    const { attempt, calls } = upstreams({ a: [fail("status", "a", 429, 60_000)], b: [answer("b")] });
    await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt);
    expect(calls).toEqual(["a", "b"]);
    expect(time.slept).toEqual([]);
  });

  it("does not fall back on failures another upstream would not fix", async () => {
    const { router } = fakeRouter();
    const { attempt, calls } = upstreams({ a: [fail("status", "a", 400)], b: [answer("b")] });
    const error = await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RoutingFailedError);
    expect(error).toMatchObject({ code: "upstream_failed", message: "upstream for 'chat' failed: a HTTP 400" });
    expect(calls).toEqual(["a"]);
  });

  it("every upstream failing is a 502 naming each failure", async () => {
    const { router } = fakeRouter();
    const { attempt } = upstreams({ a: [fail("status", "a", 502)], b: [fail("connection", "b")] });
    const error = (await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt).catch((e: unknown) => e)) as RoutingFailedError;
    expect(error.code).toBe("upstream_failed");
    expect(error.message).toBe("every upstream for 'chat' failed: a HTTP 502, a HTTP 502, b connection, b connection");
    expect(error.attempts).toHaveLength(4);
  });

  it("every upstream answering 429 is a 429 with the shortest Retry-After", async () => {
    const { router } = fakeRouter();
    const { attempt } = upstreams({ a: [fail("status", "a", 429, 9000)], b: [fail("status", "b", 429, 4200)] });
    const error = (await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt).catch((e: unknown) => e)) as RoutingFailedError;
    expect(error.code).toBe("rate_limited");
    expect(error.retryAfterSeconds).toBe(5);
    expect(error.message).toBe("every upstream for 'chat' is rate limiting: a HTTP 429, b HTTP 429");
  });

  it("opens the circuit of a failing upstream, skips it, probes it after the cool-down and returns to it", async () => {
    const { router, time } = fakeRouter({ retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    const scripts = { a: [fail("connection", "a")], b: [answer("b")] };
    const { attempt, calls } = upstreams(scripts);
    const route = plan([candidate("a")], [candidate("b", "fallback")]);
    for (let i = 0; i < 3; i++) await router.route(route, attempt);
    expect(router.breakers.states()).toEqual({ a: "open", b: "closed" });
    calls.length = 0;
    const skipped = await router.route(route, attempt);
    expect(calls).toEqual(["b"]);
    expect(skipped.attempts[0]).toEqual({ model: "a", tier: "primary", outcome: "skipped", error: "circuit_open", durationMs: 0 });
    expect(skipped.fallbackReason).toBe("a circuit open");

    time.now += 10_000;
    scripts.a = [answer("a")];
    calls.length = 0;
    const probed = await router.route(route, attempt);
    expect(probed.served.model).toBe("a");
    expect(router.breakers.states().a).toBe("closed");
  });

  it("when every circuit is open the 502 says when to come back", async () => {
    const { router, time } = fakeRouter({ retry: { retries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 } });
    const { attempt } = upstreams({ a: [fail("connection", "a")] });
    for (let i = 0; i < 3; i++) await router.route(plan([candidate("a")]), attempt).catch(() => undefined);
    time.now += 2500;
    const error = (await router.route(plan([candidate("a")]), attempt).catch((e: unknown) => e)) as RoutingFailedError;
    expect(error.message).toBe("every upstream for 'chat' failed: a circuit open");
    expect(error.retryAfterSeconds).toBe(8);
  });

  it("the primary pool is balanced by weight before the fallbacks are touched", async () => {
    const { router } = fakeRouter();
    const served: string[] = [];
    const route = plan([candidate("a", "primary", 3), candidate("b", "primary", 1)], [candidate("c", "fallback")]);
    for (let i = 0; i < 400; i++) served.push((await router.route(route, async (c) => c.model)).served.model);
    const a = served.filter((m) => m === "a").length;
    expect(a).toBeGreaterThan(270);
    expect(a).toBeLessThan(330);
    expect(served).not.toContain("c");
  });

  it("a caller that gives up stops the call: no fallback, the error is the caller's", async () => {
    const { router } = fakeRouter();
    const caller = new AbortController();
    const calls: string[] = [];
    const attempt = (c: Candidate, signal: AbortSignal) =>
      new Promise<string>((_, reject) => {
        calls.push(c.model);
        signal.addEventListener("abort", () => reject(new UpstreamError("connection", c.model, "aborted")));
        caller.abort(new Error("client went away"));
      });
    const error = await router.route(plan([candidate("a")], [candidate("b", "fallback")]), attempt, caller.signal).catch((e: unknown) => e);
    expect(error).toMatchObject({ message: "client went away" });
    expect(calls).toEqual(["a"]);
  });

  it("errors that are not upstream failures pass through untouched", async () => {
    const { router } = fakeRouter();
    const bug = new TypeError("bug");
    await expect(router.route(plan([candidate("a")], [candidate("b", "fallback")]), async () => Promise.reject(bug))).rejects.toBe(bug);
  });
});
