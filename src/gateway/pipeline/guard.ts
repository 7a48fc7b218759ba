import type { ModelCall } from "./model-call.js";

/**
 * An inspection of a call's input (call.request) or output (call.response). A guard may change
 * what it inspects (redaction) or refuse the call by throwing a GatehouseError.
 */
export interface Guard {
  readonly name: string;
  inspect(call: ModelCall): Promise<void>;
}
