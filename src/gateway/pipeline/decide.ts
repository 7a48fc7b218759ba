import { forbidden, GatehouseError } from "../../shared/errors.js";
import type { ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

export interface Decision {
  allowed: boolean;
  /** Why, in words a caller can act on. */
  reasons: string[];
  /** The ids of the policies that decided (none for the registry decider). */
  policies: string[];
}

/** The seam for policy (Cedar plugs in here): allow or deny one identified call. */
export interface Decider {
  decide(call: ModelCall): Promise<Decision>;
}

/** The task class a call runs under when it names none (x-gatehouse-task-class). */
export const defaultTaskClass = "chat";

/**
 * Allows what the registry permits: the model must be approved for the call's task class
 * (its taskClasses), and an agent may only use the models its capabilities list and only in
 * the environments its spec names.
 */
export const registryDecider: Decider = {
  async decide(call) {
    const { caller, model } = call;
    if (!caller || !model) return { allowed: false, reasons: ["the call was not identified"], policies: [] };
    const taskClass = call.input.headers.taskClass ?? defaultTaskClass;
    if (!model.spec.taskClasses.includes(taskClass)) {
      return { allowed: false, reasons: [`model ${model.name} is not approved for task class '${taskClass}'`], policies: [] };
    }
    const agent = caller.agent;
    if (agent && !agent.spec.capabilities.models.includes(model.name)) {
      return { allowed: false, reasons: [`agent ${agent.name} may not use model ${model.name}`], policies: [] };
    }
    if (agent && !agent.spec.environments.includes(caller.environment.name)) {
      return { allowed: false, reasons: [`agent ${agent.name} may not act in environment ${caller.environment.name}`], policies: [] };
    }
    return { allowed: true, reasons: [`model ${model.name} is approved for task class '${taskClass}'`], policies: [] };
  },
};

export class DecideStage implements Stage {
  readonly name = "decide";

  constructor(private readonly decider: Decider) {}

  async run(call: ModelCall): Promise<void> {
    let decision: Decision;
    try {
      decision = await this.decider.decide(call);
    } catch (error) {
      if (error instanceof GatehouseError) throw error;
      // Fail closed: no decision is a refusal.
      throw new GatehouseError("unavailable", "the policy decision is unavailable; the call was refused", undefined, { cause: error });
    }
    call.decision = { reasons: decision.reasons, policies: decision.policies };
    if (!decision.allowed) throw forbidden(decision.reasons.join("; ") || "refused by policy");
  }
}
