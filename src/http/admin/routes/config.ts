import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { documentsSchema } from "../../../config-as-code/documents.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, justification } from "../body.js";

const planBody = z.object({ documents: documentsSchema, prune: z.boolean().default(false) }).strict();
const applyBody = planBody.extend({ justification: justification.optional() });

/** Configuration as code: plan and apply a directory's documents, export the live state. */
export function configRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.post("/config/plan", { config: { permission: "registry.read" } }, async (request) => {
    const { tenantId } = adminOf(request);
    const body = bodyOf(request, planBody);
    return { entries: await gatehouse.configAsCode.plan(gatehouse.store.db, tenantId, body.documents, { prune: body.prune }) };
  });

  app.post("/config/apply", { config: { permission: "registry.write" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const body = bodyOf(request, applyBody);
    const results = await gatehouse.transaction((trx) =>
      gatehouse.configAsCode.apply(trx, ctx, tenantId, body.documents, { prune: body.prune, justification: body.justification ?? null }),
    );
    return { results };
  });

  app.get("/config/export", { config: { permission: "registry.read" } }, async (request) => ({
    documents: await gatehouse.configAsCode.export(gatehouse.store.db, adminOf(request).tenantId),
  }));
}
