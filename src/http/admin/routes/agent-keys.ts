import type { FastifyInstance } from "fastify";
import { registerKeyBody } from "../../../agents/identity/agent-keys.js";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, nameParam, paramsOf } from "../body.js";

/**
 * An agent's public keys: PUT registers a new current key (the previous one keeps working for
 * overlapSeconds), GET lists them with their status. Only public keys are ever accepted.
 */
export function agentKeyRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  const manage = { config: { permission: "keys.manage" as const } };

  app.put("/agents/:name/keys", manage, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const body = bodyOf(request, registerKeyBody);
    const { name } = paramsOf(request, nameParam);
    const result = await gatehouse.transaction((trx) => gatehouse.agentAccess.keys.register(trx, ctx, tenantId, name, body));
    return reply.code(result.status === "registered" ? 201 : 200).send(result);
  });

  app.get("/agents/:name/keys", manage, async (request) => {
    const { tenantId } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    return { items: await gatehouse.agentAccess.keys.list(tenantId, name) };
  });
}
