import { createHash } from "node:crypto";
import { policySetTextToParts, policyToJson, preparsePolicySet, statefulIsAuthorized, validate, type DetailedError, type EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { GatehouseError } from "../shared/errors.js";
import { cedarSchema, NAMESPACE, type PolicyAction } from "./schema.js";

/** A published policy: its record name, text and the environments it applies in (none: all). */
export interface PolicySource {
  name: string;
  text: string;
  environments: string[];
  /** The record's version: when given, the text is split and the set parsed once per version, not hashed per call. */
  version?: number;
}

export interface PolicyRequest {
  principal: { type: string; id: string };
  action: PolicyAction;
  resource: { type: string; id: string };
  context: Record<string, unknown>;
  /** The principal's and resource's entities, with their attributes. */
  entities: EntityJson[];
}

export interface PolicyDecision {
  allowed: boolean;
  /** The ids (record names) of the policies that decided: the forbids that matched. */
  policies: string[];
  /**
   * Set when every forbid that matched is annotated @escalate: the refusal may go to a person
   * instead (grant requests do so). Holds each annotation's text, or the policy's name when empty.
   */
  escalate?: string[];
}

/** Cedar's own words for what is wrong with a policy. */
const describe = (errors: DetailedError[]) => errors.map((e) => [e.message, e.help].filter(Boolean).join(" — ")).join("; ");

/** What is wrong with a policy's text against the schema, in Cedar's words; undefined when nothing is. */
export function policyTextProblem(text: string): string | undefined {
  const answer = validate({ schema: cedarSchema, policies: { staticPolicies: text } });
  if (answer.type === "failure") return describe(answer.errors);
  if (answer.validationErrors.length > 0) return describe(answer.validationErrors.map((e) => e.error));
  return undefined;
}

/** Throws invalid_request with Cedar's message when the text does not parse or does not type-check. */
export function validatePolicyText(text: string, field = "spec.text"): void {
  const problem = policyTextProblem(text);
  if (problem) throw new GatehouseError("invalid_request", `${field}: ${problem}`, field);
}

/**
 * Cedar evaluation. What the registries allow is allowed unless a policy forbids it (a permit
 * of everything sits under the published policies), so tenants write guardrails as forbid
 * rules. Each tenant's set of policies for an environment is parsed once and reused until it
 * changes. Any evaluation error refuses (fail closed).
 */
export class PolicyEngine {
  /** Parsed policy sets by the names and versions they hold (the parsed sets live in the Cedar module). */
  private readonly setIds = new Map<string, string>();
  /** Per parsed set: the forbids annotated @escalate, with the annotation's text. */
  private readonly escalations = new Map<string, Map<string, string>>();

  decide(sources: readonly PolicySource[], environment: string, request: PolicyRequest): PolicyDecision {
    const setId = this.prepare(sources.filter((p) => p.environments.length === 0 || p.environments.includes(environment)));
    const answer = statefulIsAuthorized({
      principal: { type: `${NAMESPACE}::${request.principal.type}`, id: request.principal.id },
      action: { type: `${NAMESPACE}::Action`, id: request.action },
      resource: { type: `${NAMESPACE}::${request.resource.type}`, id: request.resource.id },
      context: request.context as Record<string, never>,
      preparsedPolicySetId: setId,
      entities: request.entities,
    });
    if (answer.type === "failure") throw new Error(`policy evaluation failed: ${describe(answer.errors)}`);
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length > 0) {
      throw new Error(`policy evaluation failed: ${diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join("; ")}`);
    }
    const matched = diagnostics.reason.filter((id) => id !== BASELINE_ID);
    const policies = [...new Set(matched.map((id) => id.replace(/\[\d+\]$/, "")))];
    const escalating = this.escalations.get(setId);
    if (decision === "deny" && matched.length > 0 && matched.every((id) => escalating?.has(id))) {
      return { allowed: false, policies, escalate: matched.map((id) => escalating?.get(id) || id.replace(/\[\d+\]$/, "")) };
    }
    return { allowed: decision === "allow", policies };
  }

  private prepare(sources: readonly PolicySource[]): string {
    const key = sources.map((p) => `${p.name}@${p.version ?? createHash("sha256").update(p.text).digest("hex")}`).join("\n");
    let id = this.setIds.get(key);
    if (id !== undefined) return id;
    const policies: Record<string, string> = { [BASELINE_ID]: BASELINE };
    const escalating = new Map<string, string>();
    for (const p of sources) {
      // A record may hold several policies; each is named after the record ("name[2]" for the second on).
      const parts = policySetTextToParts(p.text);
      if (parts.type === "failure") throw new Error(`policy ${p.name} does not parse: ${describe(parts.errors)}`);
      parts.policies.forEach((text, i) => {
        const policyId = i === 0 ? p.name : `${p.name}[${i + 1}]`;
        policies[policyId] = text;
        const escalate = escalateAnnotation(text);
        if (escalate !== undefined) escalating.set(policyId, escalate);
      });
    }
    id = createHash("sha256").update(key).digest("hex");
    const answer = preparsePolicySet(id, { staticPolicies: policies });
    if (answer.type === "failure") throw new Error(`the published policies do not parse: ${describe(answer.errors)}`);
    if (this.setIds.size >= 1000) {
      this.setIds.clear();
      this.escalations.clear();
    }
    this.setIds.set(key, id);
    this.escalations.set(id, escalating);
    return id;
  }
}

/** The text of a forbid's @escalate annotation ("" when it has none), or undefined when it is not annotated so. */
function escalateAnnotation(text: string): string | undefined {
  const parsed = policyToJson(text);
  if (parsed.type === "failure" || parsed.json.effect !== "forbid") return undefined;
  const annotations: Record<string, string | null> = parsed.json.annotations ?? {};
  return "escalate" in annotations ? (annotations.escalate ?? "") : undefined;
}

const BASELINE_ID = "gatehouse-registry-baseline";
const BASELINE = "permit (principal, action, resource);";
