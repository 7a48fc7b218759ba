import Fastify, { type InjectOptions } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../src/audit/recorder.js";
import { systemActor } from "../src/audit/actor.js";
import type { Gatehouse } from "../src/gatehouse.js";
import { adminApi } from "../src/http/admin/plugin.js";
import { kindNames, kinds, type Kind } from "../src/registry/kinds.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { storeTargets } from "./support/stores.js";
import { PROOF_HEADER, TASK_HEADER } from "../src/agents/identity/proof-format.js";
import { activeAgent, agentCall, HOST, type TestAgent } from "./agents/support.js";

/**
 * Garbage in, 4xx out: every admin route that takes a body refuses malformed, mistyped,
 * oversized and hostile input with the error shape, never with a 500, and the process stays
 * healthy afterwards.
 */

interface AdminRoute {
  method: string;
  url: string;
}

/** Every route the admin plugin registers, found by registering it on a bare Fastify instance. */
async function discoverAdminRoutes(): Promise<AdminRoute[]> {
  const probe = Fastify();
  const found: AdminRoute[] = [];
  probe.addHook("onRoute", (route) => {
    for (const method of [route.method].flat()) found.push({ method: String(method), url: route.url });
  });
  // Registration only declares routes and hooks; the Gatehouse is used when requests arrive.
  await probe.register(adminApi, { prefix: "/admin/v1", gatehouse: {} as Gatehouse });
  await probe.ready();
  await probe.close();
  return found.filter((r) => r.method !== "HEAD");
}

const adminRoutes = await discoverAdminRoutes();
const bodyRoutes = adminRoutes.filter((r) => ["POST", "PUT", "PATCH"].includes(r.method));

const pluralKinds = new Map<string, Kind>(kindNames.map((k) => [kinds[k].plural, k]));

/** A body each route accepts (or at least gets past validation with); the garbage is derived from it. */
function sampleBody(route: AdminRoute, ids: { principal: string }): Record<string, unknown> {
  const path = route.url.replace(/^\/admin\/v1/, "");
  const [, first, param, action] = path.split("/");
  const kind = first ? pluralKinds.get(first) : undefined;
  if (kind && route.method === "POST" && param === undefined) {
    return { name: `fresh-${kind.replace("_", "-")}`, owner: "team", spec: sampleSpecs[kind], justification: "testing" };
  }
  if (kind && route.method === "PUT" && param === ":name" && action === undefined) {
    return { owner: "team", spec: sampleSpecs[kind], justification: "testing" };
  }
  const samples: Record<string, Record<string, unknown>> = {
    "POST /agents/:name/submit": { justification: "ready" },
    "POST /agents/:name/activate": { environment: "staging", justification: "go" },
    "POST /agents/:name/deactivate": { environment: "staging", reason: "stop" },
    "POST /agents/:name/suspend": { reason: "odd traffic" },
    "POST /agents/:name/resume": { reason: "fine again" },
    "POST /agents/:name/retire": { reason: "replaced" },
    "POST /change-requests/:id/approve": { justification: "looks right" },
    "POST /change-requests/:id/reject": { justification: "looks wrong" },
    "POST /change-requests/:id/cancel": { justification: "not needed" },
    "POST /principals": { kind: "user", name: "someone-new", role: "viewer" },
    "PATCH /principals/:id": { role: "developer" },
    "POST /principals/:id/disable": {},
    "POST /keys": { principalId: ids.principal, kind: "admin", label: "k" },
    "PUT /tenant/settings": { approvals: { required: 1, productionPolicy: 2, expiresAfterHours: 168 } },
    "POST /environments": { name: "qa", production: false },
    "POST /config/plan": { documents: [], prune: false },
    "POST /config/apply": { documents: [], prune: false, justification: "sync" },
    "POST /audit/erasures": { subject: "user:someone", justification: "asked by the data subject" },
    "POST /audit/retention-runs": {},
    "PUT /models/:name/credential": { secret: "sk-sample-secret" },
    "POST /grant-requests/:id/approve": { justification: "looks right" },
    "POST /grant-requests/:id/deny": { justification: "looks wrong" },
    "POST /grant-requests/:id/revoke": { reason: "stop" },
    "PUT /agents/:name/keys": { publicKey: { kty: "OKP", crv: "Ed25519", x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo" }, overlapSeconds: 60, justification: "rotation" },
  };
  const sample = samples[`${route.method} ${path}`];
  if (!sample) throw new Error(`no sample body for ${route.method} ${route.url}: add one to bad-input.test.ts`);
  return sample;
}

const wrongTypeFor = (value: unknown): unknown => {
  if (typeof value === "string") return 12345;
  if (typeof value === "number") return "not a number";
  if (typeof value === "boolean") return "yes";
  if (Array.isArray(value)) return "not a list";
  return "not an object";
};

/** JSON nested `depth` levels deep, built as text (JSON.stringify itself overflows on such values). */
const nested = (depth: number, leaf = "1") => '{"a":'.repeat(depth) + leaf + "}".repeat(depth);

interface Probe {
  label: string;
  payload?: string;
  contentType?: string;
  /** The field the 400 must name, when the garbage is in one field. */
  field?: string;
  /** Text the error message must contain. */
  mentions?: string;
  /** Only 400 is right (not just any 4xx). */
  exactly400?: boolean;
}

function garbageFor(sample: Record<string, unknown>): Probe[] {
  const probes: Probe[] = [
    { label: "malformed JSON", payload: '{"name": "x",', field: "body", exactly400: true },
    { label: "truncated JSON", payload: "{", field: "body", exactly400: true },
    { label: "a JSON array", payload: JSON.stringify([sample]), field: "body", exactly400: true },
    { label: "a JSON string", payload: JSON.stringify("just a string"), field: "body", exactly400: true },
    { label: "a JSON number", payload: "42", field: "body", exactly400: true },
    { label: "JSON true", payload: "true", field: "body", exactly400: true },
    { label: "an empty JSON body", payload: "", exactly400: true },
    { label: "only an unknown field", payload: JSON.stringify({ definitelyNotAField: 1 }), exactly400: true },
    {
      label: "an unknown field beside valid ones",
      payload: JSON.stringify({ ...sample, definitelyNotAField: 1 }),
      mentions: "definitelyNotAField",
      exactly400: true,
    },
    { label: "a deeply nested unknown field", payload: `{"deep":${nested(5000)}}`, exactly400: true },
    { label: "a deeply nested array body", payload: "[".repeat(20_000) + "]".repeat(20_000), exactly400: true },
    { label: "a deeply nested object body", payload: nested(20_000), exactly400: true },
    { label: "__proto__ pollution", payload: JSON.stringify(sample).replace(/^\{/, '{"__proto__":{"polluted":true},'), exactly400: true },
    { label: "constructor.prototype pollution", payload: '{"constructor":{"prototype":{"polluted":true}}}', exactly400: true },
  ];
  for (const [key, value] of Object.entries(sample)) {
    probes.push({ label: `${key} of the wrong type`, payload: JSON.stringify({ ...sample, [key]: wrongTypeFor(value) }), field: key, exactly400: true });
    probes.push({ label: `${key} null`, payload: JSON.stringify({ ...sample, [key]: null }), field: key, exactly400: true });
    if (typeof value === "string") {
      // Well under the 1 MiB body limit, far over any sensible field length.
      probes.push({ label: `${key} a 300 kB string`, payload: JSON.stringify({ ...sample, [key]: "x".repeat(300_000) }) });
    } else if (typeof value === "object" && value !== null) {
      probes.push({ label: `${key} deeply nested`, payload: JSON.stringify({ ...sample, [key]: "NESTED" }).replace('"NESTED"', nested(5000)) });
    }
  }
  return probes;
}

describe.each(storeTargets)("bad input to the admin API on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  let owner: string;
  let victimId: string;
  let changeRequestId: string;

  const inject = async (method: string, url: string, options: { payload?: string; contentType?: string; key?: string | null } = {}) => {
    const headers: Record<string, string> = {};
    const key = options.key === undefined ? owner : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    if (options.contentType) headers["content-type"] = options.contentType;
    else if (options.payload !== undefined) headers["content-type"] = "application/json";
    const res = await h.app.inject({ method: method as InjectOptions["method"], url, headers, payload: options.payload });
    let body: any;
    try {
      body = res.body ? JSON.parse(res.body) : undefined;
    } catch {
      body = res.body;
    }
    return { status: res.statusCode, body, raw: res.body };
  };

  const urlOf = (route: AdminRoute) =>
    route.url
      .replace(":name", "target")
      .replace(":version", "1")
      .replace(/\/principals\/:id/, `/principals/${victimId}`)
      .replace(/\/change-requests\/:id/, `/change-requests/${changeRequestId}`);

  /** What is wrong with a response to garbage, or undefined when it is a proper refusal. */
  const problemWith = (res: { status: number; body: any; raw: string }, probe: Probe): string | undefined => {
    const what = `${res.status} ${res.raw.slice(0, 200)}`;
    if (res.status >= 500) return `server error: ${what}`;
    if (res.status < 400) return `accepted: ${what}`;
    if (probe.exactly400 && res.status !== 400) return `expected 400, got ${what}`;
    const error = res.body?.error;
    if (typeof error?.code !== "string" || typeof error?.message !== "string" || !error.message) return `not the error shape: ${what}`;
    if (res.status === 400 && error.code !== "invalid_request") return `400 with code ${error.code}`;
    if (probe.field !== undefined && res.status === 400 && error.field !== probe.field && !String(error.field ?? "").startsWith(`${probe.field}.`)) {
      return `field ${JSON.stringify(error.field)} instead of ${probe.field}: ${what}`;
    }
    if (probe.mentions && !error.message.includes(probe.mentions)) return `message does not name ${probe.mentions}: ${what}`;
    return undefined;
  };

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("garbage");
    owner = t.keys.owner;
    // One live record of every kind, named "target", for the routes that take a name.
    await h.gatehouse.transaction(async (trx) => {
      const ctx = actionContext(systemActor("test", t.id));
      for (const kind of kindNames) {
        await h.gatehouse.registry.write(trx, ctx, { tenantId: t.id, kind, name: "target", owner: "team", spec: sampleSpecs[kind] });
      }
    });
    const victim = await h.admin(owner, "POST", "/principals", { kind: "user", name: "victim", role: "viewer" });
    expect(victim.status).toBe(201);
    victimId = victim.body.id;
    const agent = await h.admin(t.keys.developer, "POST", "/agents", { name: "needs-approval", owner: "team", spec: sampleSpecs.agent, submit: true });
    expect(agent.status).toBe(202);
    changeRequestId = agent.body.changeRequest.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  it("finds the admin routes that take a body", () => {
    expect(bodyRoutes.length).toBeGreaterThanOrEqual(20);
    for (const kind of kindNames) {
      expect(bodyRoutes).toContainEqual({ method: "POST", url: `/admin/v1/${kinds[kind].plural}` });
      expect(bodyRoutes).toContainEqual({ method: "PUT", url: `/admin/v1/${kinds[kind].plural}/:name` });
    }
    expect(bodyRoutes).toContainEqual({ method: "PATCH", url: "/admin/v1/principals/:id" });
    for (const route of bodyRoutes) expect(() => sampleBody(route, { principal: "p" })).not.toThrow();
  });

  it.each(bodyRoutes)("$method $url refuses garbage bodies with 4xx and the error shape", async (route) => {
    const problems: string[] = [];
    for (const probe of garbageFor(sampleBody(route, { principal: t.principalIds.viewer }))) {
      const res = await inject(route.method, urlOf(route), { payload: probe.payload, contentType: probe.contentType });
      const problem = problemWith(res, probe);
      if (problem) problems.push(`${probe.label}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  // Kept apart from the other garbage so that one cause shows up as one failure.
  it("refuses a JSON null body as a bad body on every route, instead of reading it as {}", async () => {
    const problems: string[] = [];
    for (const route of bodyRoutes) {
      const res = await inject(route.method, urlOf(route), { payload: "null" });
      const problem = problemWith(res, { label: "null", field: "body", exactly400: true });
      if (problem) problems.push(`${route.method} ${route.url}: ${problem}`);
    }
    expect(problems).toEqual([]);
  });

  it.each(bodyRoutes)("$method $url refuses a body that is not JSON with 415 or 400", async (route) => {
    const sample = JSON.stringify(sampleBody(route, { principal: t.principalIds.viewer }));
    const problems: string[] = [];
    const cases: [string, string | undefined, string][] = [
      ["text/plain", "text/plain", sample],
      ["application/xml", "application/xml", "<body><name>x</name></body>"],
      ["a form", "application/x-www-form-urlencoded", "name=x&owner=y"],
      ["multipart", "multipart/form-data; boundary=xyz", "--xyz\r\nContent-Disposition: form-data; name=\"name\"\r\n\r\nx\r\n--xyz--\r\n"],
      ["an invented type", "application/vnd.gatehouse+json", sample],
    ];
    for (const [label, contentType, payload] of cases) {
      const res = await inject(route.method, urlOf(route), { payload, contentType });
      const problem = problemWith(res, { label });
      if (problem) problems.push(`${label}: ${problem}`);
      else if (res.status !== 415 && res.status !== 400) problems.push(`${label}: expected 415 or 400, got ${res.status}`);
    }
    expect(problems).toEqual([]);
  });

  const fieldCases: [string, string, (ids: { victim: string; cr: string }) => unknown, string][] = [
    ["POST", "/models", () => ({ name: "m1", owner: "team", spec: { ...sampleSpecs.model, endpoint: "not a url" } }), "spec.endpoint"],
    ["POST", "/models", () => ({ name: "m2", owner: "team", spec: { ...sampleSpecs.model, endpoint: undefined } }), "spec.endpoint"],
    ["POST", "/models", () => ({ name: "m3", owner: "team", spec: { ...sampleSpecs.model, pricing: { inputPer1k: -1, outputPer1k: 0 } } }), "spec.pricing.inputPer1k"],
    ["POST", "/tools", () => ({ name: "t1", owner: "team", spec: { ...sampleSpecs.tool, endpoint: "not a url" } }), "spec.endpoint"],
    ["POST", "/tools", () => ({ name: "t2", owner: "team", spec: { ...sampleSpecs.tool, kind: "mcp" } }), "spec.transport"],
    ["POST", "/tools", () => ({ name: "t4", owner: "team", spec: { ...sampleSpecs.tool, kind: "mcp", transport: "stdio", endpoint: "node 'server.js" } }), "spec.endpoint"],
    ["POST", "/tools", () => ({ name: "t5", owner: "team", spec: { ...sampleSpecs.tool, kind: "mcp", transport: "stdio", endpoint: "   " } }), "spec.endpoint"],
    ["POST", "/tools", () => ({ name: "Bad Name", owner: "team", spec: sampleSpecs.tool }), "name"],
    ["POST", "/tools", () => ({ name: "t3", owner: "", spec: sampleSpecs.tool }), "owner"],
    ["PUT", "/tools/target", () => ({ owner: "team", spec: { ...sampleSpecs.tool, sideEffect: "delete" } }), "spec.sideEffect"],
    ["POST", "/agents", () => ({ name: "a1", owner: "team", spec: { ...sampleSpecs.agent, environments: [] } }), "spec.environments"],
    [
      "POST",
      "/agents",
      () => ({ name: "a2", owner: "team", spec: { ...sampleSpecs.agent, capabilities: { tools: ["Not Valid"] } } }),
      "spec.capabilities.tools[0]",
    ],
    ["POST", "/agents", () => ({ name: "a3", owner: "team", spec: sampleSpecs.agent, submit: "yes" }), "submit"],
    ["POST", "/data-sources", () => ({ name: "d1", owner: "team", spec: { ...sampleSpecs.data_source, region: "Europe" } }), "spec.region"],
    ["POST", "/data-sources", () => ({ name: "d2", owner: "team", spec: { ...sampleSpecs.data_source, sensitivity: "public", markers: ["PUBLIC-MARK"] } }), "spec.markers"],
    ["POST", "/prompt-templates", () => ({ name: "p1", owner: "team", spec: { ...sampleSpecs.prompt_template, variables: [] } }), "spec.variables"],
    ["POST", "/policies", () => ({ name: "p2", owner: "team", spec: { ...sampleSpecs.policy, text: "" } }), "spec.text"],
    ["POST", "/agents/target/activate", () => ({}), "environment"],
    ["POST", "/agents/target/suspend", () => ({}), "reason"],
    ["POST", "/agents/target/retire", () => ({ reason: "" }), "reason"],
    ["POST", "/agents/target/submit", () => ({ justification: "j".repeat(4001) }), "justification"],
    ["POST", "/principals", () => ({ kind: "user", name: "bad name!", role: "viewer" }), "name"],
    ["POST", "/principals", () => ({ kind: "user", name: "mail", role: "viewer", email: "not-an-email" }), "email"],
    ["POST", "/principals", () => ({ kind: "robot", name: "r2d2", role: "viewer" }), "kind"],
    ["PATCH", "/principals/VICTIM", () => ({ role: "god" }), "role"],
    ["POST", "/keys", (ids) => ({ principalId: ids.victim, kind: "admin", expiresInDays: 0 }), "expiresInDays"],
    ["POST", "/keys", (ids) => ({ principalId: ids.victim, kind: "root" }), "kind"],
    ["PUT", "/tenant/settings", () => ({ approvals: { required: 0 } }), "approvals.required"],
    ["PUT", "/tenant/settings", () => ({ approvals: { required: 1, quorum: 3 } }), "approvals"],
    ["PUT", "/tenant/settings", () => ({ guards: { output: { toxicity: "maybe" } } }), "guards.output.toxicity"],
    ["PUT", "/tenant/settings", () => ({ guards: { input: { actions: { CREDIT_CRAD: "block" } } } }), "guards.input.actions.CREDIT_CRAD"],
    ["PUT", "/tenant/settings", () => ({ guards: { input: { actions: { PERSON: "shred" } } } }), "guards.input.actions.PERSON"],
    ["POST", "/environments", () => ({ name: "Prod" }), "name"],
    ["POST", "/change-requests/CR/approve", () => ({}), "justification"],
    ["POST", "/config/plan", () => ({ documents: [{ kind: "Nope", name: "x", owner: "y", spec: {} }] }), "documents[0].kind"],
    ["POST", "/config/apply", () => ({ documents: "everything" }), "documents"],
  ];

  it.each(fieldCases)("%s %s names the bad field %s", async (method, path, body, field) => {
    const url = `/admin/v1${path.replace("VICTIM", victimId).replace("/CR/", `/${changeRequestId}/`)}`;
    const res = await inject(method, url, { payload: JSON.stringify(body({ victim: victimId, cr: changeRequestId })) });
    expect(res.status, res.raw).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", field });
    expect(res.body.error.message).toContain(field);
  });

  it("answers a path that does not decode, or with a segment past the length limit, in each API's own error shape", async () => {
    const long = "a".repeat(200);
    for (const [url, status] of [
      [`/admin/v1/tools/${long}`, 414],
      ["/admin/v1/tools/%zz", 400],
    ] as const) {
      const res = await inject("GET", url);
      expect(res.status, url).toBe(status);
      expect(res.body.error, url).toMatchObject({ code: "invalid_request", field: "path" });
    }
    const openai = await inject("GET", "/v1/models/%zz");
    expect(openai.status).toBe(400);
    expect(openai.body.error).toMatchObject({ type: "invalid_request_error", param: "path", code: "invalid_request" });
    const anthropic = await inject("POST", "/v1/messages/%zz", { payload: "{}" });
    expect(anthropic.status).toBe(400);
    expect(anthropic.body).toMatchObject({ type: "error", error: { type: "invalid_request_error", message: expect.stringMatching(/does not decode/) } });
  });

  it("names the bad query parameter", async () => {
    const res = await inject("GET", "/admin/v1/events?limit=0");
    expect(res.status).toBe(400);
    expect(res.body.error).toMatchObject({ code: "invalid_request", field: "query.limit" });
  });

  it("refuses (and does not crash on) a deeply nested value inside an open-ended spec field", async () => {
    // argumentsSchema is a free-form JSON Schema object, so depth is not limited by the spec's shape.
    const spec = (depth: number) =>
      JSON.stringify({ ...sampleSpecs.tool, argumentsSchema: "NESTED" }).replace('"NESTED"', nested(depth, '{"type":"object"}'));
    const create = await inject("POST", "/admin/v1/tools", { payload: `{"name":"deep-tool","owner":"team","spec":${spec(20_000)}}` });
    expect(create.status, create.raw).toBeGreaterThanOrEqual(400);
    expect(create.status, create.raw).toBeLessThan(500);
    expect(create.body.error.code).toEqual(expect.any(String));
    const update = await inject("PUT", "/admin/v1/tools/target", { payload: `{"owner":"team","spec":${spec(20_000)}}` });
    expect(update.status, update.raw).toBeGreaterThanOrEqual(400);
    expect(update.status, update.raw).toBeLessThan(500);
    const plan = await inject("POST", "/admin/v1/config/plan", {
      payload: `{"documents":[{"kind":"Tool","name":"deep-tool","owner":"team","spec":${spec(20_000)}}]}`,
    });
    expect(plan.status, plan.raw).toBeGreaterThanOrEqual(400);
    expect(plan.status, plan.raw).toBeLessThan(500);
    // Nothing was stored.
    expect((await inject("GET", "/admin/v1/tools/deep-tool")).status).toBe(404);
  });

  it("answers 404 in the error shape for unknown routes and methods", async () => {
    const cases: [string, string, string | null][] = [
      ["GET", "/admin/v1/no-such-thing", owner],
      ["POST", "/admin/v1/no-such-thing", owner],
      ["GET", "/admin/v1/no-such-thing", null],
      ["PATCH", "/admin/v1/tools", owner],
      ["DELETE", "/admin/v1/tenant", owner],
      ["POST", "/admin/v1/agents/target/explode", owner],
      ["GET", "/admin/v2/agents", owner],
      ["GET", "/admin", owner],
      ["GET", "/", null],
    ];
    for (const [method, url, key] of cases) {
      const res = await inject(method, url, { key, payload: method === "GET" || method === "DELETE" ? undefined : "{}" });
      if (key === null && url.startsWith("/admin/v1/")) {
        // Without a key, an admin path may be refused before routing (401) rather than reveal what exists.
        expect([401, 404], `${method} ${url}`).toContain(res.status);
        expect(res.body.error).toEqual({ code: res.status === 401 ? "unauthenticated" : "not_found", message: expect.any(String) });
        continue;
      }
      expect(res.status, `${method} ${url}`).toBe(404);
      expect(res.body).toEqual({ error: { code: "not_found", message: expect.any(String) } });
    }
  });

  it("answers 404 for an unknown record on every kind", async () => {
    for (const kind of kindNames) {
      const res = await inject("GET", `/admin/v1/${kinds[kind].plural}/no-such-record`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
  });

  it("stays healthy after all of it", async () => {
    const health = await h.app.inject({ method: "GET", url: "/healthz" });
    expect(health.statusCode).toBe(200);
    expect(JSON.parse(health.body)).toEqual({ status: "ok" });
    expect((await h.app.inject({ method: "GET", url: "/readyz" })).statusCode).toBe(200);
    // And still serves real requests.
    const tools = await h.admin(t.keys.viewer, "GET", "/tools");
    expect(tools.status).toBe(200);
    expect(tools.body.items.map((r: { name: string }) => r.name)).toContain("target");
  });
});

// A server with a 2 KiB body limit, on its own store (opened after the block above has closed its own).
describe.each(storeTargets)("request bodies over the limit on $name", (target) => {
  let small: Harness;
  let smallOwner: string;
  let ids: { principal: string; changeRequest: string };
  beforeAll(async () => {
    small = await startHarness(target, { bodyLimitBytes: 2048 });
    const tenant = await small.createTenant("small");
    smallOwner = tenant.keys.owner;
    await small.gatehouse.transaction(async (trx) => {
      const ctx = actionContext(systemActor("test", tenant.id));
      await small.gatehouse.registry.write(trx, ctx, { tenantId: tenant.id, kind: "agent", name: "target", owner: "team", spec: sampleSpecs.agent });
    });
    const cr = await small.admin(tenant.keys.developer, "POST", "/agents", { name: "needs-approval", owner: "team", spec: sampleSpecs.agent, submit: true });
    ids = { principal: tenant.principalIds.viewer, changeRequest: cr.body.changeRequest.id };
  });
  afterAll(async () => small?.close());

  const urlOf = (route: AdminRoute) =>
    route.url
      .replace(":name", "target")
      .replace(/\/principals\/:id/, `/principals/${ids.principal}`)
      .replace(/\/change-requests\/:id/, `/change-requests/${ids.changeRequest}`);

  it.each(bodyRoutes)("$method $url answers 413 for a body over the limit", async (route) => {
    const body = { ...sampleBody(route, { principal: ids.principal }), padding: "p".repeat(4096) };
    const res = await small.app.inject({
      method: route.method as InjectOptions["method"],
      url: urlOf(route),
      headers: { authorization: `Bearer ${smallOwner}`, "content-type": "application/json" },
      payload: JSON.stringify(body),
    });
    expect(res.statusCode).toBe(413);
    expect(JSON.parse(res.body)).toEqual({ error: { code: "payload_too_large", message: expect.stringMatching(/larger than the configured limit/) } });
  });

  it("parses a body just under the limit, and stays healthy", async () => {
    const res = await small.admin(smallOwner, "POST", "/tools", { name: "under", owner: "team", spec: { ...sampleSpecs.tool, description: "d".repeat(1200) } });
    expect(res.status).toBe(201);
    expect((await small.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});

// The agent API's message routes: signed requests whose bodies or queries are garbage.
describe.each(storeTargets)("bad input to the agent message routes on $name", (target) => {
  let h: Harness;
  let sender: TestAgent;
  let taskId: string;
  beforeAll(async () => {
    h = await startHarness(target);
    const tenant = await h.createTenant("bad-messages");
    const spec = { ...sampleSpecs.agent, capabilities: { ...sampleSpecs.agent.capabilities, agents: ["receiver"] } };
    sender = await activeAgent(h, tenant, "sender", { spec });
    await activeAgent(h, tenant, "receiver");
    taskId = (await agentCall(h, sender.signer, "POST", "/v1/tasks", { body: { purpose: "bad input" } })).body.id;
  });
  afterAll(async () => h?.close());

  const hostile: [string, unknown][] = [
    ["null", null],
    ["an array", [1, 2]],
    ["a string", "message"],
    ["an empty object", {}],
    ["a number for the task", { taskId: 5, body: "x", label: { sensitivity: "internal" }, iat: 1, nonce: "n".repeat(16), signature: "a..b" }],
    ["a fractional time", { taskId: "t", body: "x", label: { sensitivity: "internal" }, iat: 1.5, nonce: "n".repeat(16), signature: "a..b" }],
    ["a nonce with spaces", { taskId: "t", body: "x", label: { sensitivity: "internal" }, iat: 1, nonce: "a nonce with spaces!", signature: "a..b" }],
    ["an attached JWS", { taskId: "t", body: "x", label: { sensitivity: "internal" }, iat: 1, nonce: "n".repeat(16), signature: "a.b.c" }],
    ["a prototype-polluting key", JSON.parse('{"__proto__": {"admin": true}, "taskId": "t"}')],
    ["a grant", { grants: ["g"], taskId: "t" }],
    ["a body over 64 KiB", { taskId: "t", body: "x".repeat(70_000), label: { sensitivity: "internal" }, iat: 1, nonce: "n".repeat(16), signature: "a..b" }],
  ];

  it.each(hostile)("POST /v1/agents/:name/messages answers 400 for %s", async (_label, body) => {
    const res = await agentCall(h, sender.signer, "POST", "/v1/agents/receiver/messages", { body });
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
  });

  it("refuses (and does not crash on) a message body nested 20,000 deep, or 65 deep", async () => {
    for (const depth of [20_000, 65]) {
      const raw = `{"taskId":"t","body":${"[".repeat(depth)}${"]".repeat(depth)},"label":{"sensitivity":"internal"},"iat":1,"nonce":"${"n".repeat(16)}","signature":"a..b"}`;
      const res = await agentCall(h, sender.signer, "POST", "/v1/agents/receiver/messages", { raw });
      expect(res.status, JSON.stringify(res.body)).toBe(400);
    }
  });

  it("answers 400 for bad query parameters of GET /v1/messages, 404 for an unknown recipient, and stays healthy", async () => {
    for (const query of ["after=-1", "after=1e999", "after=abc", "limit=0", "limit=9999", "limit=", "unknown=1"]) {
      const res = await agentCall(h, sender.signer, "GET", `/v1/messages?${query}`);
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(400);
    }
    const valid = { taskId, body: "x", label: { sensitivity: "internal" }, iat: Math.floor(Date.now() / 1000), nonce: "n".repeat(16), signature: "e30..AAAA" };
    const unknown = await agentCall(h, sender.signer, "POST", "/v1/agents/nobody/messages", { body: valid });
    expect(unknown.status).toBe(404);
    // A name longer than any agent's: Fastify's own 414 (URI too long), in the error shape.
    const long = await agentCall(h, sender.signer, "POST", `/v1/agents/${"x".repeat(300)}/messages`, { body: valid });
    expect(long.status).toBe(414);
    expect(long.body.error).toBeDefined();
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});

// The agent API's tool route (POST /v1/tools/:name/invoke): signed requests whose body, path or task header is wrong.
describe.each(storeTargets)("bad input to the agent tool route on $name", (target) => {
  let h: Harness;
  let bot: TestAgent;
  let taskId: string;
  beforeAll(async () => {
    h = await startHarness(target);
    const tenant = await h.createTenant("bad-tool-input");
    await h.gatehouse.transaction((trx) =>
      h.gatehouse.registry.write(trx, actionContext(systemActor("test", tenant.id)), { tenantId: tenant.id, kind: "tool", name: "lookup", owner: "team", spec: sampleSpecs.tool }),
    );
    bot = await activeAgent(h, tenant, "bad-input-bot");
    taskId = (await agentCall(h, bot.signer, "POST", "/v1/tasks", { body: { purpose: "probe" } })).body.id;
  });
  afterAll(async () => h?.close());

  /** A signed request with exactly these bytes as its body. */
  const raw = async (url: string, payload: string, headers: Record<string, string> = { [TASK_HEADER]: taskId }) => {
    const proof = await bot.signer.sign({ method: "POST", url: `https://${HOST}${url}`, body: new TextEncoder().encode(payload) });
    const res = await h.app.inject({ method: "POST", url, headers: { host: HOST, "content-type": "application/json", [PROOF_HEADER]: proof, ...headers }, payload });
    return { status: res.statusCode, body: JSON.parse(res.body) as { error: { code: string; field?: string; message: string } } };
  };

  it.each([
    ["a JSON null body", "null", "body"],
    ["broken JSON", '{"arguments":', undefined],
    ["arguments that are a string", '{"arguments":"id=1"}', "arguments"],
    ["arguments that are an array", '{"arguments":[1,2]}', "arguments"],
    ["an unknown field", '{"arguments":{},"tool":"other"}', undefined],
    ["a body nested too deep", `{"arguments":${'{"a":'.repeat(100)}1${"}".repeat(100)}}`, "body"],
  ])("answers 400 for %s", async (_what, payload, field) => {
    const res = await raw("/v1/tools/lookup/invoke", payload);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    if (field) expect(res.body.error.field).toBe(field);
  });

  it("answers 4xx for a missing, empty or unknown task and a tool name that is too long", async () => {
    expect((await raw("/v1/tools/lookup/invoke", '{"arguments":{}}', {})).body.error.field).toBe(TASK_HEADER);
    expect((await raw("/v1/tools/lookup/invoke", '{"arguments":{}}', { [TASK_HEADER]: " " })).status).toBe(400);
    expect((await raw("/v1/tools/lookup/invoke", '{"arguments":{}}', { [TASK_HEADER]: "no-such-task" })).status).toBe(403);
    const long = await raw(`/v1/tools/${"x".repeat(300)}/invoke`, '{"arguments":{}}');
    expect([400, 414]).toContain(long.status);
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});

// The MCP endpoint (POST /mcp): signed requests whose body, content type or task header is wrong.
describe.each(storeTargets)("bad input to /mcp on $name", (target) => {
  let h: Harness;
  let bot: TestAgent;
  let taskId: string;
  beforeAll(async () => {
    h = await startHarness(target, { bodyLimitBytes: 64 * 1024 });
    const tenant = await h.createTenant("bad-mcp-input");
    bot = await activeAgent(h, tenant, "bad-mcp-bot");
    taskId = (await agentCall(h, bot.signer, "POST", "/v1/tasks", { body: { purpose: "probe" } })).body.id;
  });
  afterAll(async () => h?.close());

  const raw = async (payload: string, headers: Record<string, string> = { [TASK_HEADER]: taskId }, contentType = "application/json") => {
    const proof = await bot.signer.sign({ method: "POST", url: `https://${HOST}/mcp`, body: new TextEncoder().encode(payload) });
    const res = await h.app.inject({
      method: "POST",
      url: "/mcp",
      headers: { host: HOST, "content-type": contentType, accept: "application/json, text/event-stream", [PROOF_HEADER]: proof, ...headers },
      payload,
    });
    return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined };
  };
  const ping = JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping" });

  it.each([
    ["broken JSON", '{"jsonrpc":', 400],
    ["a body nested too deep", `{"jsonrpc":"2.0","id":1,"method":"ping","params":${'{"a":'.repeat(100)}1${"}".repeat(100)}}`, 400],
    ["a body over the size limit", JSON.stringify({ jsonrpc: "2.0", id: 1, method: "ping", params: { pad: "x".repeat(70 * 1024) } }), 413],
    ["JSON that is not JSON-RPC", '{"hello":"world"}', 400],
    ["a JSON null body", "null", 400],
  ])("answers 4xx for %s", async (_what, payload, status) => {
    const res = await raw(payload);
    expect(res.status, JSON.stringify(res.body)).toBe(status);
  });

  it("answers 4xx for a wrong content type and a missing, empty, unknown or another agent's task", async () => {
    expect((await raw("ping", { [TASK_HEADER]: taskId }, "text/plain")).status).toBe(415);
    expect((await raw(ping, {})).body.error.field).toBe(TASK_HEADER);
    expect((await raw(ping, { [TASK_HEADER]: "" })).status).toBe(400);
    expect((await raw(ping, { [TASK_HEADER]: "no-such-task" })).status).toBe(403);
    expect((await raw(ping)).status).toBe(200);
    expect((await h.app.inject({ method: "GET", url: "/healthz" })).statusCode).toBe(200);
  });
});
