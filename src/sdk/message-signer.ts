import { base64url, FlattenedSign, flattenedVerify, importJWK } from "jose";
import { canonicalMessage, MESSAGE_SIGNATURE_TYPE, type DeliveredMessage, type MessageFields } from "../agents/messages/message-format.js";
import type { PrivateAgentJwk, PublicAgentJwk } from "./proof-signer.js";

const encoder = new TextEncoder();

/** What the sender signs, less what the signer knows itself (tenant, sender) and fills in (iat, nonce). */
export type MessageToSign = Pick<MessageFields, "recipient" | "taskId" | "body" | "label">;

/** A message signed and ready to send as the body of POST /v1/agents/:recipient/messages. */
export interface SignedMessage {
  taskId: string;
  body: unknown;
  label: MessageFields["label"];
  iat: number;
  nonce: string;
  signature: string;
}

/**
 * Signs messages for one agent (see message-format.ts): a detached EdDSA JWS over the message's
 * canonical form, with a fresh nonce and the signing time. Uses only jose and WebCrypto.
 */
export class MessageSigner {
  private constructor(
    private readonly key: Awaited<ReturnType<typeof importJWK>>,
    private readonly kid: string,
    private readonly agent: { tenant: string; name: string },
  ) {}

  static async create(privateJwk: PrivateAgentJwk, kid: string, agent: { tenant: string; name: string }): Promise<MessageSigner> {
    return new MessageSigner(await importJWK(privateJwk, "EdDSA"), kid, agent);
  }

  /** `now` (ms) only for tests of the server's clock window. */
  async sign(message: MessageToSign, now: number = Date.now()): Promise<SignedMessage> {
    const fields: MessageFields = {
      ...message,
      tenant: this.agent.tenant,
      sender: this.agent.name,
      iat: Math.floor(now / 1000),
      nonce: base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(18))),
    };
    const jws = await new FlattenedSign(encoder.encode(canonicalMessage(fields)))
      .setProtectedHeader({ alg: "EdDSA", typ: MESSAGE_SIGNATURE_TYPE, kid: this.kid })
      .sign(this.key);
    return { taskId: fields.taskId, body: fields.body, label: fields.label, iat: fields.iat, nonce: fields.nonce, signature: `${jws.protected ?? ""}..${jws.signature}` };
  }
}

/**
 * Checks a delivered message's signature end to end: with `publicKey` when the recipient knows
 * the sender's key from elsewhere (the strongest check: it trusts nothing Gatehouse says), else
 * with the key Gatehouse attached (senderKey). True when the signature verifies over exactly
 * these fields.
 */
export async function verifyMessage(message: DeliveredMessage, publicKey: PublicAgentJwk = message.senderKey.publicKey): Promise<boolean> {
  const [header = "", , signature = ""] = message.signature.split(".");
  try {
    const key = await importJWK({ ...publicKey }, "EdDSA");
    const verified = await flattenedVerify({ protected: header, payload: base64url.encode(encoder.encode(canonicalMessage(message))), signature }, key, {
      algorithms: ["EdDSA"],
    });
    return verified.protectedHeader?.typ === MESSAGE_SIGNATURE_TYPE;
  } catch {
    return false;
  }
}
