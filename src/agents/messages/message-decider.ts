import type { AgentSpec } from "../../registry/kinds.js";
import type { RegistryRecord } from "../../registry/registry.js";
import type { FlowControl } from "../flow/flow-control.js";
import type { FlowLabel } from "../flow/labels.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { Task } from "../tasks/tasks.js";

export type MessageVerdict = { allowed: true; taskLabel: FlowLabel } | { allowed: false; reason: string; policies: string[] };

/** The agents an agent may send messages to (a spec without the list: none). */
export const messageableAgents = (spec: AgentSpec): string[] => spec.capabilities.agents ?? [];

/**
 * Who may talk to whom. The sender's registered capabilities are the upper bound, as for tools
 * and data sources: an agent may message only the agents its spec lists (capabilities.agents),
 * so with no spec entry and no policy, nothing is sent (fail closed). Within that bound the
 * message is an outbound flow of the sender's task, decided like every other one by
 * FlowControl.checkOutbound: Cedar action send_message (principal the sender, resource the
 * recipient, both Agent entities, the task's label in context.task_label) under the tenant's
 * policies and the built-in floor; allowed unless a policy forbids it. Evaluation errors
 * propagate (the caller refuses).
 */
export class MessageDecider {
  constructor(private readonly flow: FlowControl) {}

  async decide(sender: AgentIdentity, recipient: RegistryRecord<"agent">, task: Task): Promise<MessageVerdict> {
    if (!messageableAgents(sender.spec).includes(recipient.name)) {
      return {
        allowed: false,
        reason: `agent '${recipient.name}' is not among agent '${sender.name}''s capabilities.agents, the agents it may message`,
        policies: [],
      };
    }
    const verdict = await this.flow.checkOutbound(task.id, { kind: "message", to: { name: recipient.name, owner: recipient.owner, environment: sender.environment } });
    return verdict.allowed ? { allowed: true, taskLabel: verdict.label } : { allowed: false, reason: verdict.reason, policies: verdict.policies };
  }
}
