import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { replayTask, searchLog } from "../../../audit/log/queries.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { conflict, GatehouseError, notFound } from "../../../shared/errors.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, idParam, paramsOf, queryOf } from "../body.js";

const time = z.union([z.coerce.number().int().min(0), z.iso.datetime().transform((s) => Date.parse(s))]);
/** Exactly one of: a data subject as recorded (e.g. principal:ID), or the tenant-wide key; never implied by a missing field. */
const erasureBody = z
  .object({
    subject: z.string().min(1).max(500).optional(),
    tenantWide: z.literal(true).optional(),
    justification: z.string().min(1).max(2000),
  })
  .strict()
  .refine((b) => (b.subject === undefined) !== (b.tenantWide === undefined), {
    path: ["subject"],
    message: "name a subject, or set tenantWide: true to erase the tenant-wide key (not both)",
  });

const searchQuery = z
  .object({
    actor: z.string().max(200).optional(),
    task: z.string().max(200).optional(),
    action: z.string().max(200).optional(),
    from: time.optional(),
    to: time.optional(),
    after: z.coerce.number().int().min(-1).default(-1),
    limit: z.coerce.number().int().min(1).max(1000).default(100),
  })
  .strict();

/**
 * The audit log for auditors: their own tenant's entries, checkpoints (which carry no tenant
 * data), inclusion proofs for their entries, consistency proofs, and task replay.
 */
export function auditRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  const read = { config: { permission: "events.read" as const } };
  const log = gatehouse.auditLog;

  app.get("/audit", read, async (request) => {
    const { tenantId } = adminOf(request);
    const q = queryOf(request, searchQuery);
    await log.sequencePending();
    const items = await searchLog(gatehouse.store.db, gatehouse.personalData, tenantId, { ...q, afterSeq: q.after });
    return { items, next: items.at(-1)?.seq ?? q.after };
  });

  app.get("/audit/key", read, async () => ({ origin: log.origin, key: log.signer.text }));

  app.get("/audit/checkpoints", read, async (request) => {
    const { limit } = queryOf(request, z.object({ limit: z.coerce.number().int().min(1).max(1000).default(20) }).strict());
    const checkpoints = (await log.checkpoints()).slice(-limit).reverse();
    return { items: await Promise.all(checkpoints.map(async (c) => ({ ...c, note: await log.cosignedNote(c) }))) };
  });

  /** :id is the entry's sequence number; anything else is simply not an entry of this tenant. */
  app.get("/audit/entries/:id/proof", read, async (request) => {
    const { tenantId } = adminOf(request);
    const { id } = paramsOf(request, idParam);
    if (!/^\d{1,15}$/.test(id)) throw notFound(`log entry ${id}`);
    const seq = Number(id);
    await log.sequencePending();
    await log.checkpoint(true);
    const row = await gatehouse.store.db
      .selectFrom("log_entries")
      .select(["entry", "leaf_hash", "payload"])
      .where("seq", "=", seq)
      .where("tenant_id", "=", tenantId)
      .executeTakeFirst();
    const checkpoint = await log.latestCheckpoint();
    if (!row || !checkpoint) throw notFound(`log entry ${seq}`);
    const proof = await log.inclusionProof(seq, checkpoint.size);
    return {
      seq,
      entry: row.entry,
      leafHash: row.leaf_hash,
      /** The payload body the entry's payloadHash commits to; null once retention pruned it. */
      payload: row.payload,
      checkpoint: await log.cosignedNote(checkpoint),
      proof: proof.map((h) => h.toString("base64")),
    };
  });

  app.get("/audit/consistency", read, async (request) => {
    const { from, to } = queryOf(request, z.object({ from: z.coerce.number().int().min(1), to: z.coerce.number().int().min(1) }).strict());
    const sizes = new Set((await log.checkpoints()).map((c) => c.size));
    if (from > to) throw new GatehouseError("invalid_request", "from: must not be larger than to", "from");
    if (!sizes.has(from) || !sizes.has(to)) throw notFound(`a checkpoint of size ${sizes.has(from) ? to : from}`);
    return { from, to, proof: (await log.consistencyProof(from, to)).map((h) => h.toString("base64")) };
  });

  const manage = { config: { permission: "audit.manage" as const } };

  /** Crypto-shredding: destroys a data subject's key (or the tenant-wide one); irreversible, and logged. */
  app.post("/audit/erasures", manage, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const body = bodyOf(request, erasureBody);
    return gatehouse.erasure.erase(ctx, tenantId, body.subject ?? null, body.justification);
  });

  /** Runs retention for the caller's tenant now (the service also runs it every hour). */
  app.post("/audit/retention-runs", manage, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    bodyOf(request, z.object({}).strict());
    const run = await gatehouse.retention.run(ctx, tenantId);
    if (!run) throw conflict("this tenant keeps audit payloads for ever: set audit.retentionDays in the tenant settings first");
    return run;
  });

  app.get("/audit/tasks/:id/replay", read, async (request) => {
    const { tenantId } = adminOf(request);
    const { id: task } = paramsOf(request, z.object({ id: z.string().min(1).max(200) }));
    const replay = await replayTask(gatehouse.store.db, log, gatehouse.personalData, tenantId, task);
    if (!replay) throw notFound(`task '${task}'`);
    return replay;
  });
}
