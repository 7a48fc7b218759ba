/**
 * The Gatehouse agent SDK (`gatehouse/sdk`): signs every request for an agent and wraps its
 * tasks, grants and model calls. It depends on jose and the platform's WebCrypto and fetch only.
 */
export { AgentTask, GatehouseAgent, GatehouseApiError, GrantDeniedError, type GatehouseAgentOptions } from "./agent.js";
export { generateAgentKey, ProofSigner, type PrivateAgentJwk, type PublicAgentJwk, type SignedRequest } from "./proof-signer.js";
export type { AgentTaskInfo, AgentToken, ArgumentConstraint, GrantInfo, GrantRequestInput, ToolCallResult, ToolContent } from "./types.js";
export { PROOF_HEADER, TASK_HEADER } from "../agents/identity/proof-format.js";
