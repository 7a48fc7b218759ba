import type { PolicySource } from "../../policy/policy-engine.js";

/**
 * The information-flow floor: Cedar policies every tenant's outbound flows are decided with,
 * next to its own, and that no change request can unpublish. Confidential and restricted data
 * may not leave through an egress tool or to an external model, and a task that read content the
 * injection detector flagged may not call an egress tool (the injected instruction would be
 * the one asking for it). It is built in rather than shipped for tenants to publish because the
 * guarantee must not depend on configuration: a tenant that never published it, or deleted it,
 * would otherwise let `read_customer_db` → `send_email` through. Tenants add stricter rules
 * with context.task_label (examples/policies/information-flow.cedar shows some).
 */
export const FLOW_FLOOR_NAME = "gatehouse-flow-floor";

export const flowFloorText = `// Confidential and restricted data may not leave through an egress tool.
forbid (principal, action == Gatehouse::Action::"call_tool", resource is Gatehouse::Tool)
when { resource.side_effect == "egress" && context has task_label && context.task_label.sensitivity_rank >= 2 };

// …nor go to an external model.
forbid (principal, action == Gatehouse::Action::"invoke_model", resource is Gatehouse::Model)
when { resource.external && context has task_label && context.task_label.sensitivity_rank >= 2 };

// A task that read a flagged injection may not call an egress tool.
forbid (principal, action == Gatehouse::Action::"call_tool", resource is Gatehouse::Tool)
when { resource.side_effect == "egress" && context has task_label && context.task_label.injection };
`;

export const flowFloor: PolicySource = { name: FLOW_FLOOR_NAME, text: flowFloorText, environments: [] };
