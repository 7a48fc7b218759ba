import type { FastifyInstance } from "fastify";
import { revokeBody } from "../../agents/grants/grants.js";
import { grantRequestBody } from "../../agents/grants/scope.js";
import type { Gatehouse } from "../../gatehouse.js";
import { forbidden } from "../../shared/errors.js";
import { bodyOf, idParam, paramsOf } from "../admin/body.js";
import { agentCallOf } from "./plugin.js";

/**
 * An agent's grants: POST /v1/tasks/:id/grants asks for one (201 active, 202 waiting for a
 * person, 403 denied), GET /v1/grants/:id reads one, DELETE /v1/grants/:id gives one up.
 */
export function grantRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {

  app.post("/tasks/:id/grants", async (request, reply) => {
    const { identity, ctx } = agentCallOf(request);
    const body = bodyOf(request, grantRequestBody);
    const { id } = paramsOf(request, idParam);
    const grant = await gatehouse.agentAccess.grants.request(ctx, identity, id, body);
    if (grant.status === "denied") throw forbidden(`${grant.decision.reasons.join("; ")} (grant ${grant.id})`);
    return reply.code(grant.status === "pending" ? 202 : 201).send(grant);
  });

  app.get("/grants/:id", async (request) => {
    const { identity } = agentCallOf(request);
    const { id } = paramsOf(request, idParam);
    return gatehouse.agentAccess.grants.get(identity, id);
  });

  app.delete("/grants/:id", async (request) => {
    const { identity, ctx } = agentCallOf(request);
    const body = bodyOf(request, revokeBody);
    const { id } = paramsOf(request, idParam);
    return gatehouse.transaction((trx) => gatehouse.agentAccess.grants.revoke(trx, ctx, identity.tenantId, id, body.reason ?? "given up by the agent", identity.agentId));
  });
}
