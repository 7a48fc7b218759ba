import type { ModelCall } from "../../gateway/pipeline/model-call.js";

/** Runs a guard's step on a stream and counts its time to the call's inspect_output stage. */
export function timed<T>(call: ModelCall, step: () => T): T {
  const start = performance.now();
  try {
    return step();
  } finally {
    call.timings.inspect_output = (call.timings.inspect_output ?? 0) + performance.now() - start;
  }
}
