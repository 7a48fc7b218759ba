import type { EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import { NAMESPACE, type PolicyAction } from "../../policy/schema.js";
import type { TenantPolicies } from "../../policy/tenant-policies.js";
import type { Registry, RegistryRecord } from "../../registry/registry.js";
import { sensitivityRank } from "../../registry/kinds.js";
import type { Db } from "../../store/database.js";
import { notFound } from "../../shared/errors.js";
import type { ModelRecord } from "../../gateway/routing/index.js";
import { flowFloor, FLOW_FLOOR_NAME } from "./flow-floor.js";
import { cedarLabel, describeOrigin, type FlowLabel } from "./labels.js";
import type { TaskLabels } from "./task-labels.js";

/** Something leaving a task: a tool call, a model call, or a message to another agent. */
export type OutboundFlow =
  | { kind: "tool"; tool: Pick<RegistryRecord<"tool">, "name" | "owner" | "spec"> }
  | { kind: "model"; model: ModelRecord & { owner?: string } }
  | { kind: "message"; to: { name: string; owner: string; environment: string } };

export type FlowVerdict =
  | { allowed: true; label: FlowLabel }
  | { allowed: false; label: FlowLabel; reason: string; policies: string[] };

export function describeFlow(flow: OutboundFlow): string {
  if (flow.kind === "tool") return `${flow.tool.spec.sideEffect === "egress" ? "egress " : ""}tool ${flow.tool.name}`;
  if (flow.kind === "model") return `${flow.model.spec.external ? "external" : "internal"} model ${flow.model.name}`;
  return `agent ${flow.to.name}`;
}

/**
 * Information-flow control: every outbound flow of a task is decided by Cedar with the task's
 * label (the join of what it read) in context.task_label, under the tenant's published policies
 * and the built-in floor (flow-floor.ts). A refusal names the flow, the label and where the
 * label came from. Evaluation errors propagate: the caller refuses (fail closed).
 */
export class FlowControl {
  constructor(
    private readonly db: Db,
    private readonly registry: Registry,
    private readonly policies: TenantPolicies,
    readonly labels: TaskLabels,
  ) {}

  /** Decides one flow out of a task (by its id; the task's agent is the principal). */
  async checkOutbound(taskId: string, flow: OutboundFlow): Promise<FlowVerdict> {
    const task = await this.db.selectFrom("agent_tasks").select(["id", "tenant_id", "agent_name", "environment"]).where("id", "=", taskId).executeTakeFirst();
    if (!task) throw notFound(`task '${taskId}'`);
    const tenantId = task.tenant_id;
    const label = await this.labels.of({ id: task.id, tenantId });
    const [agent, policies] = await Promise.all([this.registry.find(tenantId, "agent", task.agent_name), this.policies.current(tenantId)]);
    const { action, target, resource } = cedarTarget(flow);
    const decision = policies.forEnvironment(task.environment, flowFloor).decide({
      principal: { type: "Agent", id: task.agent_name },
      action,
      resource: target,
      context: {
        tenant: tenantId,
        environment: task.environment,
        task_class: "",
        task: task.id,
        data_classes: [],
        labels: label.injection ? ["prompt_injection"] : [],
        data_regions: label.regions,
        grants: [],
        time: Math.floor(Date.now() / 1000),
        task_label: cedarLabel(label),
      },
      entities: [
        { uid: { type: `${NAMESPACE}::Agent`, id: task.agent_name }, attrs: { environment: task.environment, owner: agent?.owner ?? "", task_classes: [] }, parents: [] },
        ...(flow.kind === "message" && flow.to.name === task.agent_name ? [] : [resource]),
      ],
    });
    if (decision.allowed) return { allowed: true, label };
    const parts: string[] = [];
    if (sensitivityRank(label.sensitivity) >= sensitivityRank("confidential") || !label.injection) parts.push(`task label ${label.sensitivity} (from ${describeOrigin(label)})`);
    if (label.injection) parts.push(`task read content flagged as a prompt injection (from ${describeOrigin(label, "injection")})`);
    const what = parts.join(" and ");
    const by = decision.policies.map((name) => (name.startsWith(FLOW_FLOOR_NAME) ? `${name} (built in)` : name)).join(", ");
    return { allowed: false, label, policies: decision.policies, reason: `flow refused: ${what} may not go to ${describeFlow(flow)} (policy ${by})` };
  }
}

function cedarTarget(flow: OutboundFlow): { action: PolicyAction; target: { type: string; id: string }; resource: EntityJson } {
  const entity = cedarEntity(flow);
  const target = flow.kind === "tool" ? { type: "Tool", id: flow.tool.name } : flow.kind === "model" ? { type: "Model", id: flow.model.name } : { type: "Agent", id: flow.to.name };
  return { ...entity, target };
}

function cedarEntity(flow: OutboundFlow): { action: PolicyAction; resource: EntityJson } {
  if (flow.kind === "tool") {
    return {
      action: "call_tool",
      resource: { uid: { type: `${NAMESPACE}::Tool`, id: flow.tool.name }, attrs: { side_effect: flow.tool.spec.sideEffect, owner: flow.tool.owner }, parents: [] },
    };
  }
  if (flow.kind === "model") {
    const { spec } = flow.model;
    return {
      action: "invoke_model",
      resource: {
        uid: { type: `${NAMESPACE}::Model`, id: flow.model.name },
        attrs: { provider: spec.provider, region: spec.region, external: spec.external, task_classes: spec.taskClasses, owner: flow.model.owner ?? "" },
        parents: [],
      },
    };
  }
  return {
    action: "send_message",
    resource: { uid: { type: `${NAMESPACE}::Agent`, id: flow.to.name }, attrs: { environment: flow.to.environment, owner: flow.to.owner, task_classes: [] }, parents: [] },
  };
}
