import { GatehouseError } from "../../shared/errors.js";
import type { ModelCall, OutputFinding } from "../../gateway/pipeline/model-call.js";
import { describeDetection, type Detection } from "./detection.js";

/** Adds a finding to the call's record, counting repeats of the same guard, type, action and detail. */
export function noteFinding(call: ModelCall, finding: Omit<OutputFinding, "count">, count = 1): void {
  const findings = (call.outputFindings ??= []);
  const same = findings.find((f) => f.guard === finding.guard && f.type === finding.type && f.action === finding.action && f.detail === finding.detail);
  if (same) same.count += count;
  else findings.push({ ...finding, count });
}

export const noteDetection = (call: ModelCall, d: Detection, action: OutputFinding["action"] = d.action): void =>
  noteFinding(call, { guard: d.guard, type: d.type, action, ...(d.detail === undefined ? {} : { detail: d.detail }) });

/**
 * The refusal for a finding, noted on the call first: 403 in the API's shape, naming the guard
 * and what kind of thing it found, never the thing itself.
 */
export function refusalFor(call: ModelCall, d: Detection, streamed: boolean): GatehouseError {
  noteDetection(call, d, "block");
  const verb = streamed ? "cut the answer" : "refused the answer";
  return new GatehouseError("forbidden", `output guard ${d.guard} ${verb}: it contains ${describeDetection(d)}`);
}
