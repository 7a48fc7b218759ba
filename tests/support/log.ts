import { readEvents, type AuditEvent } from "../../src/audit/log/queries.js";
import type { Harness } from "./harness.js";

/** An event as recorded, read back from the audit log. */
export interface StoredEvent extends Omit<AuditEvent, "tenant" | "payload"> {
  tenantId: string | null;
  payload: Record<string, any>;
}

/** The highest sequence number in the log once every acknowledged event is sequenced (-1 when empty). */
export async function lastLoggedSeq(h: Harness): Promise<number> {
  await h.gatehouse.auditLog.sequencePending();
  const row = await h.gatehouse.store.db
    .selectFrom("log_entries")
    .select((eb) => eb.fn.max("seq").as("m"))
    .executeTakeFirst();
  return row?.m === null || row?.m === undefined ? -1 : Number(row.m);
}

/** Every logged event after a sequence number, of all tenants, oldest first. */
export async function loggedEventsAfter(h: Harness, seq: number): Promise<StoredEvent[]> {
  await h.gatehouse.auditLog.sequencePending();
  const rows = await h.gatehouse.store.db.selectFrom("log_entries").select(["entry", "payload"]).where("seq", ">", seq).orderBy("seq").execute();
  const events = await readEvents(h.gatehouse.store.db, h.gatehouse.personalData, rows);
  return events.map(({ tenant, ...event }) => ({ ...event, tenantId: tenant }));
}
