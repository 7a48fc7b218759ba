import type { FastifyInstance } from "fastify";
import { endings, endingVerb, endTaskBody, openTaskBody } from "../../agents/tasks/tasks.js";
import type { Gatehouse } from "../../gatehouse.js";
import { bodyOf, idParam, paramsOf } from "../admin/body.js";
import { agentCallOf } from "./plugin.js";

/** An agent's tasks: POST /v1/tasks, GET /v1/tasks/:id (with its grants and its information-flow label), POST /v1/tasks/:id/complete|fail|cancel. */
export function taskRoutes(app: FastifyInstance, gatehouse: Gatehouse): void {

  app.post("/tasks", async (request, reply) => {
    const { identity, ctx } = agentCallOf(request);
    const body = bodyOf(request, openTaskBody);
    return reply.code(201).send(await gatehouse.agentAccess.tasks.open(ctx, identity, body));
  });

  app.get("/tasks/:id", async (request) => {
    const { identity } = agentCallOf(request);
    const { id } = paramsOf(request, idParam);
    const task = await gatehouse.agentAccess.tasks.get(identity, id);
    const [grants, label] = await Promise.all([gatehouse.agentAccess.grants.forTask(task.id), gatehouse.agentAccess.flow.labels.of(task)]);
    return { ...task, grants, label };
  });

  for (const ending of endings) {
    app.post(`/tasks/:id/${endingVerb[ending]}`, async (request) => {
      const { identity, ctx } = agentCallOf(request);
      const body = bodyOf(request, endTaskBody);
      const { id } = paramsOf(request, idParam);
      return gatehouse.agentAccess.tasks.end(ctx, identity, id, ending, body.reason ?? null);
    });
  }
}
