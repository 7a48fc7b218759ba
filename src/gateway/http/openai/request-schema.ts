import { z } from "zod";
import { templateSchema } from "../call-headers.js";

/** POST /v1/chat/completions, as far as Gatehouse supports it; unknown fields are ignored, known ones checked. */
const textPart = z.object({ type: z.literal("text"), text: z.string() });
const text = z.union([z.string(), z.array(textPart, { error: "only text content parts are supported" })]);

const toolCall = z.object({
  id: z.string().min(1),
  type: z.literal("function"),
  function: z.object({ name: z.string().min(1), arguments: z.string() }),
});

const message = z.discriminatedUnion("role", [
  z.object({ role: z.literal("system"), content: text }),
  z.object({ role: z.literal("developer"), content: text }),
  z.object({ role: z.literal("user"), content: text }),
  z.object({ role: z.literal("assistant"), content: text.nullable().optional(), tool_calls: z.array(toolCall).optional() }),
  z.object({ role: z.literal("tool"), content: text, tool_call_id: z.string().min(1) }),
]);

const tool = z.object({
  type: z.literal("function"),
  function: z.object({
    name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
    description: z.string().max(10_000).optional(),
    parameters: z.record(z.string(), z.unknown()).optional(),
    strict: z.boolean().nullable().optional(),
  }),
});

const responseFormat = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text") }),
  z.object({ type: z.literal("json_object") }),
  z.object({
    type: z.literal("json_schema"),
    json_schema: z.object({
      name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullable().optional(),
    }),
  }),
]);

export const chatCompletionSchema = z
  .object({
    model: z.string().min(1).max(256),
    messages: z.array(message).min(1, "must hold at least one message"),
    stream: z.boolean().nullable().optional(),
    stream_options: z.object({ include_usage: z.boolean().optional() }).strict().nullable().optional(),
    max_tokens: z.number().int().min(1).nullable().optional(),
    max_completion_tokens: z.number().int().min(1).nullable().optional(),
    temperature: z.number().min(0).max(2).nullable().optional(),
    top_p: z.number().min(0).max(1).nullable().optional(),
    n: z.literal(1, { error: "only n = 1 is supported" }).nullable().optional(),
    stop: z.union([z.string(), z.array(z.string()).max(4)]).nullable().optional(),
    tools: z.array(tool).max(128).optional(),
    tool_choice: z
      .union([z.enum(["auto", "none", "required"]), z.object({ type: z.literal("function"), function: z.object({ name: z.string().min(1) }) })])
      .optional(),
    response_format: responseFormat.optional(),
    gatehouse_template: templateSchema.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.stream_options && body.stream !== true) {
      ctx.addIssue({ code: "custom", path: ["stream_options"], message: "is only allowed when stream is true" });
    }
  });

export type ChatCompletionBody = z.output<typeof chatCompletionSchema>;
