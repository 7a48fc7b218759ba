import { expect } from "vitest";
import { GatehouseAgent, GatehouseApiError } from "gatehouse/sdk";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import type { Kind } from "../../src/registry/kinds.js";
import { activeAgent, type TestAgent } from "../../tests/agents/support.js";
import { startToolServer, toolFixtures, type ToolServer } from "../../tests/agents/tool-server.js";
import { listen, upstreamModel } from "../../tests/gateway/support.js";
import { sampleSpecs, startHarness, type Harness, type TestTenant } from "../../tests/support/harness.js";
import { lastLoggedSeq, loggedEventsAfter, type StoredEvent } from "../../tests/support/log.js";
import type { StoreTarget } from "../../tests/support/stores.js";

/**
 * The world every attack story plays in: one company ("acme") on a real Gatehouse listening on a
 * loopback port, a real HTTP tool server, and two agents that talk to Gatehouse through the SDK
 * exactly as a deployed agent would.
 *
 * - support-bot answers customers. It may read the customer database (confidential, with the
 *   marker CONFIDENTIAL-ACME), the public catalogue and the web, send e-mail (an egress tool),
 *   use an internal and an external model, and message mailer-bot.
 * - mailer-bot sends e-mail for others; it may not read the customer database.
 * - research-bot may read the customer database and message mailer-bot, but may not send e-mail.
 */
export interface World {
  h: Harness;
  tenant: TestTenant;
  baseUrl: string;
  tools: ToolServer;
  support: Actor;
  mailer: Actor;
  research: Actor;
  /** Everything recorded from now on can be read with `logSince(mark)`. */
  mark(): Promise<number>;
  logSince(mark: number): Promise<StoredEvent[]>;
  /** The refusals recorded since the mark, with their reasons. */
  refusalsSince(mark: number): Promise<StoredEvent[]>;
  close(): Promise<void>;
}

/** An agent of the world: its registry record and key (TestAgent) and the SDK it acts through. */
export interface Actor extends TestAgent {
  sdk: GatehouseAgent;
}

export const OUTSIDE_ADDRESS = "drop@attacker.example";
export const CUSTOMER_QUESTION = { to: "buyer@acme.example", subject: "Your order", body: "Your order ships on Monday." };

export async function buildWorld(target: StoreTarget): Promise<World> {
  const tools = await startToolServer();
  const h = await startHarness(target);
  const tenant = await h.createTenant("acme");
  const write = (kind: Kind, name: string, spec: unknown) =>
    h.gatehouse.transaction((trx) => h.gatehouse.registry.write(trx, actionContext(systemActor("world", tenant.id)), { tenantId: tenant.id, kind, name, owner: "platform", spec }));

  const fixtures = toolFixtures(tools.url);
  for (const [name, spec] of Object.entries(fixtures.dataSources)) await write("data_source", name, spec);
  for (const [name, spec] of Object.entries(fixtures.tools)) await write("tool", name, spec);
  await write("model", "internal-llm", upstreamModel("simulator", undefined, { region: "eu" }));
  await write("model", "external-llm", upstreamModel("simulator", undefined, { external: true }));

  const spec = (capabilities: Record<string, string[]>) => ({ ...sampleSpecs.agent, capabilities, limits: { concurrency: 50 } });
  const supportAgent = await activeAgent(h, tenant, "support-bot", {
    spec: spec({ tools: ["read_customer_db", "public_catalog", "web_fetch", "send_email"], dataSources: ["customer-db", "catalog"], models: ["internal-llm", "external-llm"], agents: ["mailer-bot"] }),
  });
  const mailerAgent = await activeAgent(h, tenant, "mailer-bot", { spec: spec({ tools: ["send_email"], dataSources: [], models: [], agents: ["support-bot"] }) });
  const researchAgent = await activeAgent(h, tenant, "research-bot", { spec: spec({ tools: ["read_customer_db"], dataSources: ["customer-db"], models: [], agents: ["mailer-bot"] }) });

  const baseUrl = await listen(h);
  const actor = async (agent: TestAgent): Promise<Actor> => ({
    ...agent,
    sdk: await GatehouseAgent.create({ baseUrl, tenant: tenant.name, agent: agent.name, environment: "staging", privateKey: agent.privateJwk }),
  });

  return {
    h,
    tenant,
    baseUrl,
    tools,
    support: await actor(supportAgent),
    mailer: await actor(mailerAgent),
    research: await actor(researchAgent),
    mark: () => lastLoggedSeq(h),
    logSince: (mark) => loggedEventsAfter(h, mark),
    refusalsSince: async (mark) => (await loggedEventsAfter(h, mark)).filter((e) => e.decision.outcome === "refused"),
    async close() {
      await h.close();
      await tools.close();
    },
  };
}

/** The error a refused SDK call throws (fails the story if the call was not refused). */
export async function refusal(attempt: Promise<unknown>): Promise<GatehouseApiError> {
  const outcome = await attempt.then(
    (value) => ({ refused: false as const, value }),
    (error: unknown) => ({ refused: true as const, error }),
  );
  if (!outcome.refused) throw new Error(`expected a refusal, got ${JSON.stringify(outcome.value)}`);
  expect(outcome.error).toBeInstanceOf(GatehouseApiError);
  return outcome.error as GatehouseApiError;
}

/** Asks for a grant in a task and checks it was approved at once. */
export async function granted(task: Awaited<ReturnType<GatehouseAgent["openTask"]>>, tool: string, extra: Record<string, unknown> = {}) {
  const grant = await task.requestGrant({ resource: { kind: "tool", name: tool }, ...extra });
  expect(grant.status, JSON.stringify(grant)).toBe("active");
  return grant;
}
