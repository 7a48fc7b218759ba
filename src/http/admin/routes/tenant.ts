import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../../gatehouse.js";
import { environmentSpecSchema, tenantSettingsSchema } from "../../../tenancy/settings.js";
import { adminOf } from "../authenticate.js";
import { bodyOf } from "../body.js";
import { sendOutcome } from "./registry.js";

export function tenantRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.get("/whoami", { config: { permission: "registry.read" } }, async (request) => {
    const { principal, key, tenantId } = adminOf(request);
    const tenant = await gatehouse.tenants.get(tenantId);
    return { tenant: { id: tenant.id, name: tenant.name }, principal, key };
  });

  app.get("/tenant", { config: { permission: "registry.read" } }, async (request) => {
    const { tenantId } = adminOf(request);
    const tenant = await gatehouse.tenants.get(tenantId);
    return { ...tenant, environments: await gatehouse.tenants.environments(tenantId) };
  });

  /** Tightening applies at once; loosening the approval rules is a change request. */
  app.put("/tenant/settings", { config: { permission: "tenant.manage" } }, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const settings = bodyOf(request, tenantSettingsSchema);
    const outcome = await gatehouse.transaction((trx) =>
      gatehouse.changes.propose(trx, ctx, tenantId, { action: "tenant.settings", settings }),
    );
    return sendOutcome(reply, outcome, async () => (await gatehouse.tenants.get(tenantId)).settings);
  });

  app.get("/environments", { config: { permission: "registry.read" } }, async (request) => ({
    items: await gatehouse.tenants.environments(adminOf(request).tenantId),
  }));

  app.post("/environments", { config: { permission: "tenant.manage" } }, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const spec = bodyOf(request, environmentSpecSchema);
    const env = await gatehouse.transaction((trx) => gatehouse.tenants.addEnvironment(trx, ctx, tenantId, spec));
    return reply.code(201).send(env);
  });
}
