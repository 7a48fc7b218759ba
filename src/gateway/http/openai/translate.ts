import type { ChatMessage, ChatRequest, ChatResponse, FinishReason, ToolChoice } from "../../chat.js";
import type { ChatCompletionBody } from "./request-schema.js";

const textOf = (content: string | { text: string }[] | null | undefined): string =>
  typeof content === "string" ? content : (content ?? []).map((p) => p.text).join("");

function toolChoiceOf(choice: ChatCompletionBody["tool_choice"]): ToolChoice | undefined {
  if (choice === undefined || typeof choice === "string") return choice;
  return { name: choice.function.name };
}

/** The neutral request for an OpenAI chat completion body. */
export function toChatRequest(body: ChatCompletionBody): ChatRequest {
  const messages: ChatMessage[] = body.messages.map((m) => {
    switch (m.role) {
      case "system":
      case "developer":
        return { role: "system", content: textOf(m.content) };
      case "user":
        return { role: "user", content: textOf(m.content) };
      case "assistant":
        return {
          role: "assistant",
          content: textOf(m.content),
          toolCalls: m.tool_calls?.map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
        };
      case "tool":
        return { role: "tool", content: textOf(m.content), toolCallId: m.tool_call_id };
    }
  });
  const format = body.response_format;
  return {
    messages,
    maxTokens: body.max_completion_tokens ?? body.max_tokens ?? undefined,
    temperature: body.temperature ?? undefined,
    topP: body.top_p ?? undefined,
    stop: body.stop === null || body.stop === undefined ? undefined : typeof body.stop === "string" ? [body.stop] : body.stop,
    tools: body.tools?.map((t) => ({ name: t.function.name, description: t.function.description, parameters: t.function.parameters ?? { type: "object", properties: {} } })),
    toolChoice: toolChoiceOf(body.tool_choice),
    responseFormat:
      format?.type === "json_schema"
        ? { type: "json_schema", name: format.json_schema.name, schema: format.json_schema.schema ?? {}, strict: format.json_schema.strict ?? undefined }
        : format,
  };
}

export const openAiFinishReason = (reason: FinishReason): string => reason;

export function usageBody(usage: ChatResponse["usage"]) {
  return { prompt_tokens: usage.inputTokens, completion_tokens: usage.outputTokens, total_tokens: usage.inputTokens + usage.outputTokens };
}

/** The chat.completion object for a neutral response. */
export function completionBody(id: string, created: number, model: string, response: ChatResponse) {
  const toolCalls = response.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
  return {
    id,
    object: "chat.completion",
    created,
    model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant",
          content: toolCalls.length > 0 && response.content === "" ? null : response.content,
          refusal: null,
          ...(toolCalls.length > 0 ? { tool_calls: toolCalls } : {}),
        },
        logprobs: null,
        finish_reason: openAiFinishReason(response.finishReason),
      },
    ],
    usage: usageBody(response.usage),
  };
}
