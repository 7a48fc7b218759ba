import type { FastifyInstance } from "fastify";
import type { Gatehouse } from "../../../gatehouse.js";
import { bodyOf } from "../../../http/admin/body.js";
import { apiKeyOf, callHeadersOf } from "../call-headers.js";
import { gatewayErrorHandler } from "../error-handler.js";
import { listModels } from "../list-models.js";
import { runCall } from "../run-call.js";
import { callCredentialsOf } from "../../../http/agent/credential.js";
import { openAiDialect } from "./dialect.js";
import { openAiError } from "./error-shape.js";
import { anthropicError } from "../anthropic/error-shape.js";
import { chatCompletionSchema } from "./request-schema.js";
import { toChatRequest } from "./translate.js";

/** The OpenAI-compatible API: POST /v1/chat/completions and GET /v1/models, with OpenAI's error shape. */
export async function openAiRoutes(app: FastifyInstance, options: { gatehouse: Gatehouse }): Promise<void> {
  const { gatehouse } = options;
  // GET /v1/models serves both SDKs; Anthropic's sends anthropic-version and reads its own error shape.
  app.setErrorHandler(
    gatewayErrorHandler(gatehouse, "openai", (request, failure) =>
      typeof request.headers["anthropic-version"] === "string" ? anthropicError(failure) : openAiError(failure),
    ),
  );

  app.post("/chat/completions", async (request, reply) => {
    const headers = callHeadersOf(request);
    const body = bodyOf(request, chatCompletionSchema);
    return runCall(gatehouse, request, reply, openAiDialect(body.stream_options?.include_usage === true), {
      api: "openai",
      requestId: request.id,
      ...callCredentialsOf(request),
      model: body.model,
      stream: body.stream === true,
      request: toChatRequest(body),
      template: body.gatehouse_template,
      headers,
    });
  });

  app.get("/models", async (request) => {
    const models = await listModels(gatehouse, apiKeyOf(request), callHeadersOf(request));
    if (typeof request.headers["anthropic-version"] === "string") {
      return {
        data: models.map((m) => ({ type: "model", id: m.name, display_name: m.name, created_at: new Date(m.createdAt).toISOString() })),
        has_more: false,
        first_id: models[0]?.name ?? null,
        last_id: models[models.length - 1]?.name ?? null,
      };
    }
    return {
      object: "list",
      data: models.map((m) => ({ id: m.name, object: "model", created: Math.floor(m.createdAt / 1000), owned_by: m.owner })),
    };
  });
}
