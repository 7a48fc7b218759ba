import type { EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { NAMESPACE } from "../../policy/schema.js";
import type { TenantPolicies } from "../../policy/tenant-policies.js";
import type { RegistryRecord } from "../../registry/registry.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { Task } from "../tasks/tasks.js";
import type { GrantRequest } from "./scope.js";
import { cedarLabel } from "../flow/labels.js";
import type { TaskLabels } from "../flow/task-labels.js";

export interface GrantVerdict {
  outcome: "approve" | "deny" | "escalate";
  reasons: string[];
  /** The policies that decided (none when the registry baseline approved). */
  policies: string[];
}

/**
 * Cedar decides each grant request (action request_grant) with the tenant's policies for the
 * agent's environment: approve at once unless a policy forbids it; a forbid annotated
 * @escalate sends it to a person instead, when every forbid that matched is so annotated; any
 * other forbid denies. Evaluation errors propagate (the caller refuses: fail closed).
 */
export class GrantDecider {
  constructor(
    private readonly policies: TenantPolicies,
    /** The task's information-flow label goes in context.task_label, so a policy can refuse a grant the label could not use. */
    private readonly labels?: TaskLabels,
  ) {}

  async decide(
    agent: AgentIdentity,
    task: Task,
    request: GrantRequest,
    resource: RegistryRecord<"tool"> | RegistryRecord<"data_source">,
    heldGrants: string[],
  ): Promise<GrantVerdict> {
    const policies = await this.policies.current(agent.tenantId);
    const resourceEntity: EntityJson =
      resource.kind === "tool"
        ? { uid: { type: `${NAMESPACE}::Tool`, id: resource.name }, attrs: { side_effect: resource.spec.sideEffect, owner: resource.owner }, parents: [] }
        : {
            uid: { type: `${NAMESPACE}::DataSource`, id: resource.name },
            attrs: { sensitivity: resource.spec.sensitivity, region: resource.spec.region, owner: resource.owner },
            parents: [],
          };
    const { scope } = request;
    const context: Record<string, unknown> = {
      tenant: agent.tenantId,
      environment: agent.environment,
      task_class: "",
      task: task.id,
      purpose: task.purpose,
      data_classes: [],
      labels: [],
      data_regions: [],
      grants: heldGrants,
      time: Math.floor(Date.now() / 1000),
      grant: {
        actions: request.actions,
        read_only: scope.readOnly,
        ttl_seconds: request.ttlSeconds,
        constrained_arguments: Object.keys(scope.arguments),
        ...(scope.table !== undefined ? { table: scope.table } : {}),
        ...(scope.row !== undefined ? { row: String(scope.row) } : {}),
      },
    };
    if (task.reference !== null) context.reference = task.reference;
    if (this.labels) context.task_label = cedarLabel(await this.labels.of({ id: task.id, tenantId: agent.tenantId }));
    const decision = policies.forEnvironment(agent.environment).decide({
      principal: { type: "Agent", id: agent.name },
      action: "request_grant",
      resource: { type: resource.kind === "tool" ? "Tool" : "DataSource", id: resource.name },
      context,
      entities: [
        { uid: { type: `${NAMESPACE}::Agent`, id: agent.name }, attrs: { environment: agent.environment, owner: agent.owner, task_classes: [] }, parents: [] },
        resourceEntity,
      ],
    });
    if (decision.allowed) return { outcome: "approve", reasons: ["no policy forbids it"], policies: [] };
    const described = (name: string) => {
      const description = policies.description(name);
      return description ? `${name} (${description})` : name;
    };
    if (decision.escalate) {
      return { outcome: "escalate", reasons: decision.escalate.map((why) => `sent to a person: ${why}`), policies: decision.policies };
    }
    return { outcome: "deny", reasons: [`refused by policy ${decision.policies.map(described).join(", ")}`], policies: decision.policies };
  }
}
