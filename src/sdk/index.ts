/**
 * The Gatehouse agent SDK (`gatehouse/sdk`): signs every request for an agent and wraps its
 * tasks, grants, model calls and messages to other agents. It depends on jose and the platform's WebCrypto and fetch only.
 */
export { AgentMessages, AgentTask, GatehouseAgent, GatehouseApiError, GrantDeniedError, type GatehouseAgentOptions } from "./agent.js";
export { generateAgentKey, ProofSigner, type PrivateAgentJwk, type PublicAgentJwk, type SignedRequest } from "./proof-signer.js";
export type { AgentTaskInfo, AgentToken, ArgumentConstraint, GrantInfo, GrantRequestInput, MessagePage, SentMessage, ToolCallResult, ToolContent } from "./types.js";
export { MessageSigner, verifyMessage, type MessageToSign, type SignedMessage } from "./message-signer.js";
export type { DeliveredMessage, MessageFlowLabel, MessageSensitivity } from "../agents/messages/message-format.js";
export { PROOF_HEADER, TASK_HEADER } from "../agents/identity/proof-format.js";
