import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { grantStatuses, reviewBody, revokeBody } from "../../../agents/grants/grants.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, idParam, paramsOf, queryOf } from "../body.js";

const listQuery = z.object({ status: z.enum(grantStatuses).default("pending") }).strict();

/**
 * Agents' grant requests: the approvals queue (GET /grant-requests, pending by default),
 * a person's decision on one policy sent to them (approve, deny) and revocation of a grant.
 */
export function grantRequestRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {

  app.get("/grant-requests", { config: { permission: "changes.read" } }, async (request) => {
    const { tenantId } = adminOf(request);
    const { status } = queryOf(request, listQuery);
    return { items: await gatehouse.agentAccess.grants.list(tenantId, status) };
  });

  for (const verdict of ["approve", "deny"] as const) {
    app.post(`/grant-requests/:id/${verdict}`, { config: { permission: "changes.review" } }, async (request) => {
      const { tenantId, ctx } = adminOf(request);
      const { justification } = bodyOf(request, reviewBody);
      const { id } = paramsOf(request, idParam);
      return gatehouse.transaction((trx) => gatehouse.agentAccess.grants.review(trx, ctx, tenantId, id, verdict, justification));
    });
  }

  app.post("/grant-requests/:id/revoke", { config: { permission: "agents.operate" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const body = bodyOf(request, revokeBody);
    const { id } = paramsOf(request, idParam);
    return gatehouse.transaction((trx) => gatehouse.agentAccess.grants.revoke(trx, ctx, tenantId, id, body.reason ?? "revoked by an operator"));
  });
}
