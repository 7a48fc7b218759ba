import { randomUUID } from "node:crypto";
import type { StreamEvent } from "../../chat.js";
import type { ModelCall } from "../../pipeline/model-call.js";
import type { GatewayError } from "../errors.js";
import { answeredModel, type ApiDialect, type StreamWriter } from "../run-call.js";
import type { SseStream } from "../sse.js";
import { openAiError } from "./error-shape.js";
import { completionBody, openAiFinishReason, usageBody } from "./translate.js";

const completionId = (): string => `chatcmpl-${randomUUID().replace(/-/g, "")}`;
const now = (): number => Math.floor(Date.now() / 1000);

/** chat.completion.chunk events, the usage chunk when asked for (stream_options.include_usage), then [DONE]. */
class ChunkWriter implements StreamWriter {
  private readonly id = completionId();
  private readonly created = now();
  private started = false;

  constructor(
    private readonly call: ModelCall,
    private readonly sse: SseStream,
    private readonly includeUsage: boolean,
  ) {}

  private chunk(delta: Record<string, unknown>, finishReason: string | null = null) {
    return JSON.stringify({
      id: this.id,
      object: "chat.completion.chunk",
      created: this.created,
      model: answeredModel(this.call),
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      ...(this.includeUsage ? { usage: null } : {}),
    });
  }

  async open(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.sse.send(this.chunk({ role: "assistant", content: "" }));
  }

  async event(event: StreamEvent): Promise<void> {
    await this.open();
    switch (event.type) {
      case "text":
        return this.sse.send(this.chunk({ content: event.text }));
      case "tool_call_start":
        return this.sse.send(this.chunk({ tool_calls: [{ index: event.index, id: event.id, type: "function", function: { name: event.name, arguments: "" } }] }));
      case "tool_call_arguments":
        return this.sse.send(this.chunk({ tool_calls: [{ index: event.index, function: { arguments: event.arguments } }] }));
      case "finish":
        await this.sse.send(this.chunk({}, openAiFinishReason(event.finishReason)));
        if (this.includeUsage) {
          await this.sse.send(
            JSON.stringify({ id: this.id, object: "chat.completion.chunk", created: this.created, model: answeredModel(this.call), choices: [], usage: usageBody(event.usage) }),
          );
        }
        return this.sse.send("[DONE]");
    }
  }

  async error(error: GatewayError): Promise<void> {
    await this.sse.send(JSON.stringify(openAiError(error)));
  }
}

export const openAiDialect = (includeUsage: boolean): ApiDialect => ({
  completion: (call, response) => completionBody(completionId(), now(), answeredModel(call), response),
  streamWriter: (call, sse) => new ChunkWriter(call, sse, includeUsage),
});
