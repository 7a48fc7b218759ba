import { z } from "zod";
import type { ChatMessage, ChatRequest, FinishReason, ToolChoice } from "../../chat.js";

/** The OpenAI chat completions wire format, as far as Gatehouse reads it from upstreams. */
const toolCall = z.object({
  id: z.string(),
  type: z.literal("function").optional(),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

const usage = z.object({ prompt_tokens: z.number().int().min(0), completion_tokens: z.number().int().min(0) });

/** Token log-probabilities of the content (`logprobs: true`); only the numbers are read. */
const logprobs = z.object({ content: z.array(z.object({ logprob: z.number() })).nullable().optional() }).nullable().optional();

export const logprobsOf = (value: z.output<typeof logprobs>): number[] | undefined => value?.content?.map((t) => t.logprob);

export const completionSchema = z.object({
  model: z.string(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: z.string().nullable().optional(), tool_calls: z.array(toolCall).nullable().optional() }),
        finish_reason: z.string().nullable(),
        logprobs,
      }),
    )
    .min(1),
  usage: usage.optional(),
});

export const chunkSchema = z.object({
  model: z.string().optional(),
  choices: z.array(
    z.object({
      delta: z
        .object({
          content: z.string().nullable().optional(),
          tool_calls: z
            .array(
              z.object({
                index: z.number().int().min(0),
                id: z.string().optional(),
                function: z.object({ name: z.string().optional(), arguments: z.string().optional() }).optional(),
              }),
            )
            .nullable()
            .optional(),
        })
        .optional(),
      finish_reason: z.string().nullable().optional(),
      logprobs,
    }),
  ),
  usage: usage.nullable().optional(),
});

export function finishReasonOf(reason: string | null | undefined): FinishReason {
  if (reason === "length") return "length";
  if (reason === "tool_calls" || reason === "function_call") return "tool_calls";
  return "stop";
}

function messageBody(message: ChatMessage): Record<string, unknown> {
  if (message.role === "tool") return { role: "tool", content: message.content, tool_call_id: message.toolCallId };
  const body: Record<string, unknown> = { role: message.role, content: message.content };
  if (message.toolCalls?.length) {
    body.tool_calls = message.toolCalls.map((c) => ({ id: c.id, type: "function", function: { name: c.name, arguments: c.arguments } }));
    if (message.content === "") body.content = null;
  }
  return body;
}

function toolChoiceBody(choice: ToolChoice): unknown {
  return typeof choice === "string" ? choice : { type: "function", function: { name: choice.name } };
}

/** The upstream request body for a neutral request. */
export function requestBody(upstreamModel: string, request: ChatRequest, stream: boolean): Record<string, unknown> {
  const body: Record<string, unknown> = { model: upstreamModel, messages: request.messages.map(messageBody) };
  if (request.maxTokens !== undefined) body.max_tokens = request.maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.stop?.length) body.stop = request.stop;
  if (request.tools?.length) {
    body.tools = request.tools.map((t) => ({ type: "function", function: { name: t.name, description: t.description, parameters: t.parameters } }));
  }
  if (request.toolChoice) body.tool_choice = toolChoiceBody(request.toolChoice);
  if (request.logprobs) body.logprobs = true;
  const format = request.responseFormat;
  if (format?.type === "json_schema") {
    body.response_format = { type: "json_schema", json_schema: { name: format.name, schema: format.schema, strict: format.strict } };
  } else if (format) {
    body.response_format = { type: format.type };
  }
  if (stream) {
    body.stream = true;
    body.stream_options = { include_usage: true };
  }
  return body;
}
