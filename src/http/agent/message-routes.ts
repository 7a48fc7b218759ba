import type { FastifyInstance } from "fastify";
import { Messages, pullQuery, sendMessageBody } from "../../agents/messages/messages.js";
import { TASK_HEADER } from "../../agents/identity/proof-format.js";
import type { Gatehouse } from "../../gatehouse.js";
import { invalid } from "../../shared/errors.js";
import { bodyOf, nameParam, paramsOf, queryOf } from "../admin/body.js";
import { agentCallOf } from "./plugin.js";

/**
 * Messages between agents: POST /v1/agents/:name/messages sends a signed message to the agent
 * of that name in the sender's tenant (201 with its id and the recipient's sequence number),
 * GET /v1/messages?after=N reads the authenticated agent's messages after N and acknowledges
 * N and every one before it; read in a task (x-gatehouse-task-id), their labels join the task's.
 */
export function messageRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {
  app.post("/agents/:name/messages", async (request, reply) => {
    const { identity, ctx } = agentCallOf(request);
    const { name } = paramsOf(request, nameParam);
    Messages.precheck(request.body);
    const body = bodyOf(request, sendMessageBody);
    return reply.code(201).send(await gatehouse.agentAccess.messages.send(ctx, identity, name, body));
  });

  app.get("/messages", async (request) => {
    const { identity, ctx } = agentCallOf(request);
    const task = request.headers[TASK_HEADER];
    if (Array.isArray(task)) throw invalid(TASK_HEADER, `send one ${TASK_HEADER} header`);
    return gatehouse.agentAccess.messages.pull(ctx, identity, queryOf(request, pullQuery), task);
  });
}
