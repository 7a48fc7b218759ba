import Fastify, { type FastifyInstance } from "fastify";
import { randomUUID } from "node:crypto";
import type { GatehouseConfig } from "../config/config.js";
import type { Gatehouse } from "../gatehouse.js";
import { sql } from "kysely";
import { errorHandler, limitBodyDepth, notFoundHandler } from "./errors.js";
import { adminApi } from "./admin/plugin.js";
import { modelGatewayApi } from "../gateway/http/plugin.js";
import { mcpApi } from "./mcp/plugin.js";

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
