import type { EntityUidJson } from "@cedar-policy/cedar-wasm/nodejs";
import { policyToJson } from "./cedar.js";
import { ruledOutBy, type RuledOut } from "./ruled-out.js";

/**
 * What a policy's scope and conditions tell us before any request is seen: which requests its
 * scope can match, and which attributes of the principal, the resource and the context its
 * conditions read. Both are read from Cedar's own JSON form of the policy (policyToJson).
 *
 * They let the engine hand Cedar only the policies whose scope can match a request (a policy
 * whose scope does not match contributes nothing, not even an error: Cedar checks the scope
 * before the conditions), and only the attributes those policies read.
 */
export interface PolicyScope {
  principal: EntityConstraint;
  action: ActionConstraint;
  resource: EntityConstraint;
}

/** A principal or resource constraint; `in` is kept as "any entity of any type" (see mayMatchEntity). */
type EntityConstraint = { op: "all" } | { op: "eq"; type: string; id: string } | { op: "in" } | { op: "is"; type: string };
type ActionConstraint = { op: "all" } | { op: "one-of"; ids: string[] };

/** The attributes read from one variable: all of them, or these names. */
export interface AttributeNeed {
  all: boolean;
  names: Set<string>;
}

export interface AttributeNeeds {
  principal: AttributeNeed;
  resource: AttributeNeed;
  context: AttributeNeed;
}

export interface PolicyShape {
  scope: PolicyScope;
  needs: AttributeNeeds;
  /** A forbid annotated @escalate: its annotation's text ("" when it has none). */
  escalate?: string;
  /** Tells when the conditions are false for certain (see ruled-out.ts); absent when that can never be told. */
  ruledOut?: RuledOut;
}

export const noNeeds = (): AttributeNeeds => ({
  principal: { all: false, names: new Set() },
  resource: { all: false, names: new Set() },
  context: { all: false, names: new Set() },
});

export function mergeNeeds(into: AttributeNeeds, from: AttributeNeeds): void {
  for (const v of ["principal", "resource", "context"] as const) {
    into[v].all ||= from[v].all;
    for (const name of from[v].names) into[v].names.add(name);
  }
}

/** The shape of one static policy (text holding exactly one policy). Throws Cedar's message when it does not parse. */
export function policyShape(text: string): PolicyShape {
  const answer = policyToJson(text);
  if (answer.type === "failure") throw new Error(answer.errors.map((e) => e.message).join("; "));
  const json = answer.json as unknown as PolicyJson;
  const needs = noNeeds();
  for (const condition of json.conditions ?? []) collectNeeds(condition.body, needs);
  const escalate = json.effect === "forbid" && json.annotations && "escalate" in json.annotations ? (json.annotations.escalate ?? "") : undefined;
  const ruledOut = ruledOutBy(json.conditions ?? []);
  return {
    scope: { principal: entityConstraint(json.principal), action: actionConstraint(json.action), resource: entityConstraint(json.resource) },
    needs,
    ...(escalate !== undefined ? { escalate } : {}),
    ...(ruledOut ? { ruledOut } : {}),
  };
}

/** Whether a request's principal or resource can satisfy the constraint; true whenever unsure. */
export function mayMatchEntity(c: EntityConstraint, type: string, id: string): boolean {
  switch (c.op) {
    case "eq":
      return c.type === type && c.id === id;
    case "is":
      // `is T in E` needs type T; the `in E` part is left to Cedar.
      return c.type === type;
    default:
      // `in E` depends on the entity hierarchy: kept, so Cedar decides it.
      return true;
  }
}

/**
 * Whether a request's action can satisfy the constraint. Actions have no groups in the schema
 * and requests carry no action hierarchy, so `action in [A, B]` is exactly "A or B" for Cedar.
 */
export function mayMatchAction(c: ActionConstraint, type: string, id: string): boolean {
  return c.op === "all" || c.ids.includes(`${type}::"${id}"`);
}

interface PolicyJson {
  effect: "permit" | "forbid";
  annotations?: Record<string, string | null>;
  principal: ScopeJson;
  action: ScopeJson;
  resource: ScopeJson;
  conditions?: { kind: string; body: unknown }[];
}

interface ScopeJson {
  op: string;
  entity?: EntityUidJson;
  entities?: EntityUidJson[];
  entity_type?: string;
}

const uidOf = (e: EntityUidJson | undefined): { type: string; id: string } | undefined => {
  if (!e) return undefined;
  const uid = "__entity" in e ? e.__entity : e;
  return { type: uid.type, id: uid.id };
};

function entityConstraint(s: ScopeJson): EntityConstraint {
  if (s.op === "All") return { op: "all" };
  const uid = uidOf(s.entity);
  if (s.op === "==" && uid) return { op: "eq", ...uid };
  if (s.op === "is" && s.entity_type) return { op: "is", type: s.entity_type };
  // `in`, or anything this module does not know: the policy stays in every slice.
  return { op: "in" };
}

function actionConstraint(s: ScopeJson): ActionConstraint {
  if (s.op === "==" || s.op === "in") {
    const uids = (s.entities ?? [s.entity]).map(uidOf);
    if (uids.every((u) => u !== undefined)) return { op: "one-of", ids: uids.map((u) => `${u.type}::"${u.id}"`) };
  }
  return { op: "all" };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/**
 * Walks a condition in Cedar's JSON expression form. `X.attr` and `X has attr` with X one of
 * the request variables read that attribute; a variable used whole reads nothing of the entity
 * (principal, resource: only its uid, which is always sent) or all of the record (context);
 * an attribute read from anything else (an if-then-else, an entity literal) could be any
 * entity's, so everything is sent.
 */
function collectNeeds(node: unknown, needs: AttributeNeeds): void {
  if (Array.isArray(node)) {
    for (const item of node) collectNeeds(item, needs);
    return;
  }
  if (!isObject(node)) return;
  for (const [key, value] of Object.entries(node)) {
    if ((key === "." || key === "has") && isObject(value) && typeof value.attr === "string") {
      const root = value.left;
      if (isObject(root) && typeof root.Var === "string" && root.Var in needs) {
        needs[root.Var as keyof AttributeNeeds].names.add(value.attr);
      } else if (isObject(root) && isAttributeChain(root)) {
        collectNeeds(root, needs);
      } else if (!(isObject(root) && root.Var === "action")) {
        for (const v of ["principal", "resource", "context"] as const) needs[v].all = true;
        collectNeeds(root, needs);
      }
      continue;
    }
    if (key === "Var" && value === "context") {
      needs.context.all = true;
      continue;
    }
    collectNeeds(value, needs);
  }
}

/** `principal.a`, `context.a.b`, …: an attribute of an attribute, whose root attribute is what is read. */
function isAttributeChain(node: Record<string, unknown>): boolean {
  const inner = node["."];
  if (!isObject(inner)) return false;
  const left = inner.left;
  if (isObject(left) && typeof left.Var === "string") return left.Var !== "action";
  return isObject(left) && isAttributeChain(left);
}
