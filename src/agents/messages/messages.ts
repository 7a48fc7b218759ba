import { randomUUID } from "node:crypto";
import { z } from "zod";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import type { AgentLifecycle } from "../../lifecycle/agent-lifecycle.js";
import type { AgentSpec } from "../../registry/kinds.js";
import type { Registry } from "../../registry/registry.js";
import type { Db } from "../../store/database.js";
import { lockAgent } from "../../store/locks.js";
import type { AgentMessageTable } from "../../store/schema.js";
import { conflict, forbidden, GatehouseError, invalid, notFound } from "../../shared/errors.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { AgentAuthenticator } from "../identity/authenticate.js";
import type { NonceStore } from "../identity/nonces.js";
import { checkSigningTime, nonceExpiry } from "../identity/proof.js";
import type { Ed25519PublicJwk } from "../identity/public-key.js";
import type { Tasks } from "../tasks/tasks.js";
import { namedOpenTask } from "../agent-callers.js";
import type { MessageBodies } from "./message-bodies.js";
import type { MessageDecider } from "./message-decider.js";
import { canonicalJson } from "../../shared/json.js";
import { describeOrigin, join, labelOf, type FlowLabel } from "../flow/labels.js";
import type { TaskLabels } from "../flow/task-labels.js";
import { canonicalMessage, MESSAGE_SIGNATURE_TYPE, messageSensitivities, type DeliveredMessage, type MessageFlowLabel, type MessageSensitivity } from "./message-format.js";
import type { MessageWebhooks } from "./message-webhooks.js";

/** The largest message body, as JSON. */
export const MAX_MESSAGE_BYTES = 64 * 1024;
export const sendMessageBody = z
  .object({
    /** The sender's open task the message belongs to. */
    taskId: z.string().min(1).max(200),
    body: z.json(),
    label: z.object({ sensitivity: z.enum(messageSensitivities) }).strict(),
    /** Signing time, seconds. */
    iat: z.number().int(),
    nonce: z.string().regex(/^[A-Za-z0-9._~-]{16,200}$/, "must be a nonce of 16-200 URL-safe characters"),
    /** Detached compact JWS over the canonical form (header..signature). */
    signature: z
      .string()
      .max(2000)
      .regex(/^[A-Za-z0-9_-]+\.\.[A-Za-z0-9_-]+$/, "must be a detached compact JWS (header..signature)"),
  })
  .strict();

export const pullQuery = z
  .object({
    /** Messages after this one; also acknowledges it and every one before it. Default: after the last acknowledged. */
    after: z.coerce.number().int().min(0).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(100),
  })
  .strict();

export interface SentMessage {
  id: string;
  seq: number;
  recipient: string;
  receivedAt: number;
  flowLabel: MessageFlowLabel;
  webhook: "none" | "pending";
}

export interface MessagePage {
  messages: DeliveredMessage[];
  /** Every message up to this one is acknowledged. */
  acknowledged: number;
  /** Pass as `after` to acknowledge this page and read the next. */
  next: number;
}

/** Fields a message may not carry: grants stay with the task they were given to. */
const grantFields = ["grant", "grants", "grantId", "token"];

/** The header of a detached JWS: EdDSA, the message type, a kid; nothing is trusted before the signature verifies. */
function signatureHeader(signature: string): { kid: string; encodedHeader: string; value: Buffer } {
  const [encodedHeader = "", , value = ""] = signature.split(".");
  let header: Record<string, unknown>;
  try {
    header = JSON.parse(Buffer.from(encodedHeader, "base64url").toString("utf8")) as Record<string, unknown>;
  } catch {
    throw new GatehouseError("unauthenticated", "the message signature's header is not JSON");
  }
  if (typeof header !== "object" || header === null) throw new GatehouseError("unauthenticated", "the message signature's header is not a JSON object");
  if (header.alg !== "EdDSA") throw new GatehouseError("unauthenticated", "the message must be signed with EdDSA (alg: EdDSA)");
  if (header.typ !== MESSAGE_SIGNATURE_TYPE) throw new GatehouseError("unauthenticated", `the message signature's typ must be ${MESSAGE_SIGNATURE_TYPE}`);
  if (header.crit !== undefined) throw new GatehouseError("unauthenticated", "the message signature names critical header parameters this server does not understand");
  if (typeof header.kid !== "string" || header.kid.length === 0 || header.kid.length > 200) throw new GatehouseError("unauthenticated", "the message signature names no key (kid)");
  return { kid: header.kid, encodedHeader, value: Buffer.from(value, "base64url") };
}

/** A label as a message carries it: the tenant is the message's own, so it is left out. */
const carried = (label: FlowLabel): MessageFlowLabel => ({
  sensitivity: label.sensitivity,
  regions: label.regions,
  integrity: label.integrity,
  injection: label.injection,
  origins: label.origins,
});

function toDelivered(row: AgentMessageTable, tenant: string, bodies: MessageBodies): DeliveredMessage {
  return {
    id: row.id,
    seq: Number(row.seq),
    tenant,
    sender: row.sender_name,
    recipient: row.recipient_name,
    taskId: row.task_id,
    body: bodies.open(row.id, row.body),
    label: { sensitivity: row.declared_sensitivity as MessageSensitivity },
    iat: Number(row.iat),
    nonce: row.nonce,
    environment: row.environment,
    signature: row.signature,
    senderKey: { kid: row.kid, publicKey: JSON.parse(row.public_key) as Ed25519PublicJwk },
    flowLabel: carried(JSON.parse(row.flow_label) as FlowLabel),
    receivedAt: Number(row.received_at),
  };
}

/**
 * Messages between agents of a tenant, relayed by Gatehouse. The sender's request is
 * authenticated like every agent request; the message itself carries the sender's signature
 * (message-format.ts) so its recipient can check it end to end. Before accepting a message
 * Gatehouse checks, in order: the signing time (within 60 s of its clock), that the task is an
 * open task of the sender, that the recipient exists, the signature (with the sender's
 * registered key), the nonce (never seen before: a replay is refused), that the recipient is
 * active in the sender's environment, and who may talk to whom (MessageDecider). Every refusal
 * is recorded with its reason. An accepted message is stored with the label it carries onward
 * before the sender is answered, numbered in its recipient's sequence, then pulled by the
 * recipient (GET /v1/messages, cursor and acknowledgement) and pushed to its webhook if it has one.
 *
 * A message carries data, never authority: it has no field for a grant, and a recipient acts
 * only under its own grants in its own tasks.
 */
export class Messages {
  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly registry: Registry,
    private readonly lifecycle: AgentLifecycle,
    private readonly tasks: Tasks,
    private readonly authenticator: AgentAuthenticator,
    private readonly nonces: NonceStore,
    private readonly decider: MessageDecider,
    private readonly webhooks: MessageWebhooks,
    private readonly labels: TaskLabels,
    private readonly bodies: MessageBodies,
    private readonly clock: () => number = Date.now,
  ) {}

  /**
   * What the schema cannot say well, checked first: a request that tries to pass a grant on (with
   * a message that says why), and a message body too large. (Nesting is bounded for every request
   * body by the server, limitBodyDepth.)
   */
  static precheck(request: unknown): void {
    if (typeof request !== "object" || request === null) return;
    const field = grantFields.find((f) => f in request);
    if (field) throw invalid(field, `${field}: a message cannot carry a grant or a credential; grants stay with the task they were given to`);
    const { body } = request as { body?: unknown };
    if (body !== undefined && Buffer.byteLength(JSON.stringify(body), "utf8") > MAX_MESSAGE_BYTES) {
      throw invalid("body", `body: larger than ${MAX_MESSAGE_BYTES} bytes as JSON`);
    }
  }

  async send(ctx: ActionContext, sender: AgentIdentity, recipientName: string, input: z.output<typeof sendMessageBody>): Promise<SentMessage> {
    const refuse = async (error: GatehouseError): Promise<never> => {
      await this.recorder.record(this.db, ctx, {
        action: "message.send",
        resource: { kind: "agent", name: recipientName },
        decision: { outcome: "refused", reasons: [error.message] },
        context: { taskId: input.taskId, environment: sender.environment },
        payload: { recipient: recipientName, nonce: input.nonce, iat: input.iat, label: input.label },
      });
      throw error;
    };

    const now = this.clock();
    try {
      checkSigningTime(input.iat, now, "message");
    } catch (error) {
      return refuse(new GatehouseError("unauthenticated", (error as Error).message));
    }
    const task = await this.tasks.requireOpen(sender, input.taskId).catch(async (error: unknown) => {
      if (error instanceof GatehouseError && (error.code === "not_found" || error.code === "conflict")) {
        return refuse(forbidden(`taskId: '${input.taskId}' is not an open task of agent '${sender.name}'`));
      }
      throw error;
    });
    const recipient = await this.registry.find(sender.tenantId, "agent", recipientName);
    if (!recipient || recipient.deleted) return refuse(notFound(`agent '${recipientName}'`));

    let signature: ReturnType<typeof signatureHeader>;
    try {
      signature = signatureHeader(input.signature);
    } catch (error) {
      return refuse(error as GatehouseError);
    }
    const payload = canonicalMessage({ ...input, tenant: sender.tenantName, sender: sender.name, recipient: recipient.name });
    const signingInput = Buffer.from(`${signature.encodedHeader}.${Buffer.from(payload, "utf8").toString("base64url")}`, "ascii");
    let publicKey: string;
    try {
      ({ publicKey } = await this.authenticator.verifySigned(sender, signature.kid, signingInput, signature.value));
    } catch (error) {
      if (!(error instanceof GatehouseError)) throw error;
      return refuse(new GatehouseError("unauthenticated", `the message is refused: ${error.message} (changed since it was signed, or signed for another recipient, task or tenant)`));
    }
    if (!(await this.nonces.remember(`message:${sender.agentId}:${input.nonce}`, nonceExpiry(input.iat)))) {
      return refuse(new GatehouseError("unauthenticated", "the message was already sent (replayed nonce); sign every message afresh"));
    }
    const status = await this.lifecycle.status(recipient);
    if (status.state !== "active" || !status.environments.includes(sender.environment)) {
      return refuse(conflict(`agent '${recipient.name}' is not active in environment '${sender.environment}'; it receives no messages there`));
    }

    let verdict;
    try {
      verdict = await this.decider.decide(sender, recipient, task);
    } catch (error) {
      // Fail closed: no decision is no message.
      return refuse(new GatehouseError("unavailable", "the policy decision is unavailable; the message was not sent", undefined, { cause: error }));
    }
    if (!verdict.allowed) return refuse(forbidden(verdict.reason));
    // The label the message carries: everything the sender's task has read, and at least what the sender declares.
    const declared = labelOf(sender.tenantId, { kind: "agent", name: sender.name, sensitivity: input.label.sensitivity, integrity: "trusted" });
    const flowLabel = join(verdict.taskLabel, declared);
    const sensitivity = flowLabel.sensitivity;

    const webhookUrl = recipient.spec.messaging?.webhookUrl;
    const row = await this.db.transaction().execute(async (trx) => {
      await lockAgent(trx, recipient.id);
      const last = await trx
        .selectFrom("agent_messages")
        .select((eb) => eb.fn.max<number | null>("seq").as("seq"))
        .where("recipient_id", "=", recipient.id)
        .executeTakeFirst();
      const id = randomUUID();
      const stored: AgentMessageTable = {
        id,
        tenant_id: sender.tenantId,
        recipient_id: recipient.id,
        recipient_name: recipient.name,
        seq: Number(last?.seq ?? 0) + 1,
        sender_id: sender.agentId,
        sender_name: sender.name,
        environment: sender.environment,
        task_id: task.id,
        body: this.bodies.seal(id, input.body),
        declared_sensitivity: input.label.sensitivity,
        flow_label: canonicalJson(flowLabel),
        sensitivity,
        iat: input.iat,
        nonce: input.nonce,
        kid: signature.kid,
        public_key: publicKey,
        signature: input.signature,
        received_at: now,
        acked_at: null,
        webhook_status: webhookUrl ? "pending" : "none",
        webhook_attempts: 0,
        webhook_delivered_at: null,
      };
      await trx.insertInto("agent_messages").values(stored).execute();
      await this.recorder.record(trx, ctx, {
        action: "message.send",
        resource: { kind: "message", id: stored.id, name: recipient.name },
        decision: { outcome: "allowed", reasons: ["signature, nonce and time verified; no policy forbids it"] },
        context: { taskId: task.id, environment: sender.environment },
        payload: { recipient: recipient.name, seq: stored.seq, kid: signature.kid, label: input.label, flowLabel: { sensitivity, from: describeOrigin(flowLabel) } },
      });
      return stored;
    });
    if (webhookUrl) this.webhooks.push({ ...toDelivered(row, sender.tenantName, this.bodies), tenantId: sender.tenantId }, webhookUrl);
    return { id: row.id, seq: row.seq, recipient: recipient.name, receivedAt: now, flowLabel: carried(flowLabel), webhook: webhookUrl ? "pending" : "none" };
  }

  /**
   * Pushes again the messages whose webhook delivery had not ended when the process that accepted
   * them stopped (the service calls it once it listens). Deliveries are at least once: a message
   * another live process is still pushing may arrive twice, told apart by its id. A recipient that
   * no longer has a webhook keeps its messages on the pull endpoint only. Returns how many it pushes.
   */
  async resumeWebhooks(): Promise<number> {
    const rows = await this.db
      .selectFrom("agent_messages as m")
      .innerJoin("tenants as t", "t.id", "m.tenant_id")
      .innerJoin("registry_records as r", "r.id", "m.recipient_id")
      .selectAll("m")
      .select(["t.name as tenant_name", "r.spec as recipient_spec"])
      .where("m.webhook_status", "=", "pending")
      .orderBy("m.received_at")
      .execute();
    let pushed = 0;
    for (const { tenant_name, recipient_spec, ...row } of rows) {
      const url = (JSON.parse(recipient_spec) as AgentSpec).messaging?.webhookUrl;
      if (url) {
        this.webhooks.push({ ...toDelivered(row, tenant_name, this.bodies), tenantId: row.tenant_id }, url);
        pushed++;
      } else {
        await this.db.updateTable("agent_messages").set({ webhook_status: "none" }).where("id", "=", row.id).execute();
      }
    }
    return pushed;
  }

  /**
   * The recipient's messages in its environment after `after`, oldest first. Passing `after`
   * acknowledges that message and every one before it; without it, reading starts after the last
   * acknowledged one, so a recipient that lost its place reads again what it never acknowledged.
   */
  async pull(ctx: ActionContext, recipient: AgentIdentity, query: z.output<typeof pullQuery>, taskId?: string): Promise<MessagePage> {
    const task = taskId === undefined ? undefined : await namedOpenTask(this.tasks, recipient, taskId);
    const mine = () => this.db.selectFrom("agent_messages").where("recipient_id", "=", recipient.agentId).where("environment", "=", recipient.environment);
    let after = query.after;
    if (after === undefined) {
      const acked = await mine().select((eb) => eb.fn.max<number | null>("seq").as("seq")).where("acked_at", "is not", null).executeTakeFirst();
      after = Number(acked?.seq ?? 0);
    } else if (after > 0) {
      const last = await mine().select((eb) => eb.fn.max<number | null>("seq").as("seq")).executeTakeFirst();
      const highest = Number(last?.seq ?? 0);
      if (after > highest) throw invalid("after", `after: ${after} is beyond the last message (${highest}); acknowledge only what you have read`);
      const acknowledged = await this.db
        .updateTable("agent_messages")
        .set({ acked_at: this.clock() })
        .where("recipient_id", "=", recipient.agentId)
        .where("environment", "=", recipient.environment)
        .where("seq", "<=", after)
        .where("acked_at", "is", null)
        .executeTakeFirst();
      if (Number(acknowledged.numUpdatedRows) > 0) {
        await this.recorder.record(this.db, ctx, {
          action: "message.acknowledge",
          resource: { kind: "agent", id: recipient.agentId, name: recipient.name },
          decision: { outcome: "allowed" },
          context: { environment: recipient.environment },
          payload: { through: after, count: Number(acknowledged.numUpdatedRows) },
        });
      }
    }
    const rows = await mine().selectAll().where("seq", ">", after).orderBy("seq").limit(query.limit).execute();
    const messages = rows.map((r) => toDelivered(r, recipient.tenantName, this.bodies));
    // Read in a task, the messages' labels become part of the task's: what the sender had read travels on.
    if (task) await this.labels.add(this.db, task, messages.flatMap((m) => m.flowLabel.origins));
    return { messages, acknowledged: after, next: messages.at(-1)?.seq ?? after };
  }
}
