import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Gatehouse } from "../../../gatehouse.js";
import { keyInputSchema } from "../../../tenancy/api-keys.js";
import { principalInputSchema } from "../../../tenancy/principals.js";
import { roles } from "../../../tenancy/roles.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, idParam, paramsOf } from "../body.js";

export function principalRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.get("/principals", { config: { permission: "principals.read" } }, async (request) => ({
    items: await gatehouse.principals.list(adminOf(request).tenantId),
  }));

  app.post("/principals", { config: { permission: "principals.manage" } }, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const input = bodyOf(request, principalInputSchema);
    const principal = await gatehouse.transaction((trx) => gatehouse.principals.create(trx, ctx, tenantId, input));
    return reply.code(201).send(principal);
  });

  app.get("/principals/:id", { config: { permission: "principals.read" } }, async (request) => {
    const { id } = paramsOf(request, idParam);
    return gatehouse.principals.get(adminOf(request).tenantId, id);
  });

  app.patch("/principals/:id", { config: { permission: "principals.manage" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { id } = paramsOf(request, idParam);
    const { role } = bodyOf(request, z.object({ role: z.enum(roles) }).strict());
    return gatehouse.transaction((trx) => gatehouse.principals.setRole(trx, ctx, tenantId, id, role));
  });

  app.post("/principals/:id/disable", { config: { permission: "principals.manage" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { id } = paramsOf(request, idParam);
    bodyOf(request, z.object({}).strict());
    return gatehouse.transaction((trx) => gatehouse.principals.disable(trx, ctx, tenantId, id));
  });

  app.get("/keys", { config: { permission: "keys.manage" } }, async (request) => ({
    items: await gatehouse.apiKeys.list(adminOf(request).tenantId),
  }));

  /** The plain key is in this response and nowhere else, ever. */
  app.post("/keys", { config: { permission: "keys.manage" } }, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const input = bodyOf(request, keyInputSchema);
    const issued = await gatehouse.transaction(async (trx) => {
      const principal = await gatehouse.principals.get(tenantId, input.principalId, trx);
      const environmentId = input.environment ? (await gatehouse.tenants.environment(tenantId, input.environment, trx)).id : null;
      return gatehouse.apiKeys.issue(trx, ctx, tenantId, {
        principal,
        kind: input.kind,
        environmentId,
        label: input.label,
        expiresInDays: input.expiresInDays,
      });
    });
    return reply.code(201).send({ ...issued.key, key: issued.plain });
  });

  app.delete("/keys/:id", { config: { permission: "keys.manage" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { id } = paramsOf(request, idParam);
    return gatehouse.transaction((trx) => gatehouse.apiKeys.revoke(trx, ctx, tenantId, id));
  });
}
