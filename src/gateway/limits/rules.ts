import type { LimitSet, TenantLimits } from "./limits-config.js";
import type { WindowKind } from "./windows.js";

export type LimitScope = "tenant" | "key" | "agent" | "business_unit";
export type LimitMeasure = "requests" | "tokens" | "cost";

/** Who a call counts against. */
export interface LimitSubject {
  tenantId: string;
  /** The API key's id. */
  keyId: string;
  /** The calling agent's name, for agent calls. */
  agent?: string;
  /** The business unit the call is billed to (the caller's header), when it names one. */
  businessUnit?: string;
}

/** One limit in force for a call: at most `limit` requests, tokens or micro-dollars of cost per window. */
export interface LimitRule {
  scope: LimitScope;
  /** The tenant id, key id, agent name or business unit name the limit is about. */
  subject: string;
  measure: LimitMeasure;
  window: WindowKind;
  limit: number;
  /** The counter this rule reads and charges; the tenant id in braces keeps a tenant's counters in one Redis Cluster slot. */
  counter: string;
}

const fields: { field: keyof LimitSet; measure: LimitMeasure; window: WindowKind; scale: number }[] = [
  { field: "requestsPerMinute", measure: "requests", window: "minute", scale: 1 },
  { field: "tokensPerMinute", measure: "tokens", window: "minute", scale: 1 },
  { field: "tokensPerDay", measure: "tokens", window: "day", scale: 1 },
  { field: "tokensPerMonth", measure: "tokens", window: "month", scale: 1 },
  { field: "costPerDayUsd", measure: "cost", window: "day", scale: 1_000_000 },
  { field: "costPerMonthUsd", measure: "cost", window: "month", scale: 1_000_000 },
];

const noLimits: TenantLimits = { tenant: {}, perKey: {}, perAgent: {}, perBusinessUnit: {}, businessUnits: {} };

/** The agent's own limits from its spec; they take the place of the tenant's `perAgent` fields. */
export type AgentLimits = Partial<LimitSet>;

/** Every limit in force for a call by `subject`, from the tenant's settings and the agent's spec. */
export function limitRulesFor(subject: LimitSubject, limits: TenantLimits = noLimits, agentLimits: AgentLimits = {}): LimitRule[] {
  const scoped: [LimitScope, string, LimitSet][] = [
    ["tenant", subject.tenantId, limits.tenant],
    ["key", subject.keyId, limits.perKey],
  ];
  if (subject.agent !== undefined) scoped.push(["agent", subject.agent, { ...limits.perAgent, ...definedOnly(agentLimits) }]);
  if (subject.businessUnit !== undefined) {
    scoped.push(["business_unit", subject.businessUnit, limits.businessUnits[subject.businessUnit] ?? limits.perBusinessUnit]);
  }
  return scoped.flatMap(([scope, id, set]) =>
    fields.flatMap(({ field, measure, window, scale }) => {
      const value = set[field];
      if (value === undefined) return [];
      const counter = `{${subject.tenantId}}:${scope}:${id}:${measure}:${window}`;
      return [{ scope, subject: id, measure, window, limit: Math.round(value * scale), counter }];
    }),
  );
}

function definedOnly(limits: AgentLimits): Partial<LimitSet> {
  return Object.fromEntries(fields.flatMap(({ field }) => (limits[field] === undefined ? [] : [[field, limits[field]]])));
}
