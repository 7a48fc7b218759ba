import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../../gatehouse.js";
import { bodyOf } from "../../../http/admin/body.js";
import { callHeadersOf } from "../call-headers.js";
import { gatewayErrorHandler } from "../error-handler.js";
import { runCall } from "../run-call.js";
import { callCredentialsOf } from "../../../http/agent/credential.js";
import { anthropicDialect } from "./dialect.js";
import { anthropicError } from "./error-shape.js";
import { messagesSchema } from "./request-schema.js";
import { toChatRequest } from "./translate.js";

/** The Anthropic-compatible API: POST /v1/messages, with Anthropic's error shape. */
export async function anthropicRoutes(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  app.setErrorHandler(gatewayErrorHandler(gatehouse, "anthropic", (_request, failure) => anthropicError(failure)));

  app.post("/messages", async (request, reply) => {
    const headers = callHeadersOf(request);
    const body = bodyOf(request, messagesSchema);
    return runCall(gatehouse, request, reply, anthropicDialect, {
      api: "anthropic",
      requestId: request.id,
      ...callCredentialsOf(request),
      model: body.model,
      stream: body.stream === true,
      request: toChatRequest(body),
      template: body.gatehouse_template,
      headers,
    });
  });
}
