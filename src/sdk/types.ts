import type { DeliveredMessage, MessageFlowLabel } from "../agents/messages/message-format.js";

/** What the agent API answers, as the SDK's callers see it (see docs/operator-guide.md, "Agents"). */

export interface AgentTaskInfo {
  id: string;
  tenantId: string;
  agent: { id: string; name: string };
  environment: string;
  purpose: string;
  reference: string | null;
  status: "open" | "completed" | "failed" | "cancelled";
  openedAt: number;
  endedAt: number | null;
  endReason: string | null;
}

export type ArgumentConstraint =
  | { equals: string | number | boolean | null }
  | { in: (string | number | boolean | null)[] }
  | { prefix: string }
  | { min?: number; max?: number };

export interface GrantRequestInput {
  resource: { kind: "tool" | "data_source"; name: string };
  /** Tools: ["call"] (the default). Data sources: "read" (the default) and/or "write". */
  actions?: ("call" | "read" | "write")[];
  scope?: { readOnly?: boolean; table?: string; row?: string | number; arguments?: Record<string, ArgumentConstraint> };
  /** At most 300 (the default). */
  ttlSeconds?: number;
}

export interface GrantInfo {
  id: string;
  taskId: string;
  agent: { id: string; name: string };
  resource: { kind: "tool" | "data_source"; name: string };
  actions: string[];
  scope: { readOnly: boolean; table?: string; row?: string | number; arguments: Record<string, ArgumentConstraint> };
  ttlSeconds: number;
  status: "pending" | "active" | "expired" | "denied" | "revoked" | "ended";
  decision: { outcome: "approved" | "denied" | "escalated"; reasons: string[]; policies: string[]; by: string | null };
  requestedAt: number;
  decidedAt: number | null;
  expiresAt: number | null;
  endedAt: number | null;
  endReason: string | null;
}

export interface AgentToken {
  token: string;
  tokenType: "Bearer";
  expiresAt: number;
  expiresIn: number;
  environment: string;
}

/** What Gatehouse answers a sent message with. */
export interface SentMessage {
  id: string;
  /** Its number in the recipient's sequence. */
  seq: number;
  recipient: string;
  receivedAt: number;
  /** The label the message carries onward: the sender task's label joined with the declared sensitivity. */
  flowLabel: MessageFlowLabel;
  /** pending when the recipient has a webhook the message is being pushed to. */
  webhook: "none" | "pending";
}

/** A page of received messages (GET /v1/messages). */
export interface MessagePage {
  messages: DeliveredMessage[];
  /** Every message up to this one is acknowledged. */
  acknowledged: number;
  /** Pass as `after` to acknowledge this page and read the next. */
  next: number;
}

/** One piece of a tool's result (the shape of MCP's CallToolResult content). */
export type ToolContent =
  | { type: "text"; text: string }
  | { type: "image"; data: string; mimeType: string }
  | { type: "audio"; data: string; mimeType: string }
  | { type: "resource"; resource: Record<string, unknown> }
  | { type: "resource_link"; uri: string; name: string; [key: string]: unknown };

/** What POST /v1/tools/{name}/invoke answers: the tool's result after Gatehouse's guards, and what they found. */
export interface ToolCallResult<S extends Record<string, unknown> = Record<string, unknown>> {
  tool: string;
  taskId: string;
  grantId: string;
  result: { content: ToolContent[]; structuredContent?: S; isError: boolean };
  /** removedDocuments: retrieved documents above the agent's clearance, removed before they reached it. */
  inspection: { injection: boolean; findings: { type: string; guard: string; action: "redact" | "block" | "flag"; detail?: string }[]; removedDocuments: number };
  /** SHA-256 (hex) of the result as the tool returned it (what the audit log holds). */
  digest: string;
  integrity: "trusted" | "untrusted";
  /** The task's label after this call: public, internal, confidential or restricted. */
  taskSensitivity: "public" | "internal" | "confidential" | "restricted";
}
