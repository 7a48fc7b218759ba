import type { Decider, Decision } from "../../gateway/pipeline/decide.js";
import type { ModelCall } from "../../gateway/pipeline/model-call.js";
import type { FlowControl } from "./flow-control.js";

/**
 * The decide stage for an agent's model call inside a task: after the tenant's policy allows
 * the call, the flow to the model is decided with the task's label (an external model is an
 * outbound flow). Candidates of the route the label may not reach are dropped, so a fallback
 * cannot carry the data where the first choice could not; when the model asked for is refused,
 * so is the call, naming the flow and the label's origin.
 */
export class FlowDecider implements Decider {
  constructor(
    private readonly base: Decider,
    private readonly flow: FlowControl,
  ) {}

  async decide(call: ModelCall): Promise<Decision> {
    const decision = await this.base.decide(call);
    const taskId = call.caller?.agent?.taskId;
    if (!decision.allowed || !taskId || !call.model) return decision;
    const verdict = await this.flow.checkOutbound(taskId, { kind: "model", model: call.model });
    if (!verdict.allowed) return { allowed: false, reasons: [verdict.reason], policies: verdict.policies };
    const route = call.route;
    if (route) {
      const refused = new Set<string>();
      for (const candidate of [...route.primary, ...route.fallbacks]) {
        if (candidate.model === call.model.name || refused.has(candidate.model)) continue;
        const v = await this.flow.checkOutbound(taskId, { kind: "model", model: { name: candidate.model, spec: candidate.spec } });
        if (!v.allowed) refused.add(candidate.model);
      }
      if (refused.size > 0) {
        const reason = (model: string) => ({ model, reason: `the task's label may not flow to model ${model}` });
        call.route = {
          ...route,
          primary: route.primary.filter((c) => !refused.has(c.model)),
          fallbacks: route.fallbacks.filter((c) => !refused.has(c.model)),
          excluded: [...route.excluded, ...[...refused].map(reason)],
        };
      }
    }
    return decision;
  }
}
