import { request } from "undici";
import { systemActor } from "../../audit/actor.js";
import { actionContext, type Recorder } from "../../audit/recorder.js";
import { retryDelayMs, type RetryPolicy } from "../../gateway/routing/backoff.js";
import type { Logger } from "../../shared/logger.js";
import type { Db } from "../../store/database.js";
import type { DeliveredMessage } from "./message-format.js";

export interface WebhookOptions {
  /** Retries after the first attempt, and their backoff (exponential, full jitter). */
  retry: RetryPolicy;
  /** How long one attempt may take. */
  timeoutMs: number;
}

export const defaultWebhookOptions: WebhookOptions = {
  retry: { retries: 5, baseDelayMs: 500, maxDelayMs: 30_000, maxRetryAfterMs: 60_000 },
  timeoutMs: 10_000,
};

/** The header naming the message a webhook delivery carries (a receiver can drop a delivery it has already seen). */
export const MESSAGE_ID_HEADER = "x-gatehouse-message-id";

/**
 * Pushes accepted messages to their recipient's webhook (spec messaging.webhookUrl): a POST of
 * the signed message as JSON, retried with backoff on a connection failure, a timeout or a non-2xx
 * answer, until the retries run out. Each outcome is recorded and kept on the message
 * (webhook_status). Delivery is at least once: a receiver that answered too late may see a
 * message twice, and tells them apart by id. The webhook only speeds delivery up: every message
 * stays on the pull endpoint until its recipient acknowledges it, so a delivery that fails (or
 * is cut short by a restart) loses nothing.
 */
export class MessageWebhooks {
  private readonly running = new Set<Promise<void>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly logger: Logger | undefined,
    private readonly options: WebhookOptions = defaultWebhookOptions,
  ) {}

  /** Starts delivering in the background. */
  push(message: DeliveredMessage & { tenantId: string }, url: string): void {
    const delivery = this.deliver(message, url).catch((error: unknown) => {
      this.logger?.error({ messageId: message.id, error: String(error) }, "message webhook delivery failed");
    });
    this.running.add(delivery);
    void delivery.finally(() => this.running.delete(delivery));
  }

  /** Waits for the deliveries under way (tests, shutdown). */
  async settled(): Promise<void> {
    while (this.running.size > 0) await Promise.all([...this.running]);
  }

  /** Stops retrying (the messages stay on the pull endpoint). */
  async close(): Promise<void> {
    this.abort.abort();
    await this.settled();
  }

  private async deliver(message: DeliveredMessage & { tenantId: string }, url: string): Promise<void> {
    const { tenantId, ...envelope } = message;
    const body = JSON.stringify(envelope);
    let attempts = 0;
    let reason = "";
    for (;;) {
      attempts++;
      let retryAfter: number | undefined;
      try {
        const response = await request(url, {
          method: "POST",
          headers: { "content-type": "application/json", [MESSAGE_ID_HEADER]: message.id },
          body,
          headersTimeout: this.options.timeoutMs,
          bodyTimeout: this.options.timeoutMs,
          signal: this.abort.signal,
        });
        await response.body.dump();
        if (response.statusCode >= 200 && response.statusCode < 300) return this.finish(tenantId, message, url, attempts, "delivered", `answered ${response.statusCode}`);
        reason = `answered ${response.statusCode}`;
        const header = response.headers["retry-after"];
        if (typeof header === "string" && /^\d+$/.test(header)) retryAfter = Number(header) * 1000;
      } catch (error) {
        reason = (error as { code?: string }).code ?? (error as Error).message;
      }
      const delay = this.abort.signal.aborted ? undefined : retryDelayMs(attempts - 1, this.options.retry, Math.random, retryAfter);
      if (delay === undefined) return this.finish(tenantId, message, url, attempts, "failed", reason);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delay);
        this.abort.signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
      });
    }
  }

  private async finish(tenantId: string, message: DeliveredMessage, url: string, attempts: number, status: "delivered" | "failed", reason: string): Promise<void> {
    const now = Date.now();
    await this.db.transaction().execute(async (trx) => {
      await trx
        .updateTable("agent_messages")
        .set({ webhook_status: status, webhook_attempts: attempts, webhook_delivered_at: status === "delivered" ? now : null })
        .where("id", "=", message.id)
        .execute();
      await this.recorder.record(trx, actionContext(systemActor("message-webhook", tenantId)), {
        action: "message.deliver",
        resource: { kind: "message", id: message.id, name: message.recipient },
        decision: { outcome: status === "delivered" ? "allowed" : "failed", reasons: [`webhook ${reason} after ${attempts} attempt${attempts === 1 ? "" : "s"}`] },
        context: { taskId: message.taskId, environment: message.environment },
        payload: { url, attempts, sender: message.sender, seq: message.seq },
      });
    });
  }
}
