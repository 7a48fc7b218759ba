import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TASK_HEADER } from "../../src/agents/identity/proof-format.js";
import { join, labelOf, bottomLabel } from "../../src/agents/flow/labels.js";
import { policyTextProblem } from "../../src/policy/policy-engine.js";
import { flowFloorText } from "../../src/agents/flow/flow-floor.js";
import type { Kind } from "../../src/registry/kinds.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { approveFully } from "../support/admin-fixtures.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { upstreamModel } from "../gateway/support.js";
import { activeAgent, agentCall, openTaskOf, type TestAgent, writeRecord } from "./support.js";
import { startToolServer, toolFixtures, type ToolServer } from "./tool-server.js";

const CONFIDENTIAL_TO_MAIL =
  "flow refused: task label confidential (from data source customer-db via tool read_customer_db) may not go to egress tool send_email (policy gatehouse-flow-floor (built in))";

describe("flow labels", () => {
  it("join to the highest sensitivity, the union of regions, untrusted once anything untrusted was read, and keep every origin", () => {
    const a = labelOf("t1", { kind: "data_source", name: "crm", via: "read_crm", sensitivity: "confidential", region: "eu", integrity: "trusted" });
    const b = labelOf("t1", { kind: "tool", name: "web", sensitivity: "public", integrity: "untrusted", injection: true });
    const joined = join(join(bottomLabel("t1"), a), b);
    expect(joined).toMatchObject({ sensitivity: "confidential", regions: ["eu"], integrity: "untrusted", injection: true, tenants: ["t1"] });
    expect(joined.origins.map((o) => o.name)).toEqual(["crm", "web"]);
    expect(join(joined, a)).toEqual(joined);
  });

  it("the built-in floor and the shipped example type-check against the Cedar schema", () => {
    expect(policyTextProblem(flowFloorText)).toBeUndefined();
    expect(policyTextProblem(readFileSync(new URL("../../examples/policies/information-flow.cedar", import.meta.url), "utf8"))).toBeUndefined();
  });
});

describe.each(storeTargets)("information-flow control ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let bot: TestAgent;
  let cleared: TestAgent;
  let tools: ToolServer;

  const write = (kind: Kind, name: string, spec: unknown) => writeRecord(h, t, kind, name, spec);
  const openTask = (agent: TestAgent = bot) => openTaskOf(h, agent);
  const grant = async (taskId: string, name: string, agent: TestAgent = bot) => {
    const res = await agentCall(h, agent.signer, "POST", `/v1/tasks/${taskId}/grants`, { body: { resource: { kind: "tool", name } } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  };
  const invoke = (taskId: string, name: string, args: Record<string, unknown>, agent: TestAgent = bot) =>
    agentCall(h, agent.signer, "POST", `/v1/tools/${name}/invoke`, { body: { arguments: args }, headers: { [TASK_HEADER]: taskId } });
  const mailOut = { to: "someone@outside.example", subject: "your account", body: "details" };
  const chat = (taskId: string, model: string) =>
    agentCall(h, bot.signer, "POST", "/v1/chat/completions", { body: { model, messages: [{ role: "user", content: "summarise what you read" }] }, headers: { [TASK_HEADER]: taskId } });

  beforeAll(async () => {
    tools = await startToolServer();
    h = await startHarness(target);
    t = await h.createTenant("agents-flow");
    const fixtures = toolFixtures(tools.url);
    for (const [name, spec] of Object.entries(fixtures.dataSources)) await write("data_source", name, spec);
    for (const [name, spec] of Object.entries(fixtures.tools)) await write("tool", name, spec);
    await write("model", "internal-llm", upstreamModel("simulator", undefined, { region: "eu" }));
    await write("model", "external-llm", upstreamModel("simulator", undefined, { external: true }));
    const capabilities = { tools: Object.keys(fixtures.tools), dataSources: Object.keys(fixtures.dataSources), models: ["internal-llm", "external-llm"] };
    bot = await activeAgent(h, t, "flow-bot", { spec: { ...sampleSpecs.agent, capabilities, limits: { concurrency: 20 } } });
    cleared = await activeAgent(h, t, "cleared-bot", { spec: { ...sampleSpecs.agent, capabilities, clearance: "confidential", limits: { concurrency: 20 } } });
  });
  afterAll(async () => {
    await h?.close();
    await tools?.close();
  });

  it("refuses read_customer_db → send_email to an outside address, naming the flow and where the label came from, though each call alone is allowed", async () => {
    // Each call alone is allowed.
    const alone = await openTask();
    await grant(alone.id, "send_email");
    const mailed = await invoke(alone.id, "send_email", mailOut);
    expect(mailed.status, JSON.stringify(mailed.body)).toBe(200);
    const reading = await openTask();
    await grant(reading.id, "read_customer_db");
    expect((await invoke(reading.id, "read_customer_db", { id: "12345" })).status).toBe(200);

    // The chain is not.
    await grant(reading.id, "send_email");
    const before = await lastLoggedSeq(h);
    const sent = tools.received.length;
    const chained = await invoke(reading.id, "send_email", mailOut);
    expect(chained.status).toBe(403);
    expect(chained.body.error.message).toBe(CONFIDENTIAL_TO_MAIL);
    expect(tools.received.length).toBe(sent);
    const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "tool.invoke");
    expect(event).toMatchObject({ resource: { name: "send_email" }, decision: { outcome: "refused", reasons: [CONFIDENTIAL_TO_MAIL] }, context: { taskId: reading.id } });
    expect(event?.payload).toMatchObject({ label: "confidential", policies: ["gatehouse-flow-floor"] });
  });

  it("lets the benign twin through: public data → send_email", async () => {
    const task = await openTask();
    await grant(task.id, "public_catalog");
    await grant(task.id, "send_email");
    expect((await invoke(task.id, "public_catalog", {})).status).toBe(200);
    const mailed = await invoke(task.id, "send_email", mailOut);
    expect(mailed.status, JSON.stringify(mailed.body)).toBe(200);
    expect(mailed.body.result.structuredContent).toMatchObject({ sent: true });
    expect(tools.received.at(-1)).toMatchObject({ path: "/send_email" });
  });

  it("refuses read_customer_db → an external model, and allows an internal one", async () => {
    const fresh = await openTask();
    const external = await chat(fresh.id, "external-llm");
    expect(external.status, JSON.stringify(external.body)).toBe(200);

    const task = await openTask();
    await grant(task.id, "read_customer_db");
    expect((await invoke(task.id, "read_customer_db", { id: "12345" })).status).toBe(200);
    const before = await lastLoggedSeq(h);
    const refused = await chat(task.id, "external-llm");
    expect(refused.status).toBe(403);
    expect(JSON.stringify(refused.body)).toContain(
      "flow refused: task label confidential (from data source customer-db via tool read_customer_db) may not go to external model external-llm",
    );
    const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "model.invoke");
    expect(event).toMatchObject({ decision: { outcome: "refused" }, context: { taskId: task.id } });
    expect(event?.decision.reasons?.join(" ")).toMatch(/flow refused: task label confidential/);

    const internal = await chat(task.id, "internal-llm");
    expect(internal.status, JSON.stringify(internal.body)).toBe(200);
  });

  it("decides messages to another agent with the task's label (checkOutbound), under the tenant's own policies", async () => {
    const task = await openTask();
    await grant(task.id, "read_customer_db");
    expect((await invoke(task.id, "read_customer_db", { id: "12345" })).status).toBe(200);
    const to = { name: "helper-bot", owner: "platform", environment: "staging" };
    expect(await h.gatehouse.agentAccess.flow.checkOutbound(task.id, { kind: "message", to })).toMatchObject({ allowed: true, label: { sensitivity: "confidential" } });

    const text = 'forbid (principal, action == Gatehouse::Action::"send_message", resource) when { context has task_label && context.task_label.sources.contains("data_source:customer-db") };';
    await write("policy", "crm-stays-here", { text, environments: [], description: "customer data is not passed on" });
    const verdict = await h.gatehouse.agentAccess.flow.checkOutbound(task.id, { kind: "message", to });
    expect(verdict).toMatchObject({
      allowed: false,
      policies: ["crm-stays-here"],
      reason: "flow refused: task label confidential (from data source customer-db via tool read_customer_db) may not go to agent helper-bot (policy crm-stays-here)",
    });
  });

  it("removes retrieved documents above the agent's clearance before they reach it, records the removal, and labels the task by what was kept", async () => {
    const task = await openTask();
    await grant(task.id, "search_kb");
    const before = await lastLoggedSeq(h);
    const res = await invoke(task.id, "search_kb", { query: "policies" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // flow-bot has the default clearance, internal: the confidential document and the one with an unknown label go.
    expect(res.body.result.structuredContent.documents.map((d: { id: string }) => d.id)).toEqual(["holiday-policy", "org-chart"]);
    expect(res.body.result.content).toEqual([
      { type: "text", text: "Holidays: 25 days a year." },
      { type: "text", text: "Support reports to operations." },
    ]);
    expect(JSON.stringify(res.body)).not.toMatch(/Falcon|layoffs|merger plan/);
    expect(res.body.inspection.removedDocuments).toBe(2);
    expect(res.body.taskSensitivity).toBe("internal");
    const [event] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "tool.invoke");
    expect(event?.context).toMatchObject({ removedDocuments: 2 });
    expect(event?.payload).toMatchObject({
      clearance: "internal",
      removedDocuments: [
        { id: "merger-plan", sensitivity: "confidential", dataSource: "kb-search" },
        { id: "board-minutes", sensitivity: "restricted", dataSource: "kb-search" },
      ],
    });

    // An agent cleared for confidential data gets the merger plan, and its task is labelled confidential: it may not mail it out.
    const theirs = await openTask(cleared);
    await grant(theirs.id, "search_kb", cleared);
    await grant(theirs.id, "send_email", cleared);
    const more = await invoke(theirs.id, "search_kb", { query: "policies" }, cleared);
    expect(more.body.result.structuredContent.documents.map((d: { id: string }) => d.id)).toEqual(["holiday-policy", "org-chart", "merger-plan"]);
    expect(more.body.taskSensitivity).toBe("confidential");
    const mail = await invoke(theirs.id, "send_email", mailOut, cleared);
    expect(mail.status).toBe(403);
    expect(mail.body.error.message).toMatch(/^flow refused: task label confidential \(from data source kb-search via tool search_kb\) may not go to egress tool send_email/);
  });

  it("labels a task by the data-source marker a result carries, even from a tool that declares no source, and even when the tenant does not act on markers in answers", async () => {
    for (const markers of ["block", "off"]) {
      const put = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { guards: { output: { markers } } });
      if (put.status === 202) await approveFully(h, t, put.body.changeRequest.id);
      else expect(put.status, JSON.stringify(put.body)).toBe(200);
      const task = await openTask();
      await grant(task.id, "customer_notes");
      const res = await invoke(task.id, "customer_notes", { id: "12345" });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      expect(res.body.taskSensitivity, `markers: ${markers}`).toBe("confidential");
    }
  });

  it("gives a document that names no sensitivity the most sensitive of the tool's retrieval sources, not the first one's", async () => {
    // search_everything reads a public and a confidential source; org-chart does not say which it came from.
    const task = await openTask();
    await grant(task.id, "search_everything");
    const res = await invoke(task.id, "search_everything", { query: "policies" });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.result.structuredContent.documents.map((d: { id: string }) => d.id)).toEqual(["holiday-policy"]);
    expect(res.body.inspection.removedDocuments).toBe(3);
    expect(res.body.taskSensitivity).toBe("public");
  });

  it("puts the task's label in the grant decision too, so a policy can refuse a grant the label could not use", async () => {
    const text =
      'forbid (principal, action == Gatehouse::Action::"request_grant", resource == Gatehouse::Tool::"web_fetch") when { context has task_label && context.task_label.sensitivity_rank >= 2 };';
    await write("policy", "no-browsing-with-customer-data", { text, environments: [], description: "no web fetches once customer data is read" });
    const task = await openTask();
    await grant(task.id, "web_fetch");
    await grant(task.id, "read_customer_db");
    expect((await invoke(task.id, "read_customer_db", { id: "12345" })).status).toBe(200);
    const again = await agentCall(h, bot.signer, "POST", `/v1/tasks/${task.id}/grants`, { body: { resource: { kind: "tool", name: "web_fetch" } } });
    expect(again.status).toBe(403);
    expect(again.body.error.message).toMatch(/refused by policy no-browsing-with-customer-data/);
  });
});
