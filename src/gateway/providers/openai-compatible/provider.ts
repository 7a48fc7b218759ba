import type { ChatRequest, ChatResponse, StreamEvent } from "../../chat.js";
import { UpstreamError } from "../../routing/upstream-error.js";
import type { UpstreamPools } from "../pools.js";
import type { Provider, UpstreamTarget } from "../provider.js";
import { parseEventData, postJson, primed, readJson, readSse } from "../upstream-http.js";
import { parseWire } from "../wire.js";
import { chunkSchema, completionSchema, finishReasonOf, logprobsOf, requestBody } from "./wire-format.js";

export interface OpenAiCompatibleOptions {
  pools: UpstreamPools;
  timeoutMs: number;
  /** How the credential is presented: OpenAI, vLLM and Ollama take a bearer token, Azure OpenAI an api-key header. */
  auth: "bearer" | "api-key";
}

/** OpenAI's /chat/completions, as spoken by OpenAI, Azure OpenAI, vLLM, Ollama and the like. */
export class OpenAiCompatibleProvider implements Provider {
  constructor(private readonly options: OpenAiCompatibleOptions) {}

  private headers(target: UpstreamTarget): Record<string, string> {
    if (!target.credential) return {};
    return this.options.auth === "bearer" ? { authorization: `Bearer ${target.credential}` } : { "api-key": target.credential };
  }

  async complete(target: UpstreamTarget, request: ChatRequest): Promise<ChatResponse> {
    const { pools, timeoutMs } = this.options;
    const response = await postJson(pools, target, "/chat/completions", this.headers(target), requestBody(target.upstreamModel, request, false), timeoutMs);
    const answer = parseWire(target, completionSchema, await readJson(target, response), "chat completion");
    const choice = answer.choices[0];
    if (!choice) throw new UpstreamError("malformed", target.name, `upstream ${target.name} answered without a choice`);
    const logprobs = logprobsOf(choice.logprobs);
    return {
      model: answer.model,
      content: choice.message.content ?? "",
      toolCalls: (choice.message.tool_calls ?? []).map((c) => ({ id: c.id, name: c.function.name, arguments: c.function.arguments })),
      finishReason: finishReasonOf(choice.finish_reason),
      usage: { inputTokens: answer.usage?.prompt_tokens ?? 0, outputTokens: answer.usage?.completion_tokens ?? 0 },
      ...(logprobs ? { logprobs } : {}),
    };
  }

  async stream(target: UpstreamTarget, request: ChatRequest): Promise<AsyncIterable<StreamEvent>> {
    const { pools, timeoutMs } = this.options;
    const response = await postJson(pools, target, "/chat/completions", this.headers(target), requestBody(target.upstreamModel, request, true), timeoutMs);
    return primed(target, this.events(target, readSse(target, response)));
  }

  private async *events(target: UpstreamTarget, messages: AsyncIterable<{ data: string }>): AsyncGenerator<StreamEvent> {
    let finishReason: string | null | undefined;
    let usage = { inputTokens: 0, outputTokens: 0 };
    const started = new Set<number>();
    for await (const message of messages) {
      if (message.data === "[DONE]") {
        yield { type: "finish", finishReason: finishReasonOf(finishReason), usage };
        return;
      }
      const chunk = parseWire(target, chunkSchema, parseEventData(target, message.data), "stream chunk");
      if (chunk.usage) usage = { inputTokens: chunk.usage.prompt_tokens, outputTokens: chunk.usage.completion_tokens };
      for (const choice of chunk.choices) {
        if (choice.finish_reason) finishReason = choice.finish_reason;
        const delta = choice.delta;
        if (delta?.content) {
          const logprobs = logprobsOf(choice.logprobs);
          yield logprobs ? { type: "text", text: delta.content, logprobs } : { type: "text", text: delta.content };
        }
        for (const call of delta?.tool_calls ?? []) {
          if (!started.has(call.index)) {
            if (!call.id || !call.function?.name) {
              throw new UpstreamError("malformed", target.name, `upstream ${target.name} streamed a tool call without an id or name`);
            }
            started.add(call.index);
            yield { type: "tool_call_start", index: call.index, id: call.id, name: call.function.name };
          }
          if (call.function?.arguments) yield { type: "tool_call_arguments", index: call.index, arguments: call.function.arguments };
        }
      }
    }
    throw new UpstreamError("stream_broken", target.name, `upstream ${target.name}: the stream ended without [DONE]`);
  }
}
