import type { CedarValueJson, EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { Decider, Decision } from "../gateway/pipeline/decide.js";
import { defaultTaskClass } from "../gateway/pipeline/decide.js";
import type { ModelCall } from "../gateway/pipeline/model-call.js";
import { regionsOf } from "../gateway/routing/residency.js";
import { NAMESPACE } from "./schema.js";
import type { TenantPolicies } from "./tenant-policies.js";

const principalType = { user: "User", service_account: "ServiceAccount", application: "Application" } as const;

/**
 * The decide stage's policy: first what the registries allow (the base decider), then the
 * tenant's Cedar policies for the call's environment. A forbid names its policy in the refusal.
 */
export class CedarDecider implements Decider {
  constructor(
    private readonly policies: TenantPolicies,
    private readonly base: Decider,
  ) {}

  async decide(call: ModelCall): Promise<Decision> {
    const baseline = await this.base.decide(call);
    const { caller, model } = call;
    if (!baseline.allowed || !caller || !model) return baseline;
    const policies = await this.policies.current(caller.tenantId);
    const agent = caller.agent;
    const principal: { type: string; id: string; attrs: Record<string, CedarValueJson> } = agent
      ? { type: "Agent", id: agent.name, attrs: { environment: caller.environment.name, owner: agent.owner, task_classes: [] } }
      : { type: principalType[caller.principal.kind], id: caller.principal.id, attrs: { environment: caller.environment.name } };
    const entities: EntityJson[] = [
      { uid: { type: `${NAMESPACE}::${principal.type}`, id: principal.id }, attrs: principal.attrs, parents: [] },
      {
        uid: { type: `${NAMESPACE}::Model`, id: model.name },
        attrs: { provider: model.spec.provider, region: model.spec.region, external: model.spec.external, task_classes: model.spec.taskClasses, owner: model.owner },
        parents: [],
      },
    ];
    const headers = call.input.headers;
    const context: Record<string, unknown> = {
      tenant: caller.tenantId,
      environment: caller.environment.name,
      task_class: headers.taskClass ?? defaultTaskClass,
      data_classes: call.inspection?.dataClasses ?? [],
      labels: call.inspection?.labels ?? [],
      data_regions: regionsOf(headers.dataRegion),
      grants: [],
      time: Math.floor(Date.now() / 1000),
    };
    if (headers.taskId) context.task = headers.taskId;
    if (headers.purpose) context.purpose = headers.purpose;
    const decision = policies.forEnvironment(caller.environment.name).decide({
      principal,
      action: "invoke_model",
      resource: { type: "Model", id: model.name },
      context,
      entities,
    });
    if (decision.allowed) return { allowed: true, reasons: baseline.reasons, policies: [] };
    const described = decision.policies.map((name) => {
      const description = policies.description(name);
      return description ? `${name} (${description})` : name;
    });
    return { allowed: false, reasons: [`refused by policy ${described.join(", ")}`], policies: decision.policies };
  }
}
