import type { AddressInfo } from "node:net";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { loggedEventsAfter, type StoredEvent } from "../support/log.js";
import type { Harness, TestTenant } from "../support/harness.js";

/** Puts the harness's server on a free loopback port, for the official clients. */
export async function listen(h: Harness): Promise<string> {
  await h.app.listen({ port: 0, host: "127.0.0.1" });
  return `http://127.0.0.1:${(h.app.server.address() as AddressInfo).port}`;
}

/** Writes a registry record as the test's system actor (records written so are live, i.e. approved). */
export async function putRecord(
  h: Harness,
  t: TestTenant,
  kind: "model" | "prompt_template" | "policy" | "data_source",
  name: string,
  spec: unknown,
  owner = "platform",
): Promise<void> {
  await h.gatehouse.transaction((trx) => h.gatehouse.registry.write(trx, actionContext(systemActor("test", t.id)), { tenantId: t.id, kind, name, owner, spec }));
}

export const upstreamModel = (provider: string, endpoint: string | undefined, extra: Record<string, unknown> = {}) => ({
  provider,
  upstreamModel: `${provider}-model`,
  ...(endpoint ? { endpoint } : {}),
  region: "us",
  external: provider !== "simulator",
  pricing: { inputPer1k: 1, outputPer1k: 2 },
  taskClasses: ["chat", "support"],
  aliases: [],
  ...extra,
});

/** The model.invoke events in the audit log so far, oldest first. */
export async function invokeRecords(h: Harness): Promise<StoredEvent[]> {
  return (await loggedEventsAfter(h, -1)).filter((e) => e.action === "model.invoke");
}

export async function lastInvokeRecord(h: Harness): Promise<StoredEvent> {
  const records = await invokeRecords(h);
  const last = records[records.length - 1];
  if (!last) throw new Error("no model.invoke record");
  return last;
}
