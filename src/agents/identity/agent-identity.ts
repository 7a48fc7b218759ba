import type { Actor } from "../../audit/actor.js";
import type { AgentSpec } from "../../registry/kinds.js";

/** An agent whose proof (or token) has been verified, acting in one environment. */
export interface AgentIdentity {
  tenantId: string;
  tenantName: string;
  agentId: string;
  name: string;
  owner: string;
  spec: AgentSpec;
  /** The environment the agent acts in (it is active there). */
  environment: string;
  /** The key it proved possession of (directly, or when its token was issued). */
  kid: string;
  via: "proof" | "token";
}

/** What an agent presented: a proof for this request, or a token obtained with one. */
export type AgentCredential =
  | { kind: "proof"; proof: string; method: string; host: string; url: string; bodyHash: string }
  | { kind: "token"; token: string };

/** How an agent appears in the audit log. */
export const agentActor = (identity: Pick<AgentIdentity, "agentId" | "name" | "tenantId">): Actor => ({
  type: "agent",
  id: identity.agentId,
  name: identity.name,
  tenantId: identity.tenantId,
  role: null,
});
