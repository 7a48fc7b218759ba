import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Gatehouse } from "../../../gatehouse.js";
import { adminOf } from "../authenticate.js";
import { bodyOf, justification, nameParam, paramsOf } from "../body.js";
import { sendOutcome } from "./registry.js";

const reasonBody = z.object({ reason: justification.optional() }).strict();
const requiredReason = z.object({ reason: justification }).strict();
const environmentBody = z.object({ environment: z.string().min(1), justification: justification.optional() }).strict();
const deactivateBody = z.object({ environment: z.string().min(1), reason: justification.optional() }).strict();

/** Lifecycle operations on agents: submit, activate, deactivate, suspend, resume, retire. */
export function agentRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  const operate = { config: { permission: "agents.operate" as const } };
  const status = (tenantId: string, name: string) => async () =>
    gatehouse.lifecycle.status(await gatehouse.registry.get(tenantId, "agent", name));

  app.post("/agents/:name/submit", operate, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const body = bodyOf(request, z.object({ justification: justification.optional() }).strict());
    const outcome = await gatehouse.transaction((trx) => gatehouse.agents.submit(trx, ctx, tenantId, name, body.justification ?? null));
    return sendOutcome(reply, outcome, status(tenantId, name));
  });

  app.post("/agents/:name/activate", operate, async (request, reply) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const body = bodyOf(request, environmentBody);
    const outcome = await gatehouse.transaction((trx) =>
      gatehouse.agents.activate(trx, ctx, tenantId, name, body.environment, body.justification ?? null),
    );
    return sendOutcome(reply, outcome, status(tenantId, name));
  });

  app.post("/agents/:name/deactivate", operate, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const body = bodyOf(request, deactivateBody);
    return gatehouse.transaction((trx) =>
      gatehouse.agents.act(trx, ctx, tenantId, name, { type: "deactivate", environment: body.environment }, body.reason ?? null),
    );
  });

  app.post("/agents/:name/suspend", operate, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const { reason } = bodyOf(request, requiredReason);
    return gatehouse.transaction((trx) => gatehouse.agents.act(trx, ctx, tenantId, name, { type: "suspend" }, reason));
  });

  app.post("/agents/:name/resume", operate, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const { reason } = bodyOf(request, reasonBody);
    return gatehouse.transaction((trx) => gatehouse.agents.act(trx, ctx, tenantId, name, { type: "resume" }, reason ?? null));
  });

  app.post("/agents/:name/retire", { config: { permission: "agents.retire" } }, async (request) => {
    const { tenantId, ctx } = adminOf(request);
    const { name } = paramsOf(request, nameParam);
    const { reason } = bodyOf(request, requiredReason);
    return gatehouse.transaction((trx) => gatehouse.agents.act(trx, ctx, tenantId, name, { type: "retire" }, reason));
  });
}
