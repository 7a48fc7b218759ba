/**
 * The neutral chat format. Both endpoints translate to and from it, and every provider speaks
 * it, so an endpoint never knows which upstream served it and a provider never knows which API
 * the caller used.
 */
export type Role = "system" | "user" | "assistant" | "tool";

export interface ToolCall {
  id: string;
  name: string;
  /** The arguments as the JSON text the model produced. */
  arguments: string;
}

export interface ChatMessage {
  role: Role;
  content: string;
  /** For assistant messages: the tools the model asked to call. */
  toolCalls?: ToolCall[];
  /** For tool messages: the call this message answers. */
  toolCallId?: string;
}

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
}

export type ToolChoice = "auto" | "none" | "required" | { name: string };

export type ResponseFormat = { type: "text" } | { type: "json_object" } | { type: "json_schema"; name: string; schema: Record<string, unknown>; strict?: boolean };

export interface ChatRequest {
  messages: ChatMessage[];
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  stop?: string[];
  tools?: ToolDefinition[];
  toolChoice?: ToolChoice;
  responseFormat?: ResponseFormat;
  /** Ask the upstream for token log-probabilities (the confidence guard sets this; providers that have none ignore it). */
  logprobs?: boolean;
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export type FinishReason = "stop" | "length" | "tool_calls";

export interface ChatResponse {
  /** The upstream's own model name, as it reported it. */
  model: string;
  content: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  /** The answer's token log-probabilities, when they were asked for and the upstream gave them. */
  logprobs?: number[];
}

/** One step of a streamed answer; a stream ends with exactly one `finish`. */
export type StreamEvent =
  | { type: "text"; text: string; logprobs?: number[] }
  | { type: "tool_call_start"; index: number; id: string; name: string }
  | { type: "tool_call_arguments"; index: number; arguments: string }
  | { type: "finish"; finishReason: FinishReason; usage: Usage };

/** Folds stream events into the response they add up to (what output guards and the record see). */
export class ResponseAssembler {
  private content = "";
  private readonly toolCalls: ToolCall[] = [];
  private finish: Extract<StreamEvent, { type: "finish" }> | undefined;

  constructor(private readonly model: string) {}

  add(event: StreamEvent): void {
    switch (event.type) {
      case "text":
        this.content += event.text;
        break;
      case "tool_call_start":
        this.toolCalls[event.index] = { id: event.id, name: event.name, arguments: "" };
        break;
      case "tool_call_arguments": {
        const call = this.toolCalls[event.index];
        if (call) call.arguments += event.arguments;
        break;
      }
      case "finish":
        this.finish = event;
        break;
    }
  }

  response(): ChatResponse {
    return {
      model: this.model,
      content: this.content,
      toolCalls: this.toolCalls.filter((c) => c !== undefined),
      finishReason: this.finish?.finishReason ?? "stop",
      usage: this.finish?.usage ?? { inputTokens: 0, outputTokens: 0 },
    };
  }
}
