import { inputGuardPolicy, looserPolicy } from "../guards/guard-policy.js";
import { looserOutputSettings, outputGuardSettingsOf } from "../guards/output/settings.js";
import type { AgentState } from "../lifecycle/agent-states.js";
import type { AgentSpec, Kind } from "../registry/kinds.js";
import type { RegistryRecord } from "../registry/registry.js";
import type { Environment } from "../tenancy/tenants.js";
import type { TenantSettings } from "../tenancy/settings.js";
import type { Proposal } from "./proposals.js";

/** How many approvals a proposal needs, and why; zero means it applies at once. */
export interface Requirement {
  approvals: number;
  reasons: string[];
}

export interface RuleContext {
  settings: TenantSettings;
  environments: Environment[];
  current: RegistryRecord | undefined;
  agentState: AgentState | undefined;
}

const none: Requirement = { approvals: 0, reasons: [] };

export function requirementFor(proposal: Proposal, ctx: RuleContext): Requirement {
  const { required, productionPolicy } = ctx.settings.approvals;
  switch (proposal.action) {
    case "agent.approve":
      return { approvals: required, reasons: ["a new agent needs approval before it can be activated"] };
    case "agent.activate": {
      const env = ctx.environments.find((e) => e.name === proposal.environment);
      return env?.production
        ? { approvals: required, reasons: [`activating an agent in production environment ${env.name}`] }
        : none;
    }
    case "record.put":
    case "record.delete":
      return recordRequirement(proposal, ctx, required, productionPolicy);
    case "tenant.settings": {
      // Loosening the approval rules is itself guarded by the strictest rule in force.
      const next = proposal.settings as TenantSettings;
      const loosens = next.approvals.required < required || next.approvals.productionPolicy < productionPolicy;
      // Loosening the input or output guards, security controls like policies, takes the usual approvals.
      const guards = [
        ...looserPolicy(inputGuardPolicy(ctx.settings.guards?.input), inputGuardPolicy(next.guards?.input)),
        ...looserOutputSettings(outputGuardSettingsOf(ctx.settings.guards?.output), outputGuardSettingsOf(next.guards?.output)),
      ];
      if (!loosens && guards.length === 0) return none;
      const reasons = [...(loosens ? ["lowering the approvals that changes need"] : []), ...guards];
      return { approvals: loosens ? Math.max(required, productionPolicy) : required, reasons };
    }
  }
}

function recordRequirement(
  proposal: Extract<Proposal, { action: "record.put" | "record.delete" }>,
  ctx: RuleContext,
  required: number,
  productionPolicy: number,
): Requirement {
  const kind: Kind = proposal.kind;
  if (kind === "prompt_template") {
    return { approvals: required, reasons: ["publishing a prompt template version"] };
  }
  if (kind === "policy_test") {
    // The fixtures gate policy changes: weakening them is itself a reviewed change.
    return { approvals: required, reasons: ["changing the policy test fixtures"] };
  }
  if (kind === "policy") {
    const envSets = [ctx.current?.deleted ? undefined : ctx.current?.spec, proposal.action === "record.put" ? proposal.spec : undefined]
      .map((spec) => policyEnvironments(spec))
      .filter((envs): envs is string[] => envs !== undefined);
    const production = envSets.some((envs) => appliesToProduction(envs, ctx.environments));
    return production
      ? { approvals: Math.max(required, productionPolicy), reasons: ["changing a policy that applies in production"] }
      : { approvals: required, reasons: ["changing a policy"] };
  }
  if (kind === "agent" && proposal.action === "record.put" && ctx.current && !ctx.current.deleted) {
    const settled = ctx.agentState && ctx.agentState !== "draft";
    if (!settled) return none;
    const widened = widening(ctx.current.spec as AgentSpec, proposal.spec as AgentSpec);
    return widened.length > 0 ? { approvals: required, reasons: widened } : none;
  }
  return none;
}

function policyEnvironments(spec: unknown): string[] | undefined {
  if (spec === null || typeof spec !== "object") return undefined;
  const envs = (spec as { environments?: unknown }).environments;
  return Array.isArray(envs) ? envs.filter((e): e is string => typeof e === "string") : [];
}

const appliesToProduction = (policyEnvs: string[], environments: Environment[]): boolean =>
  policyEnvs.length === 0 || environments.some((e) => e.production && policyEnvs.includes(e.name));

/** What an agent spec change grants beyond what was approved: new capabilities, environments or higher limits. */
export function widening(before: AgentSpec, after: AgentSpec): string[] {
  const reasons: string[] = [];
  const added = (label: string, a: string[], b: string[]) => {
    for (const item of b) if (!a.includes(item)) reasons.push(`adds ${label} ${item}`);
  };
  added("tool", before.capabilities.tools, after.capabilities.tools);
  added("data source", before.capabilities.dataSources, after.capabilities.dataSources);
  added("model", before.capabilities.models, after.capabilities.models);
  // Specs stored before agents could message each other have no agents list.
  added("agent to message", before.capabilities.agents ?? [], after.capabilities.agents ?? []);
  added("environment", before.environments, after.environments);
  const hook = after.messaging?.webhookUrl;
  if (hook !== undefined && hook !== before.messaging?.webhookUrl) reasons.push(`sends its messages to webhook ${hook}`);
  for (const limit of ["concurrency", "tokensPerDay", "tokensPerMonth", "costPerDayUsd", "costPerMonthUsd"] as const) {
    const was = before.limits[limit];
    const now = after.limits[limit];
    if (was !== undefined && now === undefined) reasons.push(`removes limit ${limit}`);
    else if (was !== undefined && now !== undefined && now > was) reasons.push(`raises limit ${limit} from ${was} to ${now}`);
  }
  return reasons;
}
