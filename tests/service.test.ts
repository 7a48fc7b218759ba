import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import pg from "pg";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, runCli, startService, type RunningService } from "./support/service.js";
import { storeTargets } from "./support/stores.js";

/**
 * The built service (`bin/gatehouse.js start`) as an operator runs it: a child process on a
 * fresh data directory, spoken to over real HTTP on 127.0.0.1.
 */

interface ServiceTarget {
  name: "sqlite" | "postgres";
  /** Store settings for one service's lifetime; dispose() removes what they created. */
  store(): Promise<{ vars: Record<string, string>; dispose(): Promise<void> }>;
}

const pgUrl = process.env.GATEHOUSE_TEST_PG_URL;

/** SQLite lives in the service's own data directory; PostgreSQL gets a fresh schema from the store targets, and Redis beside it. */
const serviceTargets: ServiceTarget[] = storeTargets.map((target) => ({
  name: target.name,
  async store(): ReturnType<ServiceTarget["store"]> {
    if (target.name === "sqlite") return { vars: {}, dispose: async () => undefined };
    const fresh = await target.fresh();
    return {
      // Beyond one machine: PostgreSQL and Redis (rate windows, nonces), as the bundle loads them.
      vars: { GATEHOUSE_DATABASE_URL: fresh.databaseUrl, GATEHOUSE_DATABASE_SCHEMA: fresh.schema ?? "public", GATEHOUSE_REDIS_URL: "redis://127.0.0.1:6379" },
      dispose: () => fresh.dispose(),
    };
  },
}));

interface HttpResponse {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

async function call(
  baseUrl: string,
  method: string,
  urlPath: string,
  options: { key?: string; body?: string | object; contentType?: string } = {},
): Promise<HttpResponse> {
  const headers: Record<string, string> = {};
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  let payload: string | undefined;
  if (options.body !== undefined) {
    payload = typeof options.body === "string" ? options.body : JSON.stringify(options.body);
    headers["content-type"] = options.contentType ?? "application/json";
  }
  const res = await fetch(`${baseUrl}${urlPath}`, { method, headers, body: payload, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: any;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  return { status: res.status, headers: res.headers, text, body };
}

/** The admin API's error shape: {error: {code, message}} as JSON, with the status it belongs to. */
function expectError(res: HttpResponse, status: number, code: string): void {
  expect(res.status, res.text).toBe(status);
  expect(res.headers.get("content-type") ?? "").toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  expect(res.body.error.message.length).toBeGreaterThan(0);
  expect(Object.keys(res.body)).toEqual(["error"]);
}

interface Credentials {
  tenant: string;
  admin_key: string;
  app_key: string;
  [key: string]: unknown;
}

/** The plain keys, and their random part without the gh_adm_/gh_app_ prefix, must never be printed. */
function expectNoSecrets(output: string, credentials: Credentials): void {
  for (const secret of [credentials.admin_key, credentials.app_key]) {
    expect(output.includes(secret), "a plain API key appeared in the output").toBe(false);
    expect(output.includes(secret.slice(7)), "the random part of an API key appeared in the output").toBe(false);
  }
}

describe.each(serviceTargets)("the built service on $name", (target) => {
  let dir: string;
  let dataDir: string;
  let store: Awaited<ReturnType<ServiceTarget["store"]>>;
  let env: Record<string, string>;
  let service: RunningService | undefined;
  let restarted: RunningService | undefined;
  let credentials: Credentials;
  const credentialsFile = () => path.join(dataDir, "bootstrap-credentials.json");
  const http = (method: string, urlPath: string, options?: Parameters<typeof call>[3]) => {
    if (!service) throw new Error("the service is not running");
    return call(service.baseUrl, method, `/admin/v1${urlPath}`, options);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-service-"));
    dataDir = path.join(dir, "data");
    store = await target.store();
    env = {
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_HOST: "127.0.0.1",
      GATEHOUSE_BODY_LIMIT_BYTES: "2048",
      ...store.vars,
    };
    service = await startService({ cwd: dir, env: { ...env, GATEHOUSE_PORT: String(await freePort()) } });
    credentials = JSON.parse(readFileSync(credentialsFile(), "utf8")) as Credentials;
  });

  afterAll(async () => {
    await service?.stop("SIGKILL");
    await restarted?.stop("SIGKILL");
    await store?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("creates the data directory and writes the bootstrap credentials with mode 0600", () => {
    expect(statSync(dataDir).mode & 0o777).toBe(0o700);
    expect(statSync(credentialsFile()).mode & 0o777).toBe(0o600);
    expect(credentials.tenant).toBe("acme");
    expect(credentials.admin_key).toMatch(/^gh_adm_[A-Za-z0-9_-]{20,}$/);
    expect(credentials.app_key).toMatch(/^gh_app_[A-Za-z0-9_-]{20,}$/);
    expect(credentials.admin_key).not.toBe(credentials.app_key);
  });

  it("answers /healthz and /readyz, and identifies the bootstrap admin key", async () => {
    const health = await call(service!.baseUrl, "GET", "/healthz");
    expect(health.status).toBe(200);
    expect(health.body).toEqual({ status: "ok" });
    const ready = await call(service!.baseUrl, "GET", "/readyz");
    expect(ready.status).toBe(200);
    const whoami = await http("GET", "/whoami", { key: credentials.admin_key });
    expect(whoami.status).toBe(200);
    expect(whoami.body.tenant.name).toBe("acme");
    expect(whoami.headers.get("x-request-id")).toBeTruthy();
  });

  it("lists the demo agents through the admin API, one active and one pending approval", async () => {
    const res = await http("GET", "/agents", { key: credentials.admin_key });
    expect(res.status).toBe(200);
    const items = res.body.items as { name: string; lifecycle: { state: string } }[];
    expect(items.length).toBeGreaterThanOrEqual(3);
    const states = items.map((a) => a.lifecycle.state);
    expect(states).toContain("active");
    expect(states).toContain("pending_approval");
    expect(items.find((a) => a.lifecycle.state === "active")?.name).toBe("support-assistant");
    expect(items.find((a) => a.lifecycle.state === "pending_approval")?.name).toBe("refund-agent");
  });

  it("answers 400 naming the field for a bad body", async () => {
    const badUrl = await http("POST", "/models", {
      key: credentials.admin_key,
      body: {
        name: "bad-model",
        owner: "platform",
        spec: {
          provider: "openai",
          upstreamModel: "gpt-4o-mini",
          endpoint: "not a url",
          region: "us",
          external: true,
          pricing: { inputPer1k: 0.1, outputPer1k: 0.2 },
          taskClasses: ["chat"],
        },
      },
    });
    expectError(badUrl, 400, "invalid_request");
    expect(badUrl.body.error.field).toBe("spec.endpoint");
    expect(badUrl.body.error.message).toMatch(/spec\.endpoint/);

    const missing = await http("POST", "/tools", { key: credentials.admin_key, body: { owner: "x", spec: {} } });
    expectError(missing, 400, "invalid_request");
    expect(missing.body.error.field).toBe("name");

    const malformed = await http("POST", "/tools", { key: credentials.admin_key, body: '{"name": ' });
    expectError(malformed, 400, "invalid_request");
    expect(malformed.body.error.field).toBe("body");

    const role = await http("POST", "/principals", { key: credentials.admin_key, body: { kind: "user", name: "eve", role: "god" } });
    expectError(role, 400, "invalid_request");
    expect(role.body.error.field).toBe("role");
  });

  it("answers 401 without a key, with a wrong key and with an app key", async () => {
    const none = await http("GET", "/agents");
    expectError(none, 401, "unauthenticated");
    expect(none.headers.get("www-authenticate")).toMatch(/^Bearer/);
    expectError(await http("GET", "/agents", { key: "gh_adm_" + "x".repeat(43) }), 401, "unauthenticated");
    expectError(await http("GET", "/agents", { key: credentials.admin_key + "x" }), 401, "unauthenticated");
    expectError(await http("GET", "/agents", { key: credentials.app_key }), 401, "unauthenticated");
    // A refused write changes nothing.
    expectError(await http("POST", "/tools", { body: { name: "sneaky", owner: "x", spec: {} } }), 401, "unauthenticated");
    expectError(await http("GET", "/tools/sneaky", { key: credentials.admin_key }), 404, "not_found");
  });

  it("answers 404 for an unknown route and an unknown agent", async () => {
    expectError(await http("GET", "/no-such-route", { key: credentials.admin_key }), 404, "not_found");
    expectError(await call(service!.baseUrl, "GET", "/no-such-route"), 404, "not_found");
    expectError(await http("GET", "/agents/no-such-agent", { key: credentials.admin_key }), 404, "not_found");
    expectError(await http("POST", "/agents/no-such-agent/suspend", { key: credentials.admin_key, body: { reason: "x" } }), 404, "not_found");
  });

  it("answers 413 for a body larger than GATEHOUSE_BODY_LIMIT_BYTES", async () => {
    const big = { name: "big", owner: "x", spec: { text: "y".repeat(4096) } };
    const res = await http("POST", "/policies", { key: credentials.admin_key, body: big });
    expectError(res, 413, "payload_too_large");
    // Just under the limit is parsed (and then judged on its content).
    const small = await http("POST", "/policies", { key: credentials.admin_key, body: { name: "small", owner: "x", spec: { text: "y".repeat(1500), nope: 1 } } });
    expectError(small, 400, "invalid_request");
    // Still healthy.
    expect((await call(service!.baseUrl, "GET", "/healthz")).status).toBe(200);
  });

  it("stops on SIGTERM with exit code 0 and never printed the secret keys", async () => {
    const exit = await service!.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    const output = service!.stdout() + service!.stderr();
    expect(output).toContain(`Gatehouse listening on http://127.0.0.1:${service!.port}`);
    expectNoSecrets(output, credentials);
    // One access line per request, with what an operator greps for.
    const lines = service!
      .stdout()
      .split("\n")
      .filter((line) => line.startsWith("{"))
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(lines).toContainEqual(expect.objectContaining({ msg: "request completed", method: "GET", url: "/healthz", statusCode: 200, responseTime: expect.any(Number) }));
    expect(lines.filter((line) => line.msg === "incoming request")).toEqual([]);
    service = undefined;
  });

  it("does not bootstrap again on a second start with the same data directory", async () => {
    const before = readFileSync(credentialsFile(), "utf8");
    const statBefore = statSync(credentialsFile());
    // The most verbose log level, to be sure no secret is logged at any level.
    restarted = await startService({ cwd: dir, env: { ...env, GATEHOUSE_LOG_LEVEL: "trace", GATEHOUSE_PORT: String(await freePort()) } });
    service = restarted;
    expect(readFileSync(credentialsFile(), "utf8")).toBe(before);
    const statAfter = statSync(credentialsFile());
    expect(statAfter.mtimeMs).toBe(statBefore.mtimeMs);
    expect(statAfter.mode & 0o777).toBe(0o600);

    // The same tenant and keys, and the demo records exactly once.
    const whoami = await http("GET", "/whoami", { key: credentials.admin_key });
    expect(whoami.status).toBe(200);
    expect(whoami.body.tenant.name).toBe("acme");
    const agents = await http("GET", "/agents", { key: credentials.admin_key });
    expect(agents.status).toBe(200);
    const names = (agents.body.items as { name: string }[]).map((a) => a.name);
    expect(new Set(names).size).toBe(names.length);
    expect(names).toEqual(expect.arrayContaining(["support-assistant", "refund-agent", "research-agent"]));
    const principals = await http("GET", "/principals", { key: credentials.admin_key });
    expect((principals.body.items as { name: string }[]).filter((p) => p.name === "owner@acme")).toHaveLength(1);

    // A key issued through the API is in the response and nowhere else.
    const owner = (principals.body.items as { id: string; name: string }[]).find((p) => p.name === "owner@acme");
    const issued = await http("POST", "/keys", { key: credentials.admin_key, body: { principalId: owner?.id, kind: "admin", label: "second" } });
    expect(issued.status).toBe(201);
    expect(issued.body.key).toMatch(/^gh_adm_/);
    expect((await http("GET", "/whoami", { key: issued.body.key })).status).toBe(200);

    const exit = await restarted.stop("SIGTERM");
    expect(exit).toEqual({ code: 0, signal: null });
    const output = restarted.stdout() + restarted.stderr();
    expect(output).not.toMatch(/demo workspace created/);
    expectNoSecrets(output, credentials);
    expectNoSecrets(output, { ...credentials, admin_key: issued.body.key });
    service = undefined;
  });

  it("reads a long prompt on the bundle's guard worker thread", async () => {
    const started = await startService({ cwd: dir, env: { ...env, GATEHOUSE_BODY_LIMIT_BYTES: String(1024 * 1024), GATEHOUSE_PORT: String(await freePort()) } });
    service = started;
    const filler = "The quarterly report lists revenue, costs and the outlook for the next quarter.\n".repeat(1000);
    const text = `${filler}Order 7731 was paid with card 4111 1111 1111 1111.`;
    const res = await fetch(`${started.baseUrl}/v1/guard/check`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${credentials.app_key}` },
      body: JSON.stringify({ text, direction: "input" }),
    });
    expect(res.status).toBe(200);
    const start = text.indexOf("4111");
    expect(await res.json()).toMatchObject({ verdict: "redact", findings: [{ type: "CREDIT_CARD", start, end: start + 19 }] });
    expect(await started.stop("SIGTERM")).toEqual({ code: 0, signal: null });
    // Scanned by the worker (dist/cli/scan-worker.js beside the bundle), not by the fallback on the event loop.
    expect(started.stderr()).not.toMatch(/guard worker/);
    service = undefined;
  });
});

describe.skipIf(!pgUrl)("PostgreSQL schemas side by side", () => {
  const schemas = [0, 1].map((i) => `svc_side_${i}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`);
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-schemas-"));
  });
  afterAll(async () => {
    if (dir) rmSync(dir, { recursive: true, force: true });
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      for (const schema of schemas) await client.query(`drop schema if exists ${schema} cascade`);
    } finally {
      await client.end();
    }
  });

  it("a fresh schema migrates while another schema in the same database already holds a Gatehouse store", async () => {
    for (const schema of schemas) {
      const result = await runCli(["migrate"], {
        cwd: dir,
        env: { GATEHOUSE_DATABASE_URL: pgUrl ?? "", GATEHOUSE_DATABASE_SCHEMA: schema, GATEHOUSE_DATA_DIR: path.join(dir, "data") },
      });
      expect(result.stderr, `migrating schema ${schema}`).toBe("");
      expect(result.code).toBe(0);
      expect(result.stdout).toMatch(/store postgres is up to date/);
    }
    const client = new pg.Client({ connectionString: pgUrl });
    await client.connect();
    try {
      const { rows } = await client.query<{ table_schema: string }>(
        "select table_schema from information_schema.tables where table_name = 'events' and table_schema = any($1)",
        [schemas],
      );
      expect(rows.map((r) => r.table_schema).sort()).toEqual([...schemas].sort());
    } finally {
      await client.end();
    }
  });
});

describe("invalid configuration stops `gatehouse start`", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-badconfig-"));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const start = async (vars: Record<string, string>) => {
    const dataDir = path.join(dir, `data-${Math.random().toString(36).slice(2, 8)}`);
    const result = await runCli(["start"], {
      cwd: dir,
      env: { GATEHOUSE_HOST: "127.0.0.1", GATEHOUSE_DATA_DIR: dataDir, ...vars },
      timeoutMs: 15_000,
    });
    return { ...result, dataDir };
  };

  it("GATEHOUSE_PORT=abc exits non-zero naming the variable and the problem", async () => {
    const result = await start({ GATEHOUSE_PORT: "abc" });
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/GATEHOUSE_PORT/);
    expect(result.stderr).toMatch(/expected number/i);
    expect(result.stderr).toMatch(/"abc"/);
    // A configuration error is a message, not a stack trace, and nothing was started or created.
    expect(result.stderr).not.toMatch(/\n\s+at /);
    expect(result.stdout).not.toMatch(/listening/i);
    expect(existsSync(result.dataDir)).toBe(false);
  });

  it("an out-of-range GATEHOUSE_PORT is refused too", async () => {
    const result = await start({ GATEHOUSE_PORT: "70000" });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/GATEHOUSE_PORT/);
    expect(result.stderr).toMatch(/65535/);
  });

  it("an unknown key in the file named by GATEHOUSE_CONFIG exits non-zero naming the key", async () => {
    const file = path.join(dir, "gatehouse.yaml");
    writeFileSync(file, `port: ${await freePort()}\nlisten_adress: 127.0.0.1\n`);
    const result = await start({ GATEHOUSE_CONFIG: file });
    expect(result.signal).toBeNull();
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/listen_adress/);
    expect(result.stderr).toMatch(/unknown key/);
    expect(result.stderr).toContain(file);
    expect(result.stdout).not.toMatch(/listening/i);
  });

  it("a bad value in gatehouse.yaml names the key and the file", async () => {
    const file = path.join(dir, "limits.yaml");
    writeFileSync(file, "bodyLimitBytes: 10\n");
    const result = await start({ GATEHOUSE_CONFIG: file, GATEHOUSE_PORT: String(await freePort()) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(new RegExp(`bodyLimitBytes in ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`));
    expect(result.stderr).toMatch(/1024/);
  });

  it("a GATEHOUSE_CONFIG that does not exist is refused", async () => {
    const file = path.join(dir, "missing.yaml");
    const result = await start({ GATEHOUSE_CONFIG: file, GATEHOUSE_PORT: String(await freePort()) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(file);
    expect(result.stderr).toMatch(/does not exist/);
  });
});
