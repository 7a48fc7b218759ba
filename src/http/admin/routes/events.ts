import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { searchLog } from "../../../audit/log/queries.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { queryOf } from "../body.js";

const eventsQuery = z.object({
  after: z.coerce.number().int().min(-1).default(-1),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  action: z.string().max(200).optional(),
});

export function eventRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.get("/events", { config: { permission: "events.read" } }, async (request) => {
    const { tenantId } = adminOf(request);
    const query = queryOf(request, eventsQuery);
    await gatehouse.auditLog.sequencePending();
    const entries = await searchLog(gatehouse.store.db, gatehouse.personalData, tenantId, { afterSeq: query.after, limit: query.limit, action: query.action });
    const items = entries.map(({ tenant, ...entry }) => ({ ...entry, tenantId: tenant }));
    return { items, next: items.at(-1)?.seq ?? query.after };
  });
}
