import type { ChatRequest, ChatResponse, ResponseFormat, StreamEvent } from "../../gateway/chat.js";
import type { ModelRouter } from "../../gateway/pipeline/execute.js";
import type { OutputGuard } from "../../gateway/pipeline/guard.js";
import type { ModelCall } from "../../gateway/pipeline/model-call.js";
import { GatehouseError } from "../../shared/errors.js";
import { noteFinding } from "./findings.js";
import { SchemaValidators } from "./schema-validators.js";
import { outputGuardSettingsOf } from "./settings.js";
import { timed } from "./timing.js";

const isJson = (format: ResponseFormat | undefined): format is Exclude<ResponseFormat, { type: "text" }> =>
  format?.type === "json_object" || format?.type === "json_schema";

/** An answer made of tool calls has no structured text to check. */
const hasStructuredText = (response: Pick<ChatResponse, "content" | "toolCalls">): boolean =>
  response.content.trim() !== "" || response.toolCalls.length === 0;

/** The character a JSON answer must start with, when the format says (an object, or the schema's array). */
function openingOf(format: Exclude<ResponseFormat, { type: "text" }>): string | undefined {
  if (format.type === "json_object") return "{";
  const type = format.schema.type;
  return type === "object" ? "{" : type === "array" ? "[" : undefined;
}

export function repairRequest(request: ChatRequest, answer: string, errors: readonly string[]): ChatRequest {
  const problems = errors.map((e) => `- ${e}`).join("\n");
  return {
    ...request,
    messages: [
      ...request.messages,
      { role: "assistant", content: answer },
      {
        role: "user",
        content: `Your answer does not match the required JSON schema:\n${problems}\nAnswer again with only the corrected JSON, nothing before or after it.`,
      },
    ],
  };
}

const failure = (errors: readonly string[], repaired: boolean): GatehouseError =>
  new GatehouseError(
    "upstream_failed",
    `the model's answer does not match the requested response_format${repaired ? " after a repair attempt" : ""}: ${errors.join("; ")}`,
  );

/**
 * Structured outputs: an answer to a call with response_format json_schema (or json_object) must
 * be JSON that matches it (ajv). A complete answer that does not is sent back to the model once
 * with the validation errors (`guards.output.schemaRepairRetries`, default 1) and the caller gets
 * the repaired answer, both attempts' tokens counted; if that fails too, or no retry is allowed,
 * the call fails with 502 naming the errors. A schema that cannot be compiled is refused (400)
 * before the upstream is called. A stream cannot be taken back, so it is not repaired: it is cut
 * as soon as its first character cannot start the required JSON, and its end is held until the
 * whole answer has been checked (an error event instead of the end when it fails).
 */
export class JsonSchemaGuard implements OutputGuard {
  readonly name = "json-schema";

  constructor(
    private readonly router: ModelRouter,
    private readonly validators = new SchemaValidators(),
  ) {}

  async prepare(call: ModelCall): Promise<void> {
    const format = call.request.responseFormat;
    if (format?.type === "json_schema") this.validators.validatorFor(format.schema);
  }

  async inspect(call: ModelCall): Promise<void> {
    const format = call.request.responseFormat;
    const first = call.response;
    if (!isJson(format) || !first || !hasStructuredText(first)) return;
    const checked = this.validators.check(format, first.content);
    if (checked.valid) return;
    const retries = outputGuardSettingsOf(call.caller?.settings.guards?.output).schemaRepairRetries;
    if (retries === 0) {
      noteFinding(call, { guard: "json-schema", type: "SCHEMA_INVALID", action: "block", detail: checked.errors[0] });
      throw failure(checked.errors, false);
    }
    noteFinding(call, { guard: "json-schema", type: "SCHEMA_INVALID", action: "repair", detail: checked.errors[0] });
    const second = await this.repair(call, first, checked.errors);
    const rechecked = hasStructuredText(second) ? this.validators.check(format, second.content) : { valid: true as const };
    if (!rechecked.valid) {
      noteFinding(call, { guard: "json-schema", type: "SCHEMA_INVALID", action: "block", detail: rechecked.errors[0] });
      throw failure(rechecked.errors, true);
    }
  }

  /** Asks the model again with its answer and the errors; the call's answer, usage and attempts become both attempts'. */
  private async repair(call: ModelCall, first: ChatResponse, errors: readonly string[]): Promise<ChatResponse> {
    const request = call.request;
    const firstServed = call.served;
    call.request = repairRequest(request, first.content, errors);
    let second: ChatResponse;
    try {
      second = await this.router.complete(call);
    } finally {
      call.request = request;
      if (firstServed && call.served && call.served !== firstServed) {
        call.served = { ...call.served, attempts: [...firstServed.attempts, ...call.served.attempts] };
      }
    }
    const usage = { inputTokens: first.usage.inputTokens + second.usage.inputTokens, outputTokens: first.usage.outputTokens + second.usage.outputTokens };
    call.response = { ...second, usage };
    return call.response;
  }

  guardStream(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
    const format = call.request.responseFormat;
    return isJson(format) ? this.watch(call, events, format) : events;
  }

  private async *watch(call: ModelCall, events: AsyncIterable<StreamEvent>, format: Exclude<ResponseFormat, { type: "text" }>): AsyncGenerator<StreamEvent> {
    const opening = openingOf(format);
    let content = "";
    let toolCalls = 0;
    for await (const event of events) {
      if (event.type === "text") {
        const started = content.trim() !== "";
        content += event.text;
        const first = content.trimStart()[0];
        if (!started && opening && first !== undefined && first !== opening) {
          const errors = [`the answer does not start with '${opening}'`];
          noteFinding(call, { guard: "json-schema", type: "SCHEMA_INVALID", action: "block", detail: errors[0] });
          throw failure(errors, false);
        }
      } else if (event.type === "tool_call_start") {
        toolCalls++;
      } else if (event.type === "finish") {
        const structured = content.trim() !== "" || toolCalls === 0;
        const checked = structured ? timed(call, () => this.validators.check(format, content)) : { valid: true as const };
        if (!checked.valid) {
          noteFinding(call, { guard: "json-schema", type: "SCHEMA_INVALID", action: "block", detail: checked.errors[0] });
          throw failure(checked.errors, false);
        }
        yield event;
        return;
      }
      yield event;
    }
  }
}
