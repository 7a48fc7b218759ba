import Fastify, { type FastifyError, type FastifyInstance, type FastifyReply, type FastifyRequest } from "fastify";
import { randomUUID } from "node:crypto";
import type { GatehouseConfig } from "../config/config.js";
import type { Gatehouse } from "../gatehouse.js";
import { sql } from "kysely";
import { AccessLog } from "./access-log.js";
import { errorHandler, limitBodyDepth, notFoundHandler } from "./errors.js";
import { adminApi } from "./admin/plugin.js";
import { modelGatewayApi } from "../gateway/http/plugin.js";
import { mcpApi } from "./mcp/plugin.js";
import { anthropicError } from "../gateway/http/anthropic/error-shape.js";
import { openAiError } from "../gateway/http/openai/error-shape.js";

export interface ServerOptions {
  config: Pick<GatehouseConfig, "bodyLimitBytes" | "logLevel">;
}

export async function buildServer(gatehouse: Gatehouse, options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({
    logger: { level: options.config.logLevel, redact: ["req.headers.authorization", "req.headers['x-api-key']"] },
    bodyLimit: options.config.bodyLimitBytes,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    return503OnClosing: true,
    frameworkErrors: frameworkErrorReply,
    logController: new AccessLog(),
  });
  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler(notFoundHandler);
  app.addHook("preValidation", limitBodyDepth);
  app.addHook("onSend", async (request, reply, payload) => {
    reply.header("x-request-id", request.id);
    return payload;
  });

  app.get("/healthz", async () => ({ status: "ok" }));
  app.get("/readyz", async (_request, reply) => {
    try {
      await sql`select 1`.execute(gatehouse.store.db);
      return { status: "ready" };
    } catch {
      return reply.code(503).send({ status: "unavailable", reason: "store unreachable" });
    }
  });

  await app.register(adminApi, { prefix: "/admin/v1", gatehouse });
  await app.register(modelGatewayApi, { prefix: "/v1", gatehouse });
  await app.register(mcpApi, { prefix: "/mcp", gatehouse });
  return app;
}

/**
 * Errors Fastify raises before any route is found (a path that does not decode, a path segment
 * past its length limit), answered in the shape of the API the path belongs to, as a route that
 * does not exist is: Anthropic's under /v1/messages, OpenAI's elsewhere under /v1, Gatehouse's own
 * everywhere else.
 */
function frameworkErrorReply(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode ?? 400;
  const message =
    error.code === "FST_ERR_MAX_PARAM_LENGTH" ? "a segment of the URL path is longer than the 100 characters allowed" : "the URL path does not decode (a % must be followed by two hex digits)";
  const failure = { status, code: "invalid_request", message, field: "path" };
  const path = request.url;
  const body = path.startsWith("/v1/messages") ? anthropicError(failure) : path.startsWith("/v1/") ? openAiError(failure) : { error: { code: failure.code, message, field: "path" } };
  void reply.code(status).send(body);
}
