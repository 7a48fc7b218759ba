import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { FastifyInstance } from "fastify";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DirectoryError, readDirectory, writeDirectory } from "../src/config-as-code/directory.js";
import type { ConfigDocument } from "../src/config-as-code/documents.js";
import { buildServer } from "../src/http/server.js";
import { approveAllPending, approveFully } from "./support/change-requests.js";
import { startHarness, type Harness, type TestTenant } from "./support/harness.js";
import { storeTargets } from "./support/stores.js";

const demoDir = fileURLToPath(new URL("../examples/demo/", import.meta.url));
const cliMain = fileURLToPath(new URL("../bin/gatehouse.js", import.meta.url));

/** The demo directory's documents, with its Tenant document renamed to the test tenant. */
const demoDocuments = (tenantName: string): ConfigDocument[] =>
  readDirectory(demoDir).map((doc) => (doc.kind === "Tenant" ? { ...doc, name: tenantName } : doc));

const byKey = (docs: ConfigDocument[]) => [...docs].sort((a, b) => `${a.kind}/${a.name}`.localeCompare(`${b.kind}/${b.name}`));
const find = <T extends { kind: string; name: string }>(items: T[], kind: string, name: string): T => {
  const found = items.find((i) => i.kind === kind && i.name === name);
  if (!found) throw new Error(`${kind}/${name} not found in ${items.map((i) => `${i.kind}/${i.name}`).join(", ")}`);
  return found;
};
const recordOf = (docs: ConfigDocument[], kind: string, name: string) => find(docs, kind, name) as Extract<ConfigDocument, { owner: string }>;

const tempDirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-config-"));
  tempDirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});

const demoCounts = { Tenant: 1, Agent: 3, Tool: 4, DataSource: 4, Model: 3, PromptTemplate: 1, Policy: 5, PolicyTest: 1 };
const demoTotal = Object.values(demoCounts).reduce((a, b) => a + b, 0);

describe.each(storeTargets)("configuration as code on $name", (target) => {
  let h: Harness;
  let tenants = 0;
  beforeAll(async () => {
    h = await startHarness(target);
  });
  afterAll(async () => h?.close());

  const tenant = () => h.createTenant(`config-${++tenants}`);
  const plan = async (t: TestTenant, documents: unknown, prune = false) => {
    const res = await h.admin(t.keys.developer, "POST", "/config/plan", { documents, prune });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.entries as any[];
  };
  const apply = async (t: TestTenant, documents: unknown, options: { prune?: boolean; justification?: string } = {}) => {
    const res = await h.admin(t.keys.developer, "POST", "/config/apply", { documents, ...options });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body.results as any[];
  };
  const pending = async (t: TestTenant) => (await h.admin(t.keys.viewer, "GET", "/change-requests?status=pending")).body.items as any[];
  /** A tenant holding the approved demo workspace. */
  const seeded = async () => {
    const t = await tenant();
    await apply(t, demoDocuments(t.name));
    expect(await approveAllPending(h, t)).toBe(10);
    return t;
  };

  it("applies the demo directory: direct kinds at once, policies, templates and agents as change requests", async () => {
    // The demo's Tenant document is named acme: apply it as it is, into a tenant of that name.
    const t = await h.createTenant("acme");
    const documents = readDirectory(demoDir);
    expect(documents).toHaveLength(demoTotal);
    const results = await apply(t, documents, { justification: "bootstrap from the demo" });
    expect(results).toHaveLength(demoTotal);
    const byKind = (kind: string) => results.filter((r) => r.kind === kind);

    expect(byKind("Tenant")).toEqual([expect.objectContaining({ name: "acme", action: "unchanged", result: "unchanged" })]);
    for (const kind of ["Tool", "DataSource", "Model"]) {
      expect(byKind(kind)).toHaveLength(demoCounts[kind as keyof typeof demoCounts]);
      for (const r of byKind(kind)) expect(r, `${kind} ${r.name}`).toMatchObject({ action: "create", result: "applied", approvals: 0 });
    }
    for (const r of byKind("Policy")) {
      expect(r).toMatchObject({ action: "create", result: "pending", approvals: 2, reasons: ["changing a policy that applies in production"] });
    }
    expect(byKind("PromptTemplate")).toEqual([
      expect.objectContaining({ name: "support-reply", action: "create", result: "pending", approvals: 1, reasons: ["publishing a prompt template version"] }),
    ]);
    for (const r of byKind("Agent")) {
      expect(r).toMatchObject({ action: "create", result: "pending", approvals: 1, reasons: ["a new agent is submitted for approval"] });
    }

    // What landed and what waits.
    expect((await h.admin(t.keys.viewer, "GET", "/tools")).body.items.map((r: any) => r.name)).toEqual(["issue_refund", "kb_search", "lookup_order", "send_email"]);
    expect((await h.admin(t.keys.viewer, "GET", "/policies")).body.items).toEqual([]);
    expect((await h.admin(t.keys.viewer, "GET", "/prompt-templates")).body.items).toEqual([]);
    const agents = (await h.admin(t.keys.viewer, "GET", "/agents")).body.items as any[];
    // The lifecycle hints in agents.yaml are ignored: every new agent is a draft submitted for approval.
    expect(agents.map((a) => [a.name, a.lifecycle.state])).toEqual([
      ["refund-agent", "pending_approval"],
      ["research-agent", "pending_approval"],
      ["support-assistant", "pending_approval"],
    ]);
    const waiting = await pending(t);
    expect(waiting).toHaveLength(10);
    expect(waiting.every((cr) => cr.justification === "bootstrap from the demo" && cr.requesterId === t.principalIds.developer)).toBe(true);
    for (const r of results.filter((r) => r.result === "pending")) {
      expect(waiting.find((cr) => cr.id === r.changeRequest)?.target.name).toBe(r.name);
    }

    // Before approval, the plan names the pending request of every waiting create.
    const before = await plan(t, documents);
    for (const entry of before.filter((e) => e.kind === "Policy" || e.kind === "PromptTemplate")) {
      expect(entry.action).toBe("create");
      expect(entry.pendingChangeRequest).toBe(find(results, entry.kind, entry.name).changeRequest);
    }

    // Production policies need both approvers; a single approval leaves the policy unpublished.
    const firstPolicy = find(results, "Policy", "pii-never-external").changeRequest;
    expect((await h.admin(t.keys.approver, "POST", `/change-requests/${firstPolicy}/approve`, { justification: "ok" })).body.status).toBe("pending");
    expect((await h.admin(t.keys.viewer, "GET", "/policies/pii-never-external")).status).toBe(404);
    expect(await approveAllPending(h, t)).toBe(10);

    const after = await plan(t, documents);
    expect(after).toHaveLength(demoTotal);
    expect(after.filter((e) => e.action !== "unchanged")).toEqual([]);
    expect((await h.admin(t.keys.viewer, "GET", "/policies")).body.items).toHaveLength(5);
    expect((await h.admin(t.keys.viewer, "GET", "/agents")).body.items.map((a: any) => a.lifecycle.state)).toEqual(["approved", "approved", "approved"]);
    // Policy text comes from the .cedar files named by spec.source.
    expect((await h.admin(t.keys.viewer, "GET", "/policies/eu-data-stays-in-eu")).body.spec.text).toBe(
      readFileSync(path.join(demoDir, "policies/eu-data-stays-in-eu.cedar"), "utf8"),
    );
  });

  it("export, write, read and plan round-trips with no differences", async () => {
    const t = await seeded();
    const exported = await h.admin(t.keys.viewer, "GET", "/config/export");
    expect(exported.status).toBe(200);
    const documents = exported.body.documents as ConfigDocument[];
    expect(documents).toHaveLength(demoTotal);
    expect(documents[0]).toEqual({
      kind: "Tenant",
      name: t.name,
      spec: {
        environments: [
          { name: "production", production: true },
          { name: "staging", production: false },
        ],
        settings: { approvals: { required: 1, productionPolicy: 2, expiresAfterHours: 168 }, audit: {} },
      },
    });
    expect(recordOf(documents, "Agent", "support-assistant").lifecycle).toEqual({ state: "approved", environments: [] });

    const dir = tempDir();
    const written = writeDirectory(dir, documents);
    expect([...written].sort()).toEqual(
      [
        "agents.yaml",
        "data-sources.yaml",
        "models.yaml",
        "policies.yaml",
        "policy-tests.yaml",
        "policy-tests/baseline.yaml",
        "prompt-templates.yaml",
        "tenant.yaml",
        "tools.yaml",
        "policies/egress-grants-need-a-person.cedar",
        "policies/eu-data-stays-in-eu.cedar",
        "policies/pii-never-external.cedar",
        "policies/production-models-by-task-class.cedar",
        "policies/restricted-stays-in-tenant.cedar",
      ].sort(),
    );
    // Byte level: the Cedar text lives in its own files, and the YAML refers to them by source.
    expect(readdirSync(path.join(dir, "policies")).sort()).toEqual(readdirSync(path.join(demoDir, "policies")).sort());
    for (const file of readdirSync(path.join(dir, "policies"))) {
      expect(readFileSync(path.join(dir, "policies", file), "utf8"), file).toBe(readFileSync(path.join(demoDir, "policies", file), "utf8"));
    }
    const policiesYaml = readFileSync(path.join(dir, "policies.yaml"), "utf8");
    for (const name of ["egress-grants-need-a-person", "eu-data-stays-in-eu", "pii-never-external", "production-models-by-task-class", "restricted-stays-in-tenant"]) {
      expect(policiesYaml).toContain(`source: policies/${name}.cedar`);
    }
    expect(policiesYaml).not.toMatch(/\btext:/);
    expect(policiesYaml).not.toContain("forbid");

    const reread = readDirectory(dir);
    expect(byKey(reread)).toEqual(byKey(documents));
    const entries = await plan(t, reread, true);
    expect(entries).toHaveLength(demoTotal);
    expect(entries.filter((e) => e.action !== "unchanged")).toEqual([]);
  });

  it("plan shows field-level changes, approvals and pending requests; apply is idempotent", async () => {
    const t = await seeded();
    const documents = demoDocuments(t.name).filter(
      (d) => !(d.kind === "DataSource" && d.name === "public-docs") && !(d.kind === "Policy" && d.name === "restricted-stays-in-tenant") && !(d.kind === "Agent" && d.name === "research-agent"),
    );
    const model = recordOf(documents, "Model", "demo");
    (model.spec.pricing as { inputPer1k: number }).inputPer1k = 0.5;
    const policyDoc = recordOf(documents, "Policy", "pii-never-external");
    const oldText = policyDoc.spec.text as string;
    policyDoc.spec.text = `${oldText}// reviewed by security\n`;
    const agent = recordOf(documents, "Agent", "support-assistant");
    (agent.spec.capabilities as { tools: string[] }).tools.push("issue_refund");
    documents.push({
      kind: "Tool",
      name: "status_page",
      owner: "sre",
      spec: { kind: "http", endpoint: "https://status.example.test/v1", sideEffect: "read" },
    });

    const withoutPrune = await plan(t, documents);
    expect(withoutPrune.filter((e) => e.action === "delete")).toEqual([]);
    const entries = await plan(t, documents, true);
    const changed = entries.filter((e) => e.action !== "unchanged");
    expect(changed.map((e) => [e.kind, e.name, e.action, e.approvals])).toEqual([
      ["Agent", "support-assistant", "update", 1],
      ["Model", "demo", "update", 0],
      ["Policy", "pii-never-external", "update", 2],
      ["Tool", "status_page", "create", 0],
      ["DataSource", "public-docs", "delete", 0],
      ["Policy", "restricted-stays-in-tenant", "delete", 2],
    ]);
    expect(find(changed, "Model", "demo").changes).toEqual([{ path: "spec.pricing.inputPer1k", op: "change", before: 0, after: 0.5 }]);
    const agentEntry = find(changed, "Agent", "support-assistant");
    expect(agentEntry.reasons).toEqual(["adds tool issue_refund"]);
    expect(agentEntry.changes).toEqual([
      { path: "spec.capabilities.tools", op: "change", before: ["kb_search", "lookup_order", "send_email"], after: ["kb_search", "lookup_order", "send_email", "issue_refund"] },
    ]);
    const policyEntry = find(changed, "Policy", "pii-never-external");
    expect(policyEntry.reasons).toEqual(["changing a policy that applies in production"]);
    expect(policyEntry.changes).toHaveLength(1);
    expect(policyEntry.changes[0]).toMatchObject({ path: "spec.text", op: "change", before: oldText });
    expect(policyEntry.changes[0].patch).toMatch(/^\+\/\/ reviewed by security$/m);
    expect(find(changed, "Tool", "status_page").changes).toEqual([
      {
        path: "",
        op: "add",
        after: {
          owner: "sre",
          spec: {
            kind: "http",
            description: "",
            endpoint: "https://status.example.test/v1",
            argumentsSchema: { type: "object" },
            sideEffect: "read",
            dataSources: [],
            permissions: [],
          },
        },
      },
    ]);
    expect(find(changed, "DataSource", "public-docs").changes).toEqual([expect.objectContaining({ path: "", op: "remove" })]);
    expect(changed.every((e) => e.pendingChangeRequest === undefined)).toBe(true);
    // Planning changes nothing.
    expect(await pending(t)).toEqual([]);
    expect((await h.admin(t.keys.viewer, "GET", "/models/demo")).body.version).toBe(1);

    const results = await apply(t, documents, { prune: true, justification: "quarterly review" });
    expect(results.filter((r) => r.action !== "unchanged").map((r) => [r.kind, r.name, r.result])).toEqual([
      ["Agent", "support-assistant", "pending"],
      ["Model", "demo", "applied"],
      ["Policy", "pii-never-external", "pending"],
      ["Tool", "status_page", "applied"],
      ["DataSource", "public-docs", "applied"],
      ["Policy", "restricted-stays-in-tenant", "pending"],
    ]);
    expect((await h.admin(t.keys.viewer, "GET", "/data-sources/public-docs")).status).toBe(404);
    expect((await h.admin(t.keys.viewer, "GET", "/models/demo")).body).toMatchObject({ version: 2, spec: { pricing: { inputPer1k: 0.5 } } });
    expect((await h.admin(t.keys.viewer, "GET", "/policies/pii-never-external")).body).toMatchObject({ version: 1, spec: { text: oldText } });
    const crIds: Record<string, string> = Object.fromEntries(results.filter((r) => r.result === "pending").map((r) => [r.name, r.changeRequest]));
    expect(await pending(t)).toHaveLength(3);

    // The plan now points at the waiting requests.
    const replanned = (await plan(t, documents, true)).filter((e) => e.action !== "unchanged");
    expect(replanned.map((e) => [e.name, e.action, e.pendingChangeRequest])).toEqual([
      ["support-assistant", "update", crIds["support-assistant"]],
      ["pii-never-external", "update", crIds["pii-never-external"]],
      ["restricted-stays-in-tenant", "delete", crIds["restricted-stays-in-tenant"]],
    ]);

    // Applying again opens no duplicate requests and changes nothing more.
    const again = await apply(t, documents, { prune: true });
    expect(again.filter((r) => r.result === "pending").map((r) => [r.name, r.changeRequest])).toEqual(Object.entries(crIds));
    expect(again.filter((r) => r.result === "applied")).toEqual([]);
    expect(await pending(t)).toHaveLength(3);
    expect((await h.admin(t.keys.viewer, "GET", "/models/demo/versions")).body.items).toHaveLength(2);

    // The demo's fixtures expect restricted-stays-in-tenant to decide: deleting it breaks one, so it cannot be approved yet.
    expect(find(replanned, "Policy", "restricted-stays-in-tenant").fixtures).toMatchObject({
      passed: 9,
      failed: 1,
      broken: 1,
      failures: [{ test: "baseline", name: "restricted data never leaves its tenant", problem: "expected deny, got allow", preexisting: false }],
    });
    expect(find(replanned, "Policy", "pii-never-external").fixtures).toEqual({ passed: 10, failed: 0, broken: 0, failures: [] });
    await approveFully(h, t, crIds["support-assistant"] as string);
    await approveFully(h, t, crIds["pii-never-external"] as string);
    const refused = await h.admin(t.keys.approver, "POST", `/change-requests/${crIds["restricted-stays-in-tenant"]}/approve`, { justification: "ok" });
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toBe(
      `change request ${crIds["restricted-stays-in-tenant"]} cannot be approved: it makes 1 of 10 policy fixtures fail that pass without it: baseline: restricted data never leaves its tenant — expected deny, got allow`,
    );
    // The fixture goes first (a reviewed change of its own), then the deletion passes.
    const baseline = recordOf(documents, "PolicyTest", "baseline");
    baseline.spec.fixtures = (baseline.spec.fixtures as { name: string }[]).filter((f) => f.name !== "restricted data never leaves its tenant");
    const fixtureChange = (await apply(t, documents, { prune: true })).find((r) => r.kind === "PolicyTest");
    expect(fixtureChange).toMatchObject({ action: "update", result: "pending", approvals: 1, reasons: ["changing the policy test fixtures"] });
    await approveFully(h, t, fixtureChange.changeRequest);
    await approveFully(h, t, crIds["restricted-stays-in-tenant"] as string);
    expect((await plan(t, documents, true)).filter((e) => e.action !== "unchanged")).toEqual([]);
    // The research agent was left out of the directory but agents are never pruned.
    expect((await h.admin(t.keys.viewer, "GET", "/agents/research-agent")).status).toBe(200);
  });

  it("a Tenant document change needs the admin role, and its settings govern the changes applied with it", async () => {
    const t = await tenant();
    const tenantDoc = {
      kind: "Tenant",
      name: t.name,
      spec: {
        environments: [
          { name: "production", production: true },
          { name: "staging", production: false },
        ],
        settings: { approvals: { required: 2, productionPolicy: 2, expiresAfterHours: 24 }, audit: {} },
      },
    };
    const templateDoc = {
      kind: "PromptTemplate",
      name: "greeting",
      owner: "team",
      spec: { text: "Hello {{name}}", variables: ["name"], maxSensitivity: "internal" },
    };
    const entries = await plan(t, [tenantDoc, templateDoc]);
    expect(entries[0]).toMatchObject({ kind: "Tenant", action: "update", approvals: 0 });
    expect(entries[0].changes).toEqual([
      { path: "settings.approvals.expiresAfterHours", op: "change", before: 168, after: 24 },
      { path: "settings.approvals.required", op: "change", before: 1, after: 2 },
    ]);

    const refused = await h.admin(t.keys.developer, "POST", "/config/apply", { documents: [tenantDoc, templateDoc] });
    expect(refused.status).toBe(403);
    expect(refused.body.error.message).toMatch(/owner or admin role/);
    expect(await pending(t)).toEqual([]);

    const res = await h.admin(t.keys.admin, "POST", "/config/apply", { documents: [tenantDoc, templateDoc] });
    expect(res.status).toBe(200);
    const [tenantResult, templateResult] = res.body.results;
    expect(tenantResult).toMatchObject({ kind: "Tenant", result: "applied" });
    expect((await h.admin(t.keys.viewer, "GET", "/tenant")).body.settings).toEqual(tenantDoc.spec.settings);
    expect((await plan(t, [tenantDoc]))[0].action).toBe("unchanged");
    // The request is governed by the settings applied with it, and the apply result must say so.
    const cr = (await h.admin(t.keys.viewer, "GET", `/change-requests/${templateResult.changeRequest}`)).body;
    expect(cr.requiredApprovals).toBe(2);
    expect(cr.expiresAt - cr.createdAt).toBe(24 * 3_600_000);
    expect(templateResult).toMatchObject({ result: "pending", approvals: cr.requiredApprovals, reasons: cr.reasons });
  });

  describe("the CLI against a listening server", () => {
    let server: FastifyInstance;
    let url: string;
    beforeAll(async () => {
      server = await buildServer(h.gatehouse, { config: { bodyLimitBytes: 1024 * 1024, logLevel: "silent" } });
      await server.listen({ port: 0, host: "127.0.0.1" });
      url = `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`;
    });
    afterAll(async () => server?.close());

    const cli = (key: string | undefined, ...args: string[]) =>
      new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
        const env: NodeJS.ProcessEnv = { ...process.env, GATEHOUSE_URL: url };
        if (key === undefined) delete env.GATEHOUSE_ADMIN_KEY;
        else env.GATEHOUSE_ADMIN_KEY = key;
        execFile(process.execPath, [cliMain, ...args], { env, cwd: tempDir(), timeout: 20_000 }, (error, stdout, stderr) => {
          const code = error ? (typeof error.code === "number" ? error.code : -1) : 0;
          resolve({ code, stdout, stderr });
        });
      });

    it("exports, plans and applies a directory end to end", async () => {
      const t = await seeded();
      const key = t.keys.developer;
      const dir = path.join(tempDir(), "workspace");

      const exported = await cli(key, "export", "-o", dir);
      expect(exported, exported.stderr).toMatchObject({ code: 0, stdout: `wrote 14 file(s) to ${dir}\n` });
      expect(readFileSync(path.join(dir, "policies.yaml"), "utf8")).toContain("source: policies/pii-never-external.cedar");

      const clean = await cli(key, "plan", "-f", dir, "--detailed-exitcode");
      expect(clean, clean.stderr).toMatchObject({ code: 0, stdout: "No differences: the live registries match the directory.\n" });

      // Edit the exported directory: a model price and a production policy.
      const documents = readDirectory(dir);
      (recordOf(documents, "Model", "demo").spec.pricing as { inputPer1k: number }).inputPer1k = 0.5;
      const policyDoc = recordOf(documents, "Policy", "pii-never-external");
      policyDoc.spec.text = `${policyDoc.spec.text as string}// reviewed by security\n`;
      rmSync(dir, { recursive: true });
      writeDirectory(dir, documents);

      const diff = await cli(key, "plan", "-f", dir, "--detailed-exitcode");
      expect(diff.code, diff.stderr).toBe(2);
      expect(diff.stdout).toContain("~ Model demo (update)\n    - spec.pricing.inputPer1k: 0\n    + spec.pricing.inputPer1k: 0.5\n");
      expect(diff.stdout).toContain("~ Policy pii-never-external (update, needs 2 approvals (changing a policy that applies in production))\n    ~ spec.text:\n");
      expect(diff.stdout).toContain("    +// reviewed by security\n");
      expect(diff.stdout).toContain("Plan: 0 to create, 2 to update, 0 to delete, 1 needing approval.");
      const plain = await cli(key, "plan", "-f", dir);
      expect(plain.code).toBe(0);

      const applied = await cli(key, "apply", "-f", dir, "--justification", "from the CLI");
      expect(applied.code, applied.stderr).toBe(0);
      expect(applied.stdout).toMatch(/~ Model demo \(update\) → applied/);
      const crId = /→ pending as change request ([0-9a-f-]{36})/.exec(applied.stdout)?.[1];
      expect(crId).toBeDefined();
      expect(applied.stdout).toContain("Applied 1 change(s); 1 waiting for approval.");
      expect((await h.admin(t.keys.viewer, "GET", `/change-requests/${crId}`)).body).toMatchObject({
        status: "pending",
        justification: "from the CLI",
        target: { kind: "policy", name: "pii-never-external" },
      });

      const waiting = await cli(key, "plan", "-f", dir, "--detailed-exitcode");
      expect(waiting.code).toBe(2);
      expect(waiting.stdout).toContain(`already pending as ${crId}`);
      expect(waiting.stdout).not.toContain("Model demo");

      await approveFully(h, t, crId as string);
      const done = await cli(key, "plan", "-f", dir, "--detailed-exitcode");
      expect(done).toMatchObject({ code: 0, stdout: "No differences: the live registries match the directory.\n" });

      const json = await cli(key, "plan", "-f", dir, "--json");
      expect(JSON.parse(json.stdout).every((e: any) => e.action === "unchanged")).toBe(true);
    }, 120_000);

    it("reports bad directories, missing keys and refused calls with exit code 1", async () => {
      const t = await tenant();
      const bad = tempDir();
      writeFileSync(path.join(bad, "widgets.yaml"), "kind: Widget\nname: w\nowner: o\nspec: {}\n");
      const badDir = await cli(t.keys.developer, "plan", "-f", bad);
      expect(badDir.code).toBe(1);
      expect(badDir.stderr).toContain(path.join(bad, "widgets.yaml"));
      expect(badDir.stderr).toContain("kind");

      const noKey = await cli(undefined, "plan", "-f", demoDir);
      expect(noKey.code).toBe(1);
      expect(noKey.stderr).toMatch(/no admin key/);

      // The demo's Tenant document names acme, not this tenant.
      const wrongTenant = await cli(t.keys.developer, "plan", "-f", demoDir);
      expect(wrongTenant.code).toBe(1);
      expect(wrongTenant.stderr).toMatch(/400: .*belongs to tenant config-\d+, not acme/);

      const viewer = await cli(t.keys.viewer, "apply", "-f", demoDir);
      expect(viewer.code).toBe(1);
      expect(viewer.stderr).toMatch(/403: role viewer may not POST/);
    }, 60_000);
  });

  describe("invalid documents", () => {
    const dataSource = (name: string, spec: Record<string, unknown> = {}) => ({
      kind: "DataSource",
      name,
      owner: "team",
      spec: { kind: "database", sensitivity: "internal", region: "eu", retentionDays: 30, ...spec },
    });

    const badDocuments: [string, unknown[], string, RegExp][] = [
      ["an unknown kind", [dataSource("a"), { kind: "Widget", name: "w", owner: "team", spec: {} }], "documents[1].kind", /must be one of Tenant, Agent/],
      ["a bad spec field", [dataSource("a"), dataSource("b", { retentionDays: "forever" })], "documents[1].spec.retentionDays", /retentionDays/],
      ["a missing spec field", [dataSource("a"), { ...dataSource("b"), spec: { kind: "database" } }], "documents[1].spec.sensitivity", /sensitivity/],
      [
        "a Tenant document naming another tenant",
        [dataSource("a"), { kind: "Tenant", name: "someone-else", spec: { environments: [{ name: "production", production: true }] } }],
        "documents[1].name",
        /belongs to tenant config-\d+, not someone-else/,
      ],
      ["a duplicate kind and name", [dataSource("a"), dataSource("b"), dataSource("a", { retentionDays: 60 })], "documents[2]", /DataSource\/a is declared twice/],
      ["a bad record name", [dataSource("a"), dataSource("Not A Name")], "documents[1].name", /lower-case/],
      ["an unknown top-level field", [dataSource("a"), { ...dataSource("b"), metadata: {} }], "documents[1]", /metadata/],
    ];
    /** The field inside the document, e.g. spec.retentionDays for documents[1].spec.retentionDays. */
    const withinDocument = (field: string) => field.replace(/^documents\[\d+\]\.?/, "");
    it.each(badDocuments)("refuse %s with 400 naming the field, and apply nothing", async (_label, documents, field, message) => {
      const t = await tenant();
      for (const op of ["plan", "apply"]) {
        const res = await h.admin(t.keys.developer, "POST", `/config/${op}`, { documents });
        expect(res.status, op).toBe(400);
        expect(res.body.error.code, op).toBe("invalid_request");
        // The field is named (its location among the documents is checked separately below).
        expect([field, withinDocument(field)], op).toContain(res.body.error.field);
        expect(res.body.error.message, op).toMatch(message);
      }
      // Nothing landed: not even the valid document before the bad one.
      expect((await h.admin(t.keys.viewer, "GET", "/data-sources")).body.items).toEqual([]);
      expect((await h.admin(t.keys.auditor, "GET", "/events?action=data_source.create")).body.items).toEqual([]);
    });

    it.each(badDocuments.filter(([, , field]) => withinDocument(field) !== ""))(
      "the 400 for %s says which document holds the bad field",
      async (_label, documents, field) => {
        const t = await tenant();
        for (const op of ["plan", "apply"]) {
          const res = await h.admin(t.keys.developer, "POST", `/config/${op}`, { documents });
          expect(res.status, op).toBe(400);
          expect(res.body.error.field, op).toBe(field);
        }
      },
    );

    const goodDataSource = (name: string) =>
      `kind: DataSource\nname: ${name}\nowner: team\nspec:\n  kind: database\n  sensitivity: internal\n  region: eu\n  retentionDays: 30\n`;
    const badFiles: [string, string, RegExp][] = [
      ["an unknown kind", "kind: Widget\nname: w\nowner: team\nspec: {}\n", /: kind: must be one of/],
      ["a spec that is not a map", "kind: DataSource\nname: d\nowner: team\nspec: 42\n", /: spec: /],
      [
        "a bad spec field",
        "kind: DataSource\nname: d\nowner: team\nspec:\n  kind: database\n  sensitivity: internal\n  region: eu\n  retentionDays: forever\n",
        /: spec\.retentionDays: /,
      ],
      ["invalid YAML", "kind: DataSource\nname: [unclosed\n", /./],
      ["a missing Cedar source", "kind: Policy\nname: p\nowner: team\nspec:\n  source: policies/missing.cedar\n", /spec\.source policies\/missing\.cedar does not exist/],
    ];
    it.each(badFiles)("readDirectory names the file holding %s", (_label, text, message) => {
      const dir = tempDir();
      mkdirSync(path.join(dir, "nested"));
      writeFileSync(path.join(dir, "good.yaml"), `${goodDataSource("first")}---\n`);
      const file = path.join(dir, "nested", "bad.yaml");
      writeFileSync(file, `# a file with one good and one bad document\n---\n${goodDataSource("second")}---\n${text}`);
      let error: unknown;
      try {
        readDirectory(dir);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(DirectoryError);
      expect((error as Error).message).toContain(`${file}: `);
      expect((error as Error).message).toMatch(message);
    });

    it("readDirectory refuses a path that is not a directory", () => {
      expect(() => readDirectory(path.join(tempDir(), "absent"))).toThrow(DirectoryError);
      expect(() => readDirectory(path.join(demoDir, "tenant.yaml"))).toThrow(/is not a directory/);
    });
  });
});
