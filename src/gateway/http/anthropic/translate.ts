import type { ChatMessage, ChatRequest, ChatResponse, FinishReason, ToolChoice } from "../../chat.js";
import { parseJson } from "../../../shared/json.js";
import type { MessagesBody } from "./request-schema.js";

const textOf = (content: string | { text: string }[] | undefined): string =>
  typeof content === "string" ? content : (content ?? []).map((b) => b.text).join("");

/** One Anthropic message may carry several neutral ones: tool results become tool messages of their own. */
function toMessages(message: MessagesBody["messages"][number]): ChatMessage[] {
  if (typeof message.content === "string") return [{ role: message.role, content: message.content }];
  const out: ChatMessage[] = [];
  let text = "";
  const toolCalls: NonNullable<ChatMessage["toolCalls"]> = [];
  for (const block of message.content) {
    if (block.type === "text") text += block.text;
    else if (block.type === "tool_use") toolCalls.push({ id: block.id, name: block.name, arguments: JSON.stringify(block.input) });
    else out.push({ role: "tool", content: textOf(block.content), toolCallId: block.tool_use_id });
  }
  if (text || toolCalls.length > 0 || out.length === 0) {
    out.push({ role: message.role, content: text, ...(toolCalls.length > 0 ? { toolCalls } : {}) });
  }
  return out;
}

function toolChoiceOf(choice: MessagesBody["tool_choice"]): ToolChoice | undefined {
  if (!choice) return undefined;
  if (choice.type === "tool") return { name: choice.name };
  return choice.type === "any" ? "required" : choice.type;
}

/** The neutral request for an Anthropic Messages body. */
export function toChatRequest(body: MessagesBody): ChatRequest {
  const system = textOf(body.system);
  return {
    messages: [...(system ? [{ role: "system" as const, content: system }] : []), ...body.messages.flatMap(toMessages)],
    maxTokens: body.max_tokens,
    temperature: body.temperature,
    topP: body.top_p,
    stop: body.stop_sequences,
    tools: body.tools?.map((t) => ({ name: t.name, description: t.description, parameters: t.input_schema })),
    toolChoice: toolChoiceOf(body.tool_choice),
  };
}

export function stopReasonOf(reason: FinishReason): string {
  if (reason === "length") return "max_tokens";
  if (reason === "tool_calls") return "tool_use";
  return "end_turn";
}

export function toolInput(args: string): unknown {
  try {
    return parseJson(args || "{}");
  } catch {
    return {};
  }
}

/** The message object for a neutral response. */
export function messageBody(id: string, model: string, response: ChatResponse) {
  return {
    id,
    type: "message",
    role: "assistant",
    model,
    content: [
      ...(response.content ? [{ type: "text", text: response.content }] : []),
      ...response.toolCalls.map((c) => ({ type: "tool_use", id: c.id, name: c.name, input: toolInput(c.arguments) })),
    ],
    stop_reason: stopReasonOf(response.finishReason),
    stop_sequence: null,
    usage: { input_tokens: response.usage.inputTokens, output_tokens: response.usage.outputTokens },
  };
}
