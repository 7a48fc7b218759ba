import type { PolicyEngine, PolicySource } from "../../policy/policy-engine.js";
import { NAMESPACE } from "../../policy/schema.js";
import type { AgentSpec } from "../../registry/kinds.js";
import type { Registry, RegistryRecord } from "../../registry/registry.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { Task } from "../tasks/tasks.js";
import type { MessageSensitivity } from "./message-format.js";

export type MessageVerdict = { allowed: true; policies: string[] } | { allowed: false; reason: string; policies: string[] };

/** The agents an agent may send messages to (a spec without the list: none). */
export const messageableAgents = (spec: AgentSpec): string[] => spec.capabilities.agents ?? [];

/**
 * Who may talk to whom. The sender's registered capabilities are the upper bound, as for tools
 * and data sources: an agent may message only the agents its spec lists (capabilities.agents),
 * so with no spec entry and no policy, nothing is sent (fail closed). Within that bound Cedar
 * decides action send_message (principal the sender, resource the recipient, both Agent
 * entities, the message's label in context.labels as "sensitivity:<level>") with the tenant's
 * policies for the sender's environment: allowed unless a policy forbids it. Evaluation errors
 * propagate (the caller refuses).
 */
export class MessageDecider {
  constructor(
    private readonly registry: Registry,
    private readonly engine: PolicyEngine,
  ) {}

  async decide(sender: AgentIdentity, recipient: RegistryRecord<"agent">, task: Task, sensitivity: MessageSensitivity): Promise<MessageVerdict> {
    if (!messageableAgents(sender.spec).includes(recipient.name)) {
      return {
        allowed: false,
        reason: `agent '${recipient.name}' is not among agent '${sender.name}''s capabilities.agents, the agents it may message`,
        policies: [],
      };
    }
    const records = await this.registry.list(sender.tenantId, "policy");
    const sources: PolicySource[] = records.map((r) => ({ name: r.name, text: r.spec.text, environments: r.spec.environments, version: r.version }));
    const agentEntity = (name: string, owner: string) => ({
      uid: { type: `${NAMESPACE}::Agent`, id: name },
      attrs: { environment: sender.environment, owner, task_classes: [] },
      parents: [],
    });
    const decision = this.engine.decide(sources, sender.environment, {
      principal: { type: "Agent", id: sender.name },
      action: "send_message",
      resource: { type: "Agent", id: recipient.name },
      context: {
        tenant: sender.tenantId,
        environment: sender.environment,
        task_class: "",
        task: task.id,
        purpose: task.purpose,
        data_classes: [],
        labels: [`sensitivity:${sensitivity}`],
        data_regions: [],
        grants: [],
        time: Math.floor(Date.now() / 1000),
      },
      entities: recipient.name === sender.name ? [agentEntity(sender.name, sender.owner)] : [agentEntity(sender.name, sender.owner), agentEntity(recipient.name, recipient.owner)],
    });
    if (decision.allowed) return { allowed: true, policies: [] };
    const described = decision.policies.map((name) => {
      const description = records.find((r) => r.name === name)?.spec.description;
      return description ? `${name} (${description})` : name;
    });
    return { allowed: false, reason: `refused by policy ${described.join(", ")}`, policies: decision.policies };
  }
}
