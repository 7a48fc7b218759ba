/**
 * The wire format of a message between agents, shared by the server and the SDK (so it imports
 * nothing of either).
 *
 * The sender signs the message itself, apart from the request that carries it, so the recipient
 * can check it end to end. The signature is a detached compact JWS (RFC 7515, appendix F):
 *   header   {alg: "EdDSA", typ: "gatehouse-agent-message+jws", kid: <thumbprint of the sender's key>}
 *   payload  the canonical form below (not sent: both sides rebuild it from the message's fields)
 *   sent as  <base64url header>..<base64url signature>
 * The canonical form is the RFC 8785 (JCS) serialisation of
 *   {v: 1, tenant, sender, recipient, taskId, body, label, iat, nonce}
 * tenant, sender and recipient are names; taskId is the sender's open task; body any JSON value;
 * label the sensitivity the sender declares; iat the signing time in seconds; nonce a fresh random
 * string. (Gatehouse's canonical JSON, src/shared/json.ts, is that serialisation for values parsed
 * from JSON.) Redirecting a message to another agent, tenant or task, or changing any byte of its body,
 * label or time, breaks the signature.
 */
import { canonicalJson } from "../../shared/json.js";

export const MESSAGE_SIGNATURE_TYPE = "gatehouse-agent-message+jws";
export const MESSAGE_FORMAT_VERSION = 1;

export const messageSensitivities = ["public", "internal", "confidential", "restricted"] as const;
export type MessageSensitivity = (typeof messageSensitivities)[number];

/** An information-flow label as a message carries it (see src/agents/flow/labels.ts). */
export interface MessageFlowLabel {
  sensitivity: MessageSensitivity;
  regions: string[];
  integrity: "trusted" | "untrusted";
  injection: boolean;
  origins: { kind: "data_source" | "tool" | "agent"; name: string; via?: string; sensitivity: MessageSensitivity; region?: string; integrity: "trusted" | "untrusted"; injection?: boolean }[];
}

export interface MessageFields {
  tenant: string;
  sender: string;
  recipient: string;
  taskId: string;
  body: unknown;
  label: { sensitivity: MessageSensitivity };
  iat: number;
  nonce: string;
}

/** The bytes the sender signs. */
export const canonicalMessage = (fields: MessageFields): string =>
  canonicalJson({
    v: MESSAGE_FORMAT_VERSION,
    tenant: fields.tenant,
    sender: fields.sender,
    recipient: fields.recipient,
    taskId: fields.taskId,
    body: fields.body,
    label: { sensitivity: fields.label.sensitivity },
    iat: fields.iat,
    nonce: fields.nonce,
  });

/** A message as Gatehouse delivers it (the pull endpoint and the webhook): the signed fields, the signature, and what Gatehouse adds. */
export interface DeliveredMessage extends MessageFields {
  id: string;
  /** The recipient's cursor: messages to one agent are numbered 1, 2, 3 … */
  seq: number;
  environment: string;
  signature: string;
  /** The key the signature verifies with (the sender's, as registered when the message arrived). */
  senderKey: { kid: string; publicKey: { kty: "OKP"; crv: "Ed25519"; x: string } };
  /**
   * The label Gatehouse attaches: the sender task's information-flow label (everything it had
   * read) joined with the sensitivity the sender declared. A recipient that reads the message in
   * a task takes this label into that task's.
   */
  flowLabel: MessageFlowLabel;
  receivedAt: number;
}
