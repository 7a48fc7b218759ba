import { randomUUID } from "node:crypto";
import type { StreamEvent } from "../../chat.js";
import type { ModelCall } from "../../pipeline/model-call.js";
import type { GatewayError } from "../errors.js";
import { answeredModel, type ApiDialect, type StreamWriter } from "../run-call.js";
import type { SseStream } from "../sse.js";
import { anthropicError } from "./error-shape.js";
import { messageBody, stopReasonOf } from "./translate.js";

const messageId = (): string => `msg_${randomUUID().replace(/-/g, "")}`;

/**
 * message_start, then one content block per text run or tool call (content_block_start, deltas,
 * content_block_stop), then message_delta with the stop reason and usage, then message_stop.
 */
class MessageEventWriter implements StreamWriter {
  private readonly id = messageId();
  private started = false;
  private openBlock: { index: number; kind: "text" | "tool"; toolIndex?: number } | undefined;
  private nextBlock = 0;

  constructor(
    private readonly call: ModelCall,
    private readonly sse: SseStream,
  ) {}

  private send(type: string, data: Record<string, unknown>): Promise<void> {
    return this.sse.send(JSON.stringify({ type, ...data }), type);
  }

  async open(): Promise<void> {
    if (this.started) return;
    this.started = true;
    await this.send("message_start", {
      message: {
        id: this.id,
        type: "message",
        role: "assistant",
        model: answeredModel(this.call),
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: this.call.estimatedInputTokens ?? 0, output_tokens: 0 },
      },
    });
  }

  private async closeBlock(): Promise<void> {
    if (!this.openBlock) return;
    await this.send("content_block_stop", { index: this.openBlock.index });
    this.openBlock = undefined;
  }

  private async startBlock(kind: "text" | "tool", contentBlock: Record<string, unknown>, toolIndex?: number): Promise<number> {
    await this.closeBlock();
    const index = this.nextBlock++;
    this.openBlock = { index, kind, toolIndex };
    await this.send("content_block_start", { index, content_block: contentBlock });
    return index;
  }

  async event(event: StreamEvent): Promise<void> {
    await this.open();
    switch (event.type) {
      case "text": {
        const index = this.openBlock?.kind === "text" ? this.openBlock.index : await this.startBlock("text", { type: "text", text: "" });
        return this.send("content_block_delta", { index, delta: { type: "text_delta", text: event.text } });
      }
      case "tool_call_start":
        await this.startBlock("tool", { type: "tool_use", id: event.id, name: event.name, input: {} }, event.index);
        return;
      case "tool_call_arguments": {
        const block = this.openBlock;
        if (block?.kind !== "tool" || block.toolIndex !== event.index) return;
        return this.send("content_block_delta", { index: block.index, delta: { type: "input_json_delta", partial_json: event.arguments } });
      }
      case "finish":
        await this.closeBlock();
        await this.send("message_delta", {
          delta: { stop_reason: stopReasonOf(event.finishReason), stop_sequence: null },
          usage: { input_tokens: event.usage.inputTokens, output_tokens: event.usage.outputTokens },
        });
        return this.send("message_stop", {});
    }
  }

  async error(error: GatewayError): Promise<void> {
    await this.sse.send(JSON.stringify(anthropicError(error)), "error");
  }
}

export const anthropicDialect: ApiDialect = {
  completion: (call, response) => messageBody(messageId(), answeredModel(call), response),
  streamWriter: (call, sse) => new MessageEventWriter(call, sse),
};
