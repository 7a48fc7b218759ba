import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { queryOf } from "../body.js";

const eventsQuery = z.object({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  action: z.string().max(200).optional(),
});

export function eventRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.get("/events", { config: { permission: "events.read" } }, async (request) => {
    const { tenantId } = adminOf(request);
    const query = queryOf(request, eventsQuery);
    const items = await gatehouse.recorder.list(gatehouse.store.db, tenantId, {
      afterSeq: query.after,
      limit: query.limit,
      action: query.action,
    });
    return { items, next: items.at(-1)?.seq ?? query.after };
  });
}
