/**
 * The agent lifecycle as a pure state machine:
 *
 *   draft → pending_approval → approved → active (per environment) → suspended → retired
 *
 * An agent is active while it is active in at least one environment. Suspension keeps the
 * list of environments so that resuming restores them; retirement is final.
 */
export const agentStates = ["draft", "pending_approval", "approved", "active", "suspended", "retired"] as const;
export type AgentState = (typeof agentStates)[number];

export interface LifecycleState {
  state: AgentState;
  environments: string[];
}

export type LifecycleEvent =
  | { type: "submit" }
  | { type: "approve" }
  | { type: "withdraw" }
  | { type: "activate"; environment: string }
  | { type: "deactivate"; environment: string }
  /** The agent's definition no longer allows an environment it was active in. */
  | { type: "disallow"; environment: string }
  | { type: "suspend" }
  | { type: "resume" }
  | { type: "retire" };

export type Transition = { ok: true; next: LifecycleState } | { ok: false; reason: string };

const allowedFrom: Record<LifecycleEvent["type"], readonly AgentState[]> = {
  submit: ["draft"],
  approve: ["pending_approval"],
  withdraw: ["pending_approval"],
  activate: ["approved", "active"],
  deactivate: ["active"],
  disallow: ["active", "suspended"],
  suspend: ["approved", "active"],
  resume: ["suspended"],
  retire: ["draft", "pending_approval", "approved", "active", "suspended"],
};

const refuse = (reason: string): Transition => ({ ok: false, reason });

export function transition(current: LifecycleState, event: LifecycleEvent): Transition {
  const from = allowedFrom[event.type];
  if (!from.includes(current.state)) {
    return refuse(`cannot ${event.type} an agent that is ${current.state} (allowed from: ${from.join(", ")})`);
  }
  const envs = current.environments;
  switch (event.type) {
    case "submit":
      return { ok: true, next: { state: "pending_approval", environments: [] } };
    case "approve":
      return { ok: true, next: { state: "approved", environments: [] } };
    case "withdraw":
      return { ok: true, next: { state: "draft", environments: [] } };
    case "activate":
      if (envs.includes(event.environment)) return refuse(`agent is already active in ${event.environment}`);
      return { ok: true, next: { state: "active", environments: [...envs, event.environment].sort() } };
    case "deactivate": {
      if (!envs.includes(event.environment)) return refuse(`agent is not active in ${event.environment}`);
      const rest = envs.filter((e) => e !== event.environment);
      return { ok: true, next: { state: rest.length > 0 ? "active" : "approved", environments: rest } };
    }
    case "disallow": {
      const rest = envs.filter((e) => e !== event.environment);
      const state = current.state === "suspended" ? "suspended" : rest.length > 0 ? "active" : "approved";
      return { ok: true, next: { state, environments: rest } };
    }
    case "suspend":
      return { ok: true, next: { state: "suspended", environments: envs } };
    case "resume":
      return { ok: true, next: { state: envs.length > 0 ? "active" : "approved", environments: envs } };
    case "retire":
      return { ok: true, next: { state: "retired", environments: [] } };
  }
}
