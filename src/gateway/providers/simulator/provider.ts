import { createHash } from "node:crypto";
import type { ChatRequest, ChatResponse, FinishReason, StreamEvent, ToolCall } from "../../chat.js";
import type { Provider, UpstreamTarget } from "../provider.js";
import { sampleValue } from "./sample-value.js";
import { countTokens, estimateInputTokens, tokenPieces } from "../../tokens.js";

export const simulatorName = "Gatehouse simulator";

/**
 * A built-in model that needs no network: it answers deterministically from the request, says
 * that it is a simulator, calls tools and follows response formats, and counts tokens with a
 * fixed tokeniser. It serves the demo's `demo` model.
 */
export class SimulatorProvider implements Provider {
  async complete(target: UpstreamTarget, request: ChatRequest): Promise<ChatResponse> {
    return simulate(target, request);
  }

  async stream(target: UpstreamTarget, request: ChatRequest): Promise<AsyncIterable<StreamEvent>> {
    const answer = simulate(target, request);
    return (async function* () {
      for (const piece of tokenPieces(answer.content)) yield { type: "text", text: piece } satisfies StreamEvent;
      for (const [index, call] of answer.toolCalls.entries()) {
        yield { type: "tool_call_start", index, id: call.id, name: call.name } satisfies StreamEvent;
        yield { type: "tool_call_arguments", index, arguments: call.arguments } satisfies StreamEvent;
      }
      yield { type: "finish", finishReason: answer.finishReason, usage: answer.usage } satisfies StreamEvent;
    })();
  }
}

function simulate(target: UpstreamTarget, request: ChatRequest): ChatResponse {
  const inputTokens = estimateInputTokens(request.messages);
  const toolCalls = plannedToolCalls(request);
  let content = toolCalls.length > 0 ? "" : answerText(request);
  let finishReason: FinishReason = toolCalls.length > 0 ? "tool_calls" : "stop";
  if (request.maxTokens !== undefined && countTokens(content) > request.maxTokens) {
    content = tokenPieces(content).filter((p) => countTokens(p) > 0).slice(0, request.maxTokens).join("");
    finishReason = "length";
  }
  const outputTokens = countTokens(content) + toolCalls.reduce((sum, c) => sum + countTokens(c.name) + countTokens(c.arguments), 0);
  return { model: target.upstreamModel, content, toolCalls, finishReason, usage: { inputTokens, outputTokens } };
}

/** Calls a tool when tools are offered and the last turn is not already a tool's answer. */
function plannedToolCalls(request: ChatRequest): ToolCall[] {
  const tools = request.tools ?? [];
  const last = request.messages[request.messages.length - 1];
  if (tools.length === 0 || request.toolChoice === "none" || last?.role === "tool") return [];
  const choice = request.toolChoice;
  const tool = typeof choice === "object" ? tools.find((t) => t.name === choice.name) : tools[0];
  if (!tool) return [];
  const id = "call_sim_" + createHash("sha256").update(JSON.stringify(request.messages)).digest("hex").slice(0, 16);
  return [{ id, name: tool.name, arguments: JSON.stringify(sampleValue({ type: "object", ...tool.parameters })) }];
}

function answerText(request: ChatRequest): string {
  const format = request.responseFormat;
  if (format?.type === "json_schema") return JSON.stringify(sampleValue(format.schema));
  const lastUser = [...request.messages].reverse().find((m) => m.role === "user" || m.role === "tool");
  const said = (lastUser?.content ?? "").replace(/\s+/g, " ").trim();
  const echo = said.length > 200 ? `${said.slice(0, 200)}…` : said;
  if (format?.type === "json_object") return JSON.stringify({ simulator: simulatorName, echo });
  if (lastUser?.role === "tool") return `This is the ${simulatorName}, not a real model. The tool answered: ${echo}`;
  return `This is the ${simulatorName}, not a real model. You said: ${echo}`;
}
