import type { Guard } from "./guard.js";
import type { ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

/** Runs the output guards in order over call.response (a stream's, once it has ended). */
export class InspectOutputStage implements Stage {
  readonly name = "inspect_output";

  constructor(private readonly guards: readonly Guard[]) {}

  async run(call: ModelCall): Promise<void> {
    for (const guard of this.guards) await guard.inspect(call);
  }
}
