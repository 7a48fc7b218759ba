import { z } from "zod";
import { templateSchema } from "../call-headers.js";

/** POST /v1/messages, as far as Gatehouse supports it; unknown fields are ignored, known ones checked. */
const textBlock = z.object({ type: z.literal("text"), text: z.string() });
const toolUseBlock = z.object({ type: z.literal("tool_use"), id: z.string().min(1), name: z.string().min(1), input: z.record(z.string(), z.unknown()) });
const toolResultBlock = z.object({
  type: z.literal("tool_result"),
  tool_use_id: z.string().min(1),
  content: z.union([z.string(), z.array(textBlock)]).optional(),
  is_error: z.boolean().optional(),
});
const block = z.discriminatedUnion("type", [textBlock, toolUseBlock, toolResultBlock], {
  error: "only text, tool_use and tool_result content blocks are supported",
});

const message = z.object({
  role: z.enum(["user", "assistant"]),
  content: z.union([z.string(), z.array(block).min(1)]),
});

const tool = z.object({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, "must be 1-64 letters, digits, _ or -"),
  description: z.string().max(10_000).optional(),
  input_schema: z.record(z.string(), z.unknown()),
});

const toolChoice = z.discriminatedUnion("type", [
  z.object({ type: z.literal("auto") }),
  z.object({ type: z.literal("any") }),
  z.object({ type: z.literal("none") }),
  z.object({ type: z.literal("tool"), name: z.string().min(1) }),
]);

export const messagesSchema = z.object({
  model: z.string().min(1).max(256),
  max_tokens: z.number().int().min(1),
  messages: z.array(message).min(1, "must hold at least one message"),
  system: z.union([z.string(), z.array(textBlock)]).optional(),
  stream: z.boolean().optional(),
  temperature: z.number().min(0).max(1).optional(),
  top_p: z.number().min(0).max(1).optional(),
  stop_sequences: z.array(z.string()).max(16).optional(),
  tools: z.array(tool).max(128).optional(),
  tool_choice: toolChoice.optional(),
  metadata: z.object({ user_id: z.string().max(256).nullable().optional() }).optional(),
  gatehouse_template: templateSchema.optional(),
});

export type MessagesBody = z.output<typeof messagesSchema>;
