import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { lastLoggedSeq, loggedEventsAfter } from "../support/log.js";
import { storeTargets } from "../support/stores.js";
import { activeAgent, agentCall, type TestAgent } from "./support.js";

describe.each(storeTargets)("agent tasks ($name)", (target) => {
  let h: Harness;
  let t: TestTenant;
  let bot: TestAgent;
  let other: TestAgent;

  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("agents-tasks");
    bot = await activeAgent(h, t, "order-bot");
    other = await activeAgent(h, t, "other-bot");
  });
  afterAll(async () => h?.close());

  const open = (agent: TestAgent, body: unknown) => agentCall(h, agent.signer, "POST", "/v1/tasks", { body });

  it("opens a task with a purpose and a reference, records it, and ends it once", async () => {
    const before = await lastLoggedSeq(h);
    const opened = await open(bot, { purpose: "complete an order", reference: "order #12345" });
    expect(opened.status, JSON.stringify(opened.body)).toBe(201);
    const task = opened.body;
    expect(task).toMatchObject({ purpose: "complete an order", reference: "order #12345", status: "open", environment: "staging", agent: { name: "order-bot" }, endedAt: null });

    const read = await agentCall(h, bot.signer, "GET", `/v1/tasks/${task.id}`);
    expect(read.body).toEqual({ ...task, grants: [], label: { sensitivity: "public", tenants: [t.id], regions: [], integrity: "trusted", injection: false, origins: [] } });

    const completed = await agentCall(h, bot.signer, "POST", `/v1/tasks/${task.id}/complete`, { body: { reason: "order shipped" } });
    expect(completed.status, JSON.stringify(completed.body)).toBe(200);
    expect(completed.body).toMatchObject({ id: task.id, status: "completed", endReason: "order shipped", endedAt: expect.any(Number) });
    for (const verb of ["complete", "fail", "cancel"]) {
      const again = await agentCall(h, bot.signer, "POST", `/v1/tasks/${task.id}/${verb}`, { body: {} });
      expect(again.status).toBe(409);
      expect(again.body.error.message).toMatch(/has ended \(completed\)/);
    }

    const events = (await loggedEventsAfter(h, before)).filter((e) => e.action.startsWith("task."));
    expect(events.map((e) => e.action)).toEqual(["task.open", "task.complete"]);
    expect(events[0]).toMatchObject({ tenantId: t.id, actor: { type: "agent", name: "order-bot" }, context: { taskId: task.id }, payload: { reference: "order #12345" } });
    // The task's story is in the audit log, replayable by its id.
    const replay = await h.admin(t.keys.auditor, "GET", `/audit/tasks/${task.id}/replay`);
    expect(replay.status, JSON.stringify(replay.body)).toBe(200);
    expect(JSON.stringify(replay.body)).toContain("task.complete");
  });

  it("ends a task as failed or cancelled, with or without a reason", async () => {
    const a = (await open(bot, { purpose: "try something" })).body;
    const failed = await agentCall(h, bot.signer, "POST", `/v1/tasks/${a.id}/fail`, { body: { reason: "upstream down" } });
    expect(failed.body).toMatchObject({ status: "failed", endReason: "upstream down" });
    const b = (await open(bot, { purpose: "try again" })).body;
    const cancelled = await agentCall(h, bot.signer, "POST", `/v1/tasks/${b.id}/cancel`);
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", endReason: "cancelled by the agent" });
  });

  it("keeps each agent to its own tasks: another agent's task is not found, like one that never existed", async () => {
    const task = (await open(bot, { purpose: "mine" })).body;
    for (const [method, path] of [
      ["GET", `/v1/tasks/${task.id}`],
      ["POST", `/v1/tasks/${task.id}/cancel`],
    ] as const) {
      const theirs = await agentCall(h, other.signer, method, path, method === "POST" ? { body: {} } : {});
      const ghost = await agentCall(h, other.signer, method, path.replace(task.id, "00000000-0000-4000-8000-000000000000"), method === "POST" ? { body: {} } : {});
      expect(theirs.status).toBe(404);
      expect(theirs.body.error.message.replace(task.id, "<id>")).toBe(ghost.body.error.message.replace("00000000-0000-4000-8000-000000000000", "<id>"));
    }
    expect((await agentCall(h, bot.signer, "GET", `/v1/tasks/${task.id}`)).body.status).toBe("open");
    await agentCall(h, bot.signer, "POST", `/v1/tasks/${task.id}/complete`);
  });

  it("holds an agent to its maximum of concurrent tasks (limits.concurrency), recording the refusal", async () => {
    const first = (await open(other, { purpose: "one" })).body;
    expect((await open(other, { purpose: "two" })).status).toBe(201);
    const before = await lastLoggedSeq(h);
    const third = await open(other, { purpose: "three" });
    expect(third.status).toBe(429);
    expect(third.body.error.message).toMatch(/already has 2 open tasks, its limit \(limits.concurrency: 2\)/);
    const [refusal] = (await loggedEventsAfter(h, before)).filter((e) => e.action === "task.open");
    expect(refusal).toMatchObject({ decision: { outcome: "refused" }, actor: { name: "other-bot" } });
    await agentCall(h, other.signer, "POST", `/v1/tasks/${first.id}/complete`);
    expect((await open(other, { purpose: "three, now" })).status).toBe(201);
  });

  it("refuses bad task input with 400 naming the field, and records it", async () => {
    const before = await lastLoggedSeq(h);
    const missing = await open(bot, { reference: "x" });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: "invalid_request", field: "purpose" });
    expect((await open(bot, { purpose: "x", extra: 1 })).status).toBe(400);
    expect((await open(bot, { purpose: "x".repeat(2001) })).body.error.field).toBe("purpose");
    const badEnd = await agentCall(h, bot.signer, "POST", "/v1/tasks/some-id/complete", { body: { reason: 5 } });
    expect(badEnd.body.error.field).toBe("reason");
    const events = (await loggedEventsAfter(h, before)).filter((e) => e.action === "agent_api.call");
    expect(events).toHaveLength(4);
    expect(events[0]).toMatchObject({ tenantId: t.id, actor: { type: "agent", name: "order-bot" }, decision: { outcome: "refused" } });
  });

  it("cancels an agent's open tasks when it is retired", async () => {
    const agent = await activeAgent(h, t, "leaving-bot");
    const task = (await open(agent, { purpose: "unfinished" })).body;
    expect((await h.admin(t.keys.admin, "POST", "/agents/leaving-bot/retire", { reason: "replaced" })).status).toBe(200);
    const row = await h.gatehouse.store.db.selectFrom("agent_tasks").selectAll().where("id", "=", task.id).executeTakeFirstOrThrow();
    expect(row).toMatchObject({ status: "cancelled", end_reason: "the agent was retired" });
  });
});
