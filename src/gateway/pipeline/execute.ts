import type { ChatResponse, StreamEvent } from "../chat.js";
import type { ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

/**
 * The seam for routing: sends a decided call to an upstream. Sets call.served to the model that
 * answered (and the attempts it took); throws UpstreamError or GatehouseError when none did.
 */
export interface ModelRouter {
  complete(call: ModelCall): Promise<ChatResponse>;
  /** Resolves once an upstream has started the stream (its first event is in hand). */
  stream(call: ModelCall): Promise<AsyncIterable<StreamEvent>>;
}

export class ExecuteStage implements Stage {
  readonly name = "execute";

  constructor(private readonly router: ModelRouter) {}

  async run(call: ModelCall): Promise<void> {
    if (call.input.stream) call.stream = await this.router.stream(call);
    else call.completion = await this.router.complete(call);
  }
}
