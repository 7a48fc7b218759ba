import type { ModelCall } from "./model-call.js";

export const stageNames = ["identify", "admit", "inspect_input", "decide", "execute", "inspect_output", "record"] as const;
export type StageName = (typeof stageNames)[number];

/**
 * One step of the pipeline. A stage that says no throws (a GatehouseError, or an UpstreamError
 * from execute): the call ends there and is recorded as refused or failed.
 */
export interface Stage {
  readonly name: StageName;
  run(call: ModelCall): Promise<void>;
}

/** Every stage by name; the composition root chooses the implementations. */
export type Stages = { readonly [N in StageName]: Stage & { readonly name: N } };
