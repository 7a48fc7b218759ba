import type { StreamEvent } from "../chat.js";
import type { OutputGuard } from "./guard.js";
import type { ModelCall } from "./model-call.js";
import type { OutputStage } from "./stage.js";

/**
 * Runs the output guards in order. A complete answer is inspected in call.response; a stream
 * passes through each guard's guardStream while it arrives (a guard without one inspects the
 * assembled answer before the stream's end is sent).
 */
export class InspectOutputStage implements OutputStage {
  readonly name = "inspect_output";

  constructor(private readonly guards: readonly OutputGuard[]) {}

  async prepare(call: ModelCall): Promise<void> {
    for (const guard of this.guards) await guard.prepare?.(call);
  }

  guardStream(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
    return this.guards.reduce((stream, guard) => guard.guardStream?.(call, stream) ?? stream, events);
  }

  async run(call: ModelCall): Promise<void> {
    for (const guard of this.guards) {
      if (call.input.stream && guard.guardStream) continue;
      await guard.inspect(call);
    }
  }
}
