import type { FastifyError, FastifyReply, FastifyRequest } from "fastify";
import type { Gatehouse } from "../../gatehouse.js";
import { GatehouseError, type ErrorCode } from "../../shared/errors.js";
import { newModelCall, type CallHeaders, type CallInput } from "../pipeline/model-call.js";
import { callCredentialsOf } from "../../http/agent/credential.js";
import { callHeadersOf } from "./call-headers.js";
import { gatewayErrorOf, type GatewayError } from "./errors.js";

/** Requests whose call has been through the pipeline, which recorded it whatever happened. */
const ended = new WeakSet<FastifyRequest>();

export const markPipelineRan = (request: FastifyRequest): void => {
  ended.add(request);
};

/** The call's credentials, or none when they are themselves the problem (a proof and a key at once). */
function credentialsOrNone(request: FastifyRequest): Pick<CallInput, "apiKey" | "agent"> {
  try {
    return callCredentialsOf(request);
  } catch {
    return { apiKey: undefined };
  }
}

function headersOrNone(request: FastifyRequest): CallHeaders {
  try {
    return callHeadersOf(request);
  } catch {
    return {};
  }
}

/** Records a model call refused before the pipeline ran (a body or header that did not parse). */
async function recordRefusal(gatehouse: Gatehouse, request: FastifyRequest, api: CallInput["api"], error: unknown, failure: GatewayError): Promise<void> {
  if (ended.has(request)) return;
  ended.add(request);
  const body = request.body as { model?: unknown; stream?: unknown } | null | undefined;
  const model = typeof body?.model === "string" ? body.model.slice(0, 256) : "";
  const call = newModelCall({
    api,
    requestId: request.id,
    ...credentialsOrNone(request),
    model,
    stream: body?.stream === true,
    request: { messages: [] },
    headers: headersOrNone(request),
  });
  // Fastify's own refusals (unparseable JSON, a body over the limit) are recorded as the domain errors they answer as.
  const refusal = error instanceof GatehouseError || failure.status >= 500 ? error : new GatehouseError(failure.code as ErrorCode, failure.message, failure.field);
  await gatehouse.gateway.pipeline.refuse(call, refusal);
}

/**
 * The error handler of one API: records model calls refused before the pipeline, maps the error,
 * and answers in the API's shape (503 when even the refusal could not be recorded).
 */
export function gatewayErrorHandler(gatehouse: Gatehouse, api: CallInput["api"], shape: (request: FastifyRequest, error: GatewayError) => unknown) {
  return async (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
    let failure = gatewayErrorOf(error);
    if (request.method === "POST") {
      try {
        await recordRefusal(gatehouse, request, api, error, failure);
      } catch (recordError) {
        failure = gatewayErrorOf(recordError);
      }
    }
    if (failure.status >= 500) request.log.error({ err: error }, "model call failed");
    if (failure.retryAfterSeconds !== undefined) reply.header("retry-after", String(failure.retryAfterSeconds));
    if (failure.status === 401) reply.header("www-authenticate", 'Bearer realm="gatehouse"');
    return reply.code(failure.status).send(shape(request, failure));
  };
}
