import type { StreamEvent } from "../chat.js";
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

/**
 * The inspect_output stage may also prepare a call before execute and watch a stream while it
 * arrives (see OutputGuard); a plain Stage there inspects the finished answer only.
 */
export interface OutputStage extends Stage {
  prepare?(call: ModelCall): Promise<void>;
  guardStream?(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent>;
}

/** Every stage by name; the composition root chooses the implementations. */
export type Stages = { readonly [N in StageName]: (N extends "inspect_output" ? OutputStage : Stage) & { readonly name: N } };
