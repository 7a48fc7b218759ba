import type { StreamEvent } from "../chat.js";
import type { ModelCall } from "./model-call.js";

/**
 * An inspection of a call's input (call.request) or output (call.response). A guard may change
 * what it inspects (redaction) or refuse the call by throwing a GatehouseError.
 */
export interface Guard {
  readonly name: string;
  inspect(call: ModelCall): Promise<void>;
}

/**
 * An output guard that also judges streams while they arrive, so that it can cut one before the
 * caller has what it must not have, instead of judging it once it has all been sent.
 */
export interface OutputGuard extends Guard {
  /** Runs after decide and before execute: loads what the guard needs, may ask the upstream for more (log-probabilities), refuses a request it cannot judge. */
  prepare?(call: ModelCall): Promise<void>;
  /**
   * Wraps a stream: the events come out once they have passed the guard (possibly changed or
   * regrouped); throwing a GatehouseError cuts the stream. Events after the `finish` it passes
   * on are not read. A guard with this method is not asked to inspect a streamed call again.
   */
  guardStream?(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent>;
}
