import { createHash } from "node:crypto";
import { policySetTextToParts, validate } from "./cedar.js";
import { GatehouseError } from "../shared/errors.js";
import { policyShape, type PolicyShape } from "./policy-scope.js";
import { describeErrors, preparsedSets, type PreparsedSets } from "./preparsed-sets.js";
import { cedarSchema } from "./schema.js";
import { SlicedPolicySet, type NamedPolicy, type PolicyDecision, type PolicyRequest } from "./sliced-policy-set.js";

export type { PolicyDecision, PolicyRequest } from "./sliced-policy-set.js";
export { SlicedPolicySet } from "./sliced-policy-set.js";

/** A published policy: its record name, text and the environments it applies in (none: all). */
export interface PolicySource {
  name: string;
  text: string;
  environments: string[];
  /** The record's version, when it comes from the registry. */
  version?: number;
}

/** Validation answers by the text's digest; past this the memory starts over. */
const MAX_VALIDATED_TEXTS = 1024;
const validated = new Map<string, string | undefined>();

/**
 * What is wrong with a policy's text against the schema, in Cedar's words; undefined when nothing
 * is. Remembered by the text (the schema is the process's own): one validation costs Cedar
 * milliseconds, and a published text is validated again where it is stored and where it is planned.
 */
export function policyTextProblem(text: string): string | undefined {
  const key = hashOf(text);
  if (validated.has(key)) return validated.get(key);
  const answer = validate({ schema: cedarSchema, policies: { staticPolicies: text } });
  let problem: string | undefined;
  if (answer.type === "failure") problem = describeErrors(answer.errors);
  else if (answer.validationErrors.length > 0) problem = describeErrors(answer.validationErrors.map((e) => e.error));
  remember(key, problem);
  return problem;
}

function remember(key: string, problem: string | undefined): void {
  if (validated.size >= MAX_VALIDATED_TEXTS) validated.clear();
  validated.set(key, problem);
}

/**
 * Validates many texts in one Cedar call, which parses the schema once instead of once a text:
 * for a directory of policies about to be validated one by one (configuration as code). Each
 * text is split into its policies first, so texts cannot run into one another; the texts are
 * remembered valid when the whole set is, and anything else is left to policyTextProblem, whose
 * message then names the one text.
 */
export function validateTogether(texts: readonly string[]): void {
  const policies: Record<string, string> = {};
  const fresh: string[] = [];
  for (const text of new Set(texts)) {
    const key = hashOf(text);
    if (validated.has(key)) continue;
    const split = policySetTextToParts(text);
    if (split.type === "failure" || split.policy_templates.length > 0) return;
    split.policies.forEach((policy, i) => (policies[`${fresh.length}.${i}`] = policy));
    fresh.push(key);
  }
  if (fresh.length < 2) return;
  const answer = validate({ schema: cedarSchema, policies: { staticPolicies: policies } });
  if (answer.type === "success" && answer.validationErrors.length === 0) for (const key of fresh) remember(key, undefined);
}

/** Throws invalid_request with Cedar's message when the text does not parse or does not type-check. */
export function validatePolicyText(text: string, field = "spec.text"): void {
  const problem = policyTextProblem(text);
  if (problem) throw new GatehouseError("invalid_request", `${field}: ${problem}`, field);
}

const appliesIn = (environment: string) => (p: PolicySource) => p.environments.length === 0 || p.environments.includes(environment);

/** Records whose text was parsed, kept; past this the memory starts over. */
const MAX_PARSED_TEXTS = 20_000;
/** Sets remembered by decide(); callers that hold a set (prepare) are not limited by this. */
const MAX_REMEMBERED_SETS = 64;

/**
 * Cedar evaluation of published policies. A record's text is parsed once (by its content, so a
 * new version of one record parses that record alone); prepare() makes an environment's
 * decision-ready set from the records, which a caller keeps for as long as the records do not
 * change (see TenantPolicies).
 */
export class PolicyEngine {
  private readonly parsed = new Map<string, { text: string; shape: PolicyShape }[]>();
  private readonly sets = new Map<string, SlicedPolicySet>();

  constructor(private readonly pool: PreparsedSets = preparsedSets) {}

  /** The set of the policies that apply in this environment. Throws when a text does not parse (nothing is decided then). */
  prepare(sources: readonly PolicySource[], environment: string): SlicedPolicySet {
    const named: NamedPolicy[] = [];
    for (const source of sources.filter(appliesIn(environment))) {
      // A record may hold several policies; each is named after the record ("name[2]" for the second on).
      this.parts(source).forEach((part, i) => named.push({ id: i === 0 ? source.name : `${source.name}[${i + 1}]`, ...part }));
    }
    return new SlicedPolicySet(named, this.pool);
  }

  /** prepare(), remembered by the sources' names and texts: for callers that do not keep the set themselves. */
  prepared(sources: readonly PolicySource[], environment: string): SlicedPolicySet {
    const applicable = sources.filter(appliesIn(environment));
    const key = applicable.map((p) => `${p.name}@${hashOf(p.text)}`).join("\n");
    let set = this.sets.get(key);
    if (set) {
      this.sets.delete(key);
    } else {
      set = this.prepare(applicable, environment);
      if (this.sets.size >= MAX_REMEMBERED_SETS) this.sets.delete(this.sets.keys().next().value as string);
    }
    this.sets.set(key, set);
    return set;
  }

  /** One decision over these sources (see prepared). */
  decide(sources: readonly PolicySource[], environment: string, request: PolicyRequest): PolicyDecision {
    return this.prepared(sources, environment).decide(request);
  }

  private parts(source: PolicySource): { text: string; shape: PolicyShape }[] {
    const key = hashOf(source.text);
    const known = this.parsed.get(key);
    if (known) return known;
    const answer = policySetTextToParts(source.text);
    if (answer.type === "failure") throw new Error(`policy ${source.name} does not parse: ${describeErrors(answer.errors)}`);
    if (answer.policy_templates.length > 0) throw new Error(`policy ${source.name} holds a template; only static policies are evaluated`);
    let parts: { text: string; shape: PolicyShape }[];
    try {
      parts = answer.policies.map((text) => ({ text, shape: policyShape(text) }));
    } catch (error) {
      throw new Error(`policy ${source.name} does not parse: ${(error as Error).message}`);
    }
    if (this.parsed.size >= MAX_PARSED_TEXTS) this.parsed.clear();
    this.parsed.set(key, parts);
    return parts;
  }
}

const hashOf = (text: string) => createHash("sha256").update(text).digest("base64url");
