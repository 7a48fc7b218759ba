import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { changeStatuses } from "../../../approvals/change-requests.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { can } from "../../../tenancy/roles.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, idParam, justification, paramsOf, queryOf } from "../body.js";

const reviewBody = z.object({ justification }).strict();

export function changeRequestRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.get("/change-requests", { config: { permission: "changes.read" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { status } = queryOf(request, z.object({ status: z.enum(changeStatuses).optional() }));
    return { items: await gatehouse.changes.list(ctx, tenantId, status) };
  });

  app.get("/change-requests/:id", { config: { permission: "changes.read" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { id } = paramsOf(request, idParam);
    return gatehouse.changes.get(ctx, tenantId, id);
  });

  for (const decision of ["approve", "reject"] as const) {
    app.post(`/change-requests/:id/${decision}`, { config: { permission: "changes.review" } }, async (request) => {
      const { tenantId, ctx, principal } = adminOf(request);
      const { id } = paramsOf(request, idParam);
      const body = bodyOf(request, reviewBody);
      return gatehouse.changes.review(ctx, tenantId, id, principal, decision, body.justification);
    });
  }

  app.post("/change-requests/:id/cancel", { config: { permission: "changes.read" } }, async (request) => {
    const { tenantId, ctx, principal } = adminOf(request);
    const { id } = paramsOf(request, idParam);
    bodyOf(request, z.object({ justification: justification.optional() }).strict());
    return gatehouse.changes.cancel(ctx, tenantId, id, can(principal.role ?? "viewer", "tenant.manage"));
  });
}
