import { statefulIsAuthorized } from "../../src/policy/cedar.js";
import type { PolicyRequest } from "../../src/policy/policy-engine.js";
import { NAMESPACE } from "../../src/policy/schema.js";

/** What a decision comes to: an error (refused), or allowed or not with the policies that decided. */
export type Outcome = { error: true } | { error: false; allowed: boolean; policies: string[] };

/** Cedar with every policy of the preparsed set and the whole request: the decision slicing and ruling out must reproduce. */
export function reference(setId: string, r: PolicyRequest): Outcome {
  const answer = statefulIsAuthorized({
    principal: { type: `${NAMESPACE}::${r.principal.type}`, id: r.principal.id },
    action: { type: `${NAMESPACE}::Action`, id: r.action },
    resource: { type: `${NAMESPACE}::${r.resource.type}`, id: r.resource.id },
    context: r.context as never,
    entities: r.entities,
    preparsedPolicySetId: setId,
  });
  if (answer.type === "failure" || answer.response.diagnostics.errors.length > 0) return { error: true };
  const policies = answer.response.diagnostics.reason.filter((id) => id !== "baseline").map((id) => id.replace(/\[\d+\]$/, ""));
  return { error: false, allowed: answer.response.decision === "allow", policies: [...new Set(policies)].sort() };
}
