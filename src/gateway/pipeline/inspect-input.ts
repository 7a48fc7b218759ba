import type { Guard } from "./guard.js";
import type { ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

/** Runs the input guards in order over call.request. */
export class InspectInputStage implements Stage {
  readonly name = "inspect_input";

  constructor(private readonly guards: readonly Guard[]) {}

  async run(call: ModelCall): Promise<void> {
    for (const guard of this.guards) await guard.inspect(call);
  }
}
