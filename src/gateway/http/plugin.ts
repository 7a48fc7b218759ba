import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../gatehouse.js";
import { agentApi } from "../../http/agent/plugin.js";
import { keepRawJsonBodies } from "../../http/agent/raw-body.js";
import { anthropicRoutes } from "./anthropic/routes.js";
import { guardCheckRoutes } from "./guard-check.js";
import { openAiRoutes } from "./openai/routes.js";
import { openAiError } from "./openai/error-shape.js";

/**
 * The model gateway's public API, mounted at /v1: the OpenAI-compatible routes and the
 * Anthropic-compatible ones, each answering errors in its own API's shape, and the agent API
 * (tokens, tasks, grants) in Gatehouse's own error shape.
 */
export async function modelGatewayApi(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  app.setNotFoundHandler((request, reply) =>
    reply.code(404).send(openAiError({ status: 404, code: "not_found", message: `no route ${request.method} ${request.url.split("?")[0]}` })),
  );
  const { gatehouse } = options;
  keepRawJsonBodies(app);
  await app.register(openAiRoutes, { gatehouse });
  await app.register(anthropicRoutes, { gatehouse });
  await app.register(guardCheckRoutes, { gatehouse });
  await app.register(agentApi, { gatehouse });
}
