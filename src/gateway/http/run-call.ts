import type { FastifyReply, FastifyRequest } from "fastify";
import type { Gatehouse } from "../../gatehouse.js";
import type { ChatResponse, StreamEvent } from "../chat.js";
import { newModelCall, type CallInput, type ModelCall } from "../pipeline/model-call.js";
import { gatewayErrorOf, type GatewayError } from "./errors.js";
import { SseStream } from "./sse.js";
import { markPipelineRan } from "./error-handler.js";

/** How one API writes a streamed answer: its opening, its events in order, then its end, or an error in its shape. */
export interface StreamWriter {
  /** The API's opening event (OpenAI's role chunk, Anthropic's message_start), sent before the first event if not already. */
  open(): Promise<void>;
  event(event: StreamEvent): Promise<void>;
  error(error: GatewayError): Promise<void>;
}

/** How one API (OpenAI, Anthropic) puts a gateway answer on the wire. */
export interface ApiDialect {
  completion(call: ModelCall, response: ChatResponse): unknown;
  streamWriter(call: ModelCall, sse: SseStream): StreamWriter;
}

/** The model name an answer reports: the model record that served, else the name asked for. */
export const answeredModel = (call: ModelCall): string => call.served?.model ?? call.model?.name ?? call.input.model;

/**
 * Runs one call through the pipeline and answers it in the API's dialect. Errors before the
 * answer starts propagate to the API's error handler; a stream that fails after it started ends
 * with an error event in the API's shape instead of its normal end.
 */
export async function runCall(gatehouse: Gatehouse, request: FastifyRequest, reply: FastifyReply, dialect: ApiDialect, input: CallInput) {
  const abandoned = new AbortController();
  reply.raw.on("close", () => {
    if (!reply.raw.writableFinished) abandoned.abort();
  });
  const call = newModelCall({ ...input, signal: abandoned.signal });
  markPipelineRan(request);
  const result = await gatehouse.gateway.pipeline.run(call);
  // Placeholders the tenant's guard policy lets the caller have back are restored on the way
  // out only: the record and the output guards saw the answer as the model gave it.
  const { restorer } = call;
  if (result.kind === "complete") return reply.send(dialect.completion(call, restorer ? restorer.response(result.response) : result.response));

  const sse = new SseStream(request, reply);
  const writer = dialect.streamWriter(call, sse);
  const events = (restorer ? restorer.stream(result.events) : result.events)[Symbol.asyncIterator]();
  try {
    // Opened at once: the output guards may hold the first text back for a moment.
    await writer.open();
    for (;;) {
      if (sse.closed) {
        await events.return?.();
        break;
      }
      const next = await events.next();
      if (next.done) break;
      await writer.event(next.value);
    }
  } catch (error) {
    const failure = gatewayErrorOf(error);
    if (failure.status >= 500) request.log.error({ err: error }, "model call failed mid-stream");
    await writer.error(failure);
  } finally {
    sse.end();
  }
  return reply;
}
