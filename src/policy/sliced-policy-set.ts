import type { CedarValueJson, EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { statefulIsAuthorized } from "./cedar.js";
import { mayMatchAction, mayMatchEntity, mergeNeeds, noNeeds, type AttributeNeed, type AttributeNeeds, type PolicyShape } from "./policy-scope.js";
import { describeErrors, type PreparsedSets } from "./preparsed-sets.js";
import { isPlain, type RequestValues } from "./ruled-out.js";
import { NAMESPACE, type PolicyAction } from "./schema.js";

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

/** One policy of a set, named after its record ("name[2]" for a record's second policy on). */
export interface NamedPolicy {
  id: string;
  text: string;
  shape: PolicyShape;
}

/** The policies whose scope can match one kind of request, and what they read. */
interface Slice {
  members: readonly NamedPolicy[];
  ids: string[];
  needs: AttributeNeeds;
  /** Whether some member can be ruled out by the request's values before Cedar is called. */
  refutable: boolean;
  /** Tells the set's slices apart in remembered decisions. */
  serial: number;
}

export const BASELINE_ID = "gatehouse-registry-baseline";
const BASELINE = "permit (principal, action, resource);";
/** Request kinds remembered per set; past this the memory starts over (slices are cheap to find again). */
const MAX_REMEMBERED_REQUESTS = 10_000;
/** Decisions remembered per set; past this the set's memory starts over. */
const MAX_REMEMBERED_DECISIONS = 10_000;
/** Decisions remembered by all sets together (some 50 MB at most); past this a set remembers no more until it forgets. */
const MAX_REMEMBERED_IN_PROCESS = 100_000;
/**
 * Slices narrowed to the policies a request can satisfy, kept per set; past this a request whose
 * narrowed slice is new goes to Cedar with its whole slice. Each is a set parsed into the Cedar
 * pool every tenant shares, so a tenant whose callers vary what its policies test must not be
 * able to crowd the others' sets out of it.
 */
const MAX_NARROWED_SLICES = 64;
let rememberedInProcess = 0;
/** A set dropped without release() (PolicyEngine.prepared evicts its sets) gives its count back when collected. */
const forgotten = new FinalizationRegistry<Map<string, PolicyDecision>>((decisions) => {
  rememberedInProcess -= decisions.size;
});

/**
 * One environment's policies, parsed, ready to decide. Each request goes to Cedar with only the
 * policies whose scope can match it (its slice: by action, principal and resource) and only the
 * attributes those policies read, which is what makes a decision cost the policies that
 * concern it rather than all of them. Dropping the others changes no decision: Cedar skips a
 * policy whose scope does not match before looking at its conditions, and nothing reads an
 * attribute no policy names. A slice no policy is in is decided without Cedar: the registries'
 * permit stands.
 *
 * What the registries allow is allowed unless a policy forbids it (a permit of everything sits
 * under the published policies), so tenants write guardrails as forbid rules. Any evaluation
 * error refuses (fail closed).
 */
export class SlicedPolicySet {
  private readonly slices = new Map<string, Slice>();
  /**
   * Decisions by what Cedar was given for them. A decision is a function of the policies and the
   * request as sliced (only the attributes the slice's policies read), and a set never changes
   * (a new policy version is a new set), so the same sliced request gets the same answer.
   */
  private readonly decisions = new Map<string, PolicyDecision>();
  /** Slices by their policies, so request kinds with the same policies share one parsed set. */
  private readonly byMembers = new Map<string, Slice>();
  private serials = 0;
  private narrowedSlices = 0;
  private calls = 0;
  private readonly texts: Map<string, string>;
  private readonly escalations: Map<string, string>;

  constructor(
    private readonly policies: readonly NamedPolicy[],
    private readonly pool: PreparsedSets,
  ) {
    this.texts = new Map(policies.map((p) => [p.id, p.text]));
    forgotten.register(this, this.decisions);
    this.escalations = new Map(policies.filter((p) => p.shape.escalate !== undefined).map((p) => [p.id, p.shape.escalate as string]));
  }

  get size(): number {
    return this.policies.length;
  }

  /** How many decisions went to Cedar (the others were remembered, or had no policy left to ask about). */
  get cedarCalls(): number {
    return this.calls;
  }

  /** The ids of the policies Cedar is given for this request (the baseline permit aside). */
  sliceOf(request: Pick<PolicyRequest, "principal" | "action" | "resource">): string[] {
    return this.slice(request).ids;
  }

  decide(request: PolicyRequest): PolicyDecision {
    const slice = this.slice(request);
    if (slice.ids.length === 0) return { allowed: true, policies: [] };
    const principal = { type: `${NAMESPACE}::${request.principal.type}`, id: request.principal.id };
    const resource = { type: `${NAMESPACE}::${request.resource.type}`, id: request.resource.id };
    const context = pick(request.context, slice.needs.context) as Record<string, CedarValueJson>;
    const entities = entitiesFor(request.entities, slice.needs, principal, resource);
    const key = JSON.stringify([slice.serial, request.action, principal, resource, context, entities]);
    const known = this.decisions.get(key);
    if (known) return copy(known);
    const values = requestValues(principal, resource, context, entities);
    // A value that is not plain JSON can be an entity reference, whose attributes a policy reads
    // through it (context.owner.team): every entity goes to Cedar whole, and the decision is not
    // remembered (its key does not hold them). A remembered decision is one of plain JSON, which
    // holds no reference, so a request whose key matches it sends Cedar the same.
    if (!values) return this.evaluate(slice, request.action, principal, resource, context, request.entities);
    const narrowed = this.narrow(slice, values);
    const decision =
      narrowed.ids.length === 0
        ? { allowed: true, policies: [] }
        : narrowed === slice
          ? this.evaluate(slice, request.action, principal, resource, context, entities)
          : this.evaluate(narrowed, request.action, principal, resource, pick(context, narrowed.needs.context) as Record<string, CedarValueJson>, entitiesFor(entities, narrowed.needs, principal, resource));
    if (this.decisions.size >= MAX_REMEMBERED_DECISIONS) this.forgetDecisions();
    if (rememberedInProcess < MAX_REMEMBERED_IN_PROCESS) {
      this.decisions.set(key, decision);
      rememberedInProcess++;
    }
    return copy(decision);
  }

  private evaluate(
    slice: Slice,
    action: PolicyAction,
    principal: { type: string; id: string },
    resource: { type: string; id: string },
    context: Record<string, CedarValueJson>,
    entities: EntityJson[],
  ): PolicyDecision {
    const setId = this.pool.idFor(slice, () => {
      const policies: Record<string, string> = { [BASELINE_ID]: BASELINE };
      for (const id of slice.ids) policies[id] = this.texts.get(id) as string;
      return policies;
    });
    this.calls++;
    let answer: ReturnType<typeof statefulIsAuthorized>;
    try {
      answer = statefulIsAuthorized({
        principal,
        action: { type: `${NAMESPACE}::Action`, id: action },
        resource,
        context,
        preparsedPolicySetId: setId,
        entities,
      });
    } catch (error) {
      // cedar-wasm throws, rather than answering a failure, on input it cannot read (a lone surrogate, nesting past its limit).
      throw new Error(`policy evaluation failed: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    }
    if (answer.type === "failure") throw new Error(`policy evaluation failed: ${describeErrors(answer.errors)}`);
    const { decision, diagnostics } = answer.response;
    if (diagnostics.errors.length > 0) {
      throw new Error(`policy evaluation failed: ${diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`).join("; ")}`);
    }
    const matched = diagnostics.reason.filter((id) => id !== BASELINE_ID);
    const policies = [...new Set(matched.map(recordName))];
    if (decision === "deny" && matched.length > 0 && matched.every((id) => this.escalations.has(id))) {
      return { allowed: false, policies, escalate: matched.map((id) => this.escalations.get(id) || recordName(id)) };
    }
    return { allowed: decision === "allow", policies };
  }

  /** Drops the remembered decisions: each is evaluated by Cedar again (bench/policy-decide.ts times that path this way). */
  forgetDecisions(): void {
    rememberedInProcess -= this.decisions.size;
    this.decisions.clear();
  }

  /** Gives back the parsed slices and remembered decisions (when the set has been replaced); a later decision parses them again. */
  release(): void {
    this.forgetDecisions();
    for (const slice of this.byMembers.values()) this.pool.release(slice);
  }

  private slice(request: Pick<PolicyRequest, "principal" | "action" | "resource">): Slice {
    const { principal: p, resource: r } = request;
    const key = `${request.action}\u0000${p.type}\u0000${p.id}\u0000${r.type}\u0000${r.id}`;
    const known = this.slices.get(key);
    if (known) return known;
    const principalType = `${NAMESPACE}::${p.type}`;
    const resourceType = `${NAMESPACE}::${r.type}`;
    const members = this.policies.filter(
      ({ shape: { scope } }) =>
        mayMatchAction(scope.action, `${NAMESPACE}::Action`, request.action) &&
        mayMatchEntity(scope.principal, principalType, p.id) &&
        mayMatchEntity(scope.resource, resourceType, r.id),
    );
    const slice = this.sliceFor(members, false) as Slice;
    if (this.slices.size >= MAX_REMEMBERED_REQUESTS) this.slices.clear();
    this.slices.set(key, slice);
    return slice;
  }

  /** The slice of these policies, shared by every request that needs them; undefined when it is a new narrowed one and the set holds MAX_NARROWED_SLICES already. */
  private sliceFor(members: readonly NamedPolicy[], narrowed: boolean): Slice | undefined {
    const membersKey = members.map((m) => m.id).join("\n");
    let slice = this.byMembers.get(membersKey);
    if (!slice) {
      if (narrowed && this.narrowedSlices++ >= MAX_NARROWED_SLICES) return undefined;
      const needs = noNeeds();
      for (const m of members) mergeNeeds(needs, m.shape.needs);
      slice = { members, ids: members.map((m) => m.id), needs, refutable: members.some((m) => m.shape.ruledOut !== undefined), serial: this.serials++ };
      this.byMembers.set(membersKey, slice);
    }
    return slice;
  }

  /**
   * The slice without the policies the request's values rule out (ruled-out.ts): those add
   * nothing to Cedar's answer, neither a reason nor an error. Only for values that reach Cedar
   * as they look (plain JSON, each entity once), so that leaving a policy and its attributes out
   * cannot leave out an error Cedar would have found in them.
   */
  private narrow(slice: Slice, values: RequestValues): Slice {
    if (!slice.refutable) return slice;
    const kept = slice.members.filter((m) => !m.shape.ruledOut?.(values));
    if (kept.length === slice.members.length) return slice;
    return this.sliceFor(kept, true) ?? slice;
  }
}

function pick(values: Record<string, unknown>, need: AttributeNeed): Record<string, unknown> {
  if (need.all) return values;
  const out: Record<string, unknown> = {};
  for (const name of need.names) if (name in values) out[name] = values[name];
  return out;
}

const uidOf = (e: EntityJson): { type: string; id: string } => ("__entity" in e.uid ? e.uid.__entity : e.uid);

const sameUid = (e: EntityJson, uid: { type: string; id: string }) => {
  const u = uidOf(e);
  return u.type === uid.type && u.id === uid.id;
};

/** The values a slice's policies read, as Cedar gets them; undefined when some are not plain JSON or an entity is given twice. */
function requestValues(principal: { type: string; id: string }, resource: { type: string; id: string }, context: Record<string, CedarValueJson>, entities: EntityJson[]): RequestValues | undefined {
  if (!isPlain(context)) return undefined;
  const values: RequestValues = { context, principal: undefined, resource: undefined };
  const seen = new Set<string>();
  for (const e of entities) {
    const uid = uidOf(e);
    const key = `${uid.type}\u0000${uid.id}`;
    if (seen.has(key) || e.tags !== undefined || !Array.isArray(e.parents) || !isPlain(e.attrs)) return undefined;
    seen.add(key);
    if (sameUid(e, principal)) values.principal = e.attrs;
    if (sameUid(e, resource)) values.resource = e.attrs;
  }
  return values;
}

/** The entities the slice reads, with only the attributes it reads; none when it reads none. */
function entitiesFor(entities: EntityJson[], needs: AttributeNeeds, principal: { type: string; id: string }, resource: { type: string; id: string }): EntityJson[] {
  const everything = needs.principal.all || needs.resource.all;
  if (everything) return entities;
  const out: EntityJson[] = [];
  for (const e of entities) {
    const isPrincipal = sameUid(e, principal);
    const isResource = sameUid(e, resource);
    // The same entity can be both (an agent messaging itself): it gets what either reads.
    const names = isPrincipal && isResource ? new Set([...needs.principal.names, ...needs.resource.names]) : isPrincipal ? needs.principal.names : isResource ? needs.resource.names : undefined;
    if (!names || names.size === 0) continue;
    out.push({ uid: e.uid, attrs: pick(e.attrs, { all: false, names }) as Record<string, CedarValueJson>, parents: e.parents });
  }
  return out;
}

/** Each caller gets its own decision to keep or change. */
const copy = (d: PolicyDecision): PolicyDecision => ({ ...d, policies: [...d.policies], ...(d.escalate ? { escalate: [...d.escalate] } : {}) });

/** The record a policy id belongs to ("name[2]" is the record "name"'s second policy). */
const recordName = (id: string): string => id.replace(/\[\d+\]$/, "");
