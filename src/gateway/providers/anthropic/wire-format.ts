import { z } from "zod";
import type { ChatMessage, ChatRequest, FinishReason, ToolChoice } from "../../chat.js";
import { parseJson } from "../../../shared/json.js";

/** The Anthropic Messages wire format, as far as Gatehouse reads it from upstreams. */
const usage = z.object({ input_tokens: z.number().int().min(0), output_tokens: z.number().int().min(0) });

const textBlock = z.object({ type: z.literal("text"), text: z.string() });
const toolUseBlock = z.object({ type: z.literal("tool_use"), id: z.string(), name: z.string(), input: z.unknown() });
const otherBlock = z.object({ type: z.string() });

export const messageSchema = z.object({
  type: z.literal("message"),
  model: z.string(),
  content: z.array(z.union([textBlock, toolUseBlock, otherBlock])),
  stop_reason: z.string().nullable(),
  usage,
});

export const streamEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("message_start"), message: z.object({ model: z.string(), usage: usage.partial().optional() }) }),
  z.object({ type: z.literal("content_block_start"), index: z.number().int().min(0), content_block: z.union([textBlock, toolUseBlock, otherBlock]) }),
  z.object({
    type: z.literal("content_block_delta"),
    index: z.number().int().min(0),
    delta: z.union([
      z.object({ type: z.literal("text_delta"), text: z.string() }),
      z.object({ type: z.literal("input_json_delta"), partial_json: z.string() }),
      z.object({ type: z.string() }),
    ]),
  }),
  z.object({ type: z.literal("content_block_stop"), index: z.number().int().min(0) }),
  z.object({
    type: z.literal("message_delta"),
    delta: z.object({ stop_reason: z.string().nullable().optional() }),
    usage: usage.partial().optional(),
  }),
  z.object({ type: z.literal("message_stop") }),
  z.object({ type: z.literal("ping") }),
  z.object({ type: z.literal("error"), error: z.object({ type: z.string(), message: z.string() }) }),
]);

export function finishReasonOf(reason: string | null | undefined): FinishReason {
  if (reason === "max_tokens") return "length";
  if (reason === "tool_use") return "tool_calls";
  return "stop";
}

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: "user" | "assistant";
  content: Block[];
}

function blocksOf(message: ChatMessage): Block[] {
  if (message.role === "tool") return [{ type: "tool_result", tool_use_id: message.toolCallId, content: message.content }];
  const blocks: Block[] = message.content ? [{ type: "text", text: message.content }] : [];
  for (const call of message.toolCalls ?? []) {
    let input: unknown = {};
    try {
      input = parseJson(call.arguments || "{}");
    } catch {
      input = {};
    }
    blocks.push({ type: "tool_use", id: call.id, name: call.name, input });
  }
  return blocks;
}

function toolChoiceBody(choice: ToolChoice): Block {
  if (choice === "auto") return { type: "auto" };
  if (choice === "none") return { type: "none" };
  if (choice === "required") return { type: "any" };
  return { type: "tool", name: choice.name };
}

/** The upstream request body for a neutral request: system text apart, consecutive turns of one role merged. */
export function requestBody(upstreamModel: string, request: ChatRequest, stream: boolean): Record<string, unknown> {
  const system: string[] = [];
  const messages: AnthropicMessage[] = [];
  for (const message of request.messages) {
    if (message.role === "system") {
      system.push(message.content);
      continue;
    }
    const role = message.role === "assistant" ? "assistant" : "user";
    const last = messages[messages.length - 1];
    if (last && last.role === role) last.content.push(...blocksOf(message));
    else messages.push({ role, content: blocksOf(message) });
  }
  const format = request.responseFormat;
  if (format?.type === "json_schema") system.push(`Answer with one JSON value that matches this JSON Schema: ${JSON.stringify(format.schema)}`);
  else if (format?.type === "json_object") system.push("Answer with one JSON object.");

  const body: Record<string, unknown> = { model: upstreamModel, max_tokens: request.maxTokens ?? 1024, messages };
  if (system.length) body.system = system.join("\n\n");
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop_sequences = request.stop;
  if (request.tools?.length) body.tools = request.tools.map((t) => ({ name: t.name, description: t.description, input_schema: t.parameters }));
  if (request.toolChoice) body.tool_choice = toolChoiceBody(request.toolChoice);
  if (stream) body.stream = true;
  return body;
}
