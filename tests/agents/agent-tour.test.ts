import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { childEnv, freePort, runCli, startService, type RunningService } from "../support/service.js";

const tourDir = fileURLToPath(new URL("../../examples/agent-tour/", import.meta.url));
/** The port the demo's tool records name, and tools.mjs listens on by default (the README's). */
const DEMO_TOOLS_ORIGIN = "http://127.0.0.1:7801";

/** A node child process whose output is kept. */
function started(script: string, options: { cwd: string; env: Record<string, string> }) {
  const child: ChildProcess = spawn(process.execPath, [script], { cwd: options.cwd, env: childEnv(options.env), stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => (out += c));
  child.stderr?.setEncoding("utf8").on("data", (c: string) => (err += c));
  const exited = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  return { child, stdout: () => out, stderr: () => err, exited };
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/**
 * The README's "An agent, step by step", run as a new user runs it: `gatehouse start` on the
 * demo workspace, the tour's tool server, the CLI making and registering the agent's key, the
 * agent (examples/agent-tour/agent.mjs, written with gatehouse/sdk) as its own process, and a
 * person approving its send_email grant with `gatehouse grants approve`. SQLite only: that is the
 * store a new user's `npm start` uses; the pieces underneath run on both stores in their own tests.
 */
describe("the agent tour of the README (sqlite)", () => {
  let dir: string;
  let service: RunningService | undefined;
  let tools: ReturnType<typeof started> | undefined;
  let agent: ReturnType<typeof started> | undefined;
  let adminKey: string;
  let toolsPort: number;
  const cliEnv = () => ({ GATEHOUSE_URL: service?.baseUrl ?? "", GATEHOUSE_ADMIN_KEY: adminKey });
  const admin = async (method: string, route: string, body?: unknown) => {
    const res = await fetch(`${service?.baseUrl}/admin/v1${route}`, {
      method,
      headers: { authorization: `Bearer ${adminKey}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as any };
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-agent-tour-"));
    const dataDir = path.join(dir, "data");
    service = await startService({ cwd: dir, env: { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: String(await freePort()) } });
    adminKey = (JSON.parse(readFileSync(path.join(dataDir, "bootstrap-credentials.json"), "utf8")) as { admin_key: string }).admin_key;
    toolsPort = await freePort();
    tools = started(path.join(tourDir, "tools.mjs"), { cwd: dir, env: { TOOLS_PORT: String(toolsPort) } });
    await until("the tour's tool server", () => (tools?.stdout().includes(`127.0.0.1:${toolsPort}`) ? true : undefined));
  }, 60_000);

  afterAll(async () => {
    agent?.child.kill("SIGKILL");
    tools?.child.kill("SIGTERM");
    await tools?.exited;
    await service?.stop("SIGKILL");
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("the demo's tools point at the tour's server on its default port", async () => {
    const listed = (await admin("GET", "/tools")).body.items as { name: string; owner: string; spec: { endpoint: string } }[];
    expect(listed.map((t) => [t.name, t.spec.endpoint])).toEqual([
      ["issue_refund", `${DEMO_TOOLS_ORIGIN}/issue_refund`],
      ["kb_search", `${DEMO_TOOLS_ORIGIN}/mcp`],
      ["lookup_order", `${DEMO_TOOLS_ORIGIN}/lookup_order`],
      ["send_email", `${DEMO_TOOLS_ORIGIN}/send_email`],
    ]);
    // The test's own port, so it never collides with a tour running on this machine (tool records change without approval).
    for (const tool of listed) {
      const endpoint = tool.spec.endpoint.replace(DEMO_TOOLS_ORIGIN, `http://127.0.0.1:${toolsPort}`);
      const put = await admin("PUT", `/tools/${tool.name}`, { owner: tool.owner, spec: { ...tool.spec, endpoint }, justification: "the test's tool server" });
      expect(put.status, JSON.stringify(put.body)).toBe(200);
    }
  });

  it("the agent opens a task, gets send_email approved by a person, calls an HTTP and an MCP tool, and is refused mailing the order outside", async () => {
    const keyFile = path.join(dir, "support-assistant.key.json");
    const keygen = await runCli(["agents", "keygen", "--out", keyFile], { cwd: dir, env: cliEnv() });
    expect(keygen.code, keygen.stderr).toBe(0);
    const setKey = await runCli(["agents", "set-key", "support-assistant", "--key-file", keyFile], { cwd: dir, env: cliEnv() });
    expect(setKey.code, setKey.stderr).toBe(0);
    expect(JSON.parse(setKey.stdout)).toMatchObject({ status: "registered", key: { status: "current" } });

    agent = started(path.join(tourDir, "agent.mjs"), { cwd: dir, env: { GATEHOUSE_URL: service?.baseUrl ?? "", AGENT_KEY_FILE: keyFile } });
    const grantId = await until("the agent to ask for a person", () => /npx gatehouse grants approve (\S+) --justification/.exec(agent?.stdout() ?? "")?.[1]);
    const pending = (await admin("GET", "/grant-requests")).body.items as any[];
    expect(pending).toEqual([
      expect.objectContaining({
        id: grantId,
        status: "pending",
        agent: expect.objectContaining({ name: "support-assistant" }),
        resource: { kind: "tool", name: "send_email" },
        decision: expect.objectContaining({ outcome: "escalated", reasons: ["sent to a person: egress tools need a person's approval"], policies: ["egress-grants-need-a-person"] }),
      }),
    ]);
    const approved = await runCli(["grants", "approve", grantId, "--justification", "the assistant mails customers"], { cwd: dir, env: cliEnv() });
    expect(approved.code, approved.stderr).toBe(0);
    expect(JSON.parse(approved.stdout)).toMatchObject({ id: grantId, status: "active" });

    const code = await Promise.race([agent.exited, new Promise((resolve) => setTimeout(() => resolve("timeout"), 60_000))]);
    const out = agent.stdout();
    expect(code, `${out}\n${agent.stderr()}`).toBe(0);
    expect(out).toContain("send_email: active, approved by user:owner@acme");
    expect(out).toContain("3. lookup_order (order 12345 only): active; kb_search: active");
    expect(out).toContain('4. lookup_order over HTTP: {"order_id":"12345","status":"shipped"');
    expect(out).toContain("the task's label is now confidential");
    expect(out).toMatch(/5\. kb_search over MCP \(tools\/list: .*kb_search.*\): Orders ship within 2 working days/);
    const refusal =
      "flow refused: task label confidential (from data source orders-db via tool lookup_order) may not go to egress tool send_email (policy gatehouse-flow-floor (built in))";
    expect(out).toContain(`6. mailing the order to orders@outside.example was refused (403): ${refusal}`);

    // The tools ran (lookup_order over HTTP, kb_search over MCP); the e-mail never reached its tool.
    expect(tools?.stdout()).toContain('tools: lookup_order {"order_id":"12345"}');
    expect(tools?.stdout()).toContain("tools: kb_search");
    expect(tools?.stdout()).not.toContain("tools: send_email");

    // The audit log holds the calls and the refusal with its reason.
    const events = (await admin("GET", "/events?action=tool.invoke&limit=100")).body.items as any[];
    expect(events.map((e) => [e.resource.name, e.decision.outcome])).toEqual([
      ["lookup_order", "allowed"],
      ["kb_search", "allowed"],
      ["send_email", "refused"],
    ]);
    expect(events[2].decision.reasons).toEqual([refusal]);
    const decided = (await admin("GET", "/events?action=grant.approve&limit=100")).body.items as any[];
    expect(decided.map((e) => [e.resource.id, e.actor.name, e.decision.reasons])).toEqual([[grantId, "owner@acme", ["the assistant mails customers"]]]);
  }, 120_000);
});
