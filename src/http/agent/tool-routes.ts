import type { FastifyInstance } from "fastify";
import { z } from "zod";
import { TASK_HEADER } from "../../agents/identity/proof-format.js";
import type { Gatehouse } from "../../gatehouse.js";
import { invalid } from "../../shared/errors.js";
import { bodyOf, nameParam, paramsOf } from "../admin/body.js";
import { agentCallOf } from "./plugin.js";

export const invokeToolBody = z.object({ arguments: z.record(z.string(), z.unknown()).default({}) }).strict();

/**
 * Mediated tool calls: POST /v1/tools/:name/invoke with { arguments } names its task in the
 * x-gatehouse-task-id header, as model calls do; the answer is the guarded result with what was
 * found, the grant that covered the call and the digest recorded.
 */
export function toolRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.post("/tools/:name/invoke", async (request) => {
    const { identity, ctx } = agentCallOf(request);
    const { name } = paramsOf(request, nameParam);
    const taskId = request.headers[TASK_HEADER];
    if (typeof taskId !== "string" || taskId.trim() === "") throw invalid(TASK_HEADER, `${TASK_HEADER}: a tool call names the open task it belongs to`);
    const body = bodyOf(request, invokeToolBody);
    return gatehouse.agentAccess.tools.invoke(identity, taskId, name, body.arguments, ctx);
  });
}
