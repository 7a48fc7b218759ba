import type { ChatRequest, ChatResponse, StreamEvent, ToolCall } from "../../chat.js";
import { UpstreamError } from "../../routing/upstream-error.js";
import type { UpstreamPools } from "../pools.js";
import type { Provider, UpstreamTarget } from "../provider.js";
import { parseEventData, postJson, primed, readJson, readSse } from "../upstream-http.js";
import { parseWire } from "../wire.js";
import { finishReasonOf, messageSchema, requestBody, streamEventSchema } from "./wire-format.js";

export const anthropicVersion = "2023-06-01";

/** Anthropic's /v1/messages. */
export class AnthropicProvider implements Provider {
  constructor(private readonly options: { pools: UpstreamPools; timeoutMs: number }) {}

  private headers(target: UpstreamTarget): Record<string, string> {
    return { "anthropic-version": anthropicVersion, ...(target.credential ? { "x-api-key": target.credential } : {}) };
  }

  async complete(target: UpstreamTarget, request: ChatRequest): Promise<ChatResponse> {
    const { pools, timeoutMs } = this.options;
    const response = await postJson(pools, target, "/messages", this.headers(target), requestBody(target.upstreamModel, request, false), timeoutMs);
    const answer = parseWire(target, messageSchema, await readJson(target, response), "message");
    let content = "";
    const toolCalls: ToolCall[] = [];
    for (const block of answer.content) {
      if ("text" in block) content += block.text;
      else if ("id" in block && "name" in block) toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input ?? {}) });
    }
    return {
      model: answer.model,
      content,
      toolCalls,
      finishReason: finishReasonOf(answer.stop_reason),
      usage: { inputTokens: answer.usage.input_tokens, outputTokens: answer.usage.output_tokens },
    };
  }

  async stream(target: UpstreamTarget, request: ChatRequest): Promise<AsyncIterable<StreamEvent>> {
    const { pools, timeoutMs } = this.options;
    const response = await postJson(pools, target, "/messages", this.headers(target), requestBody(target.upstreamModel, request, true), timeoutMs);
    return primed(target, this.events(target, readSse(target, response)));
  }

  private async *events(target: UpstreamTarget, messages: AsyncIterable<{ data: string }>): AsyncGenerator<StreamEvent> {
    const usage = { inputTokens: 0, outputTokens: 0 };
    let stopReason: string | null | undefined;
    /** Content block index → tool call index, for tool_use blocks. */
    const toolIndex = new Map<number, number>();
    for await (const message of messages) {
      const event = parseWire(target, streamEventSchema, parseEventData(target, message.data), "stream event");
      switch (event.type) {
        case "message_start":
          usage.inputTokens = event.message.usage?.input_tokens ?? 0;
          usage.outputTokens = event.message.usage?.output_tokens ?? 0;
          break;
        case "content_block_start": {
          const block = event.content_block;
          if ("id" in block && "name" in block) {
            const index = toolIndex.size;
            toolIndex.set(event.index, index);
            yield { type: "tool_call_start", index, id: block.id, name: block.name };
          } else if ("text" in block && block.text) {
            yield { type: "text", text: block.text };
          }
          break;
        }
        case "content_block_delta": {
          const delta = event.delta;
          if ("text" in delta) yield { type: "text", text: delta.text };
          else if ("partial_json" in delta) {
            const index = toolIndex.get(event.index);
            if (index === undefined) throw new UpstreamError("malformed", target.name, `upstream ${target.name} streamed tool input for a block that is not a tool call`);
            yield { type: "tool_call_arguments", index, arguments: delta.partial_json };
          }
          break;
        }
        case "message_delta":
          if (event.delta.stop_reason) stopReason = event.delta.stop_reason;
          if (event.usage?.output_tokens !== undefined) usage.outputTokens = event.usage.output_tokens;
          if (event.usage?.input_tokens !== undefined) usage.inputTokens = event.usage.input_tokens;
          break;
        case "message_stop":
          yield { type: "finish", finishReason: finishReasonOf(stopReason), usage };
          return;
        case "error":
          throw new UpstreamError("stream_broken", target.name, `upstream ${target.name} reported ${event.error.type}: ${event.error.message}`);
        default:
          break;
      }
    }
    throw new UpstreamError("stream_broken", target.name, `upstream ${target.name}: the stream ended without message_stop`);
  }
}
