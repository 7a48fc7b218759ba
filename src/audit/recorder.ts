import { randomUUID } from "node:crypto";
import type { Executor } from "../store/database.js";
import { GatehouseError } from "../shared/errors.js";
import { canonicalJson, type Json } from "../shared/json.js";
import type { Actor } from "./actor.js";

export type Outcome = "allowed" | "refused" | "failed";

/** Who is acting, on whose behalf, and for which request; passed down from every surface. */
export interface ActionContext {
  actor: Actor;
  tenantId: string | null;
  requestId?: string;
  /** How many events this action has recorded so far (the HTTP layer records calls that wrote none). */
  recorded: number;
}

export const actionContext = (actor: Actor, requestId?: string): ActionContext => ({
  actor,
  tenantId: actor.tenantId,
  requestId,
  recorded: 0,
});

export interface EventInput {
  /** Dotted verb, e.g. agent.create, change_request.approve, admin.read. */
  action: string;
  resource: { kind: string; id?: string; name?: string };
  decision: { outcome: Outcome; reasons?: string[] };
  context?: { requestId?: string; method?: string; path?: string; status?: number; [key: string]: Json | undefined };
  payload?: { before?: unknown; after?: unknown; justification?: string | null; [key: string]: unknown };
}

/**
 * The one entry point through which every state change and every admin call is recorded.
 * Callers pass the executor of the transaction that makes the change, so an event is durable
 * exactly when the change is, and a change whose event cannot be written does not happen.
 */
export class Recorder {
  private lastAt = 0;

  async record(executor: Executor, ctx: ActionContext, input: EventInput): Promise<{ id: string; seq: number }> {
    // Timestamps never go backwards within this process, even if the wall clock does.
    const at = Math.max(Date.now(), this.lastAt);
    this.lastAt = at;
    const id = randomUUID();
    let row: { seq: number };
    try {
      row = await executor
        .insertInto("events")
        .values({
          id,
          tenant_id: ctx.tenantId,
          at,
          actor: canonicalJson(ctx.actor),
          action: input.action,
          resource: canonicalJson(input.resource),
          decision: canonicalJson({ outcome: input.decision.outcome, reasons: input.decision.reasons ?? [] }),
          context: canonicalJson({ requestId: ctx.requestId, ...input.context }),
          payload: canonicalJson(input.payload ?? {}),
        })
        .returning("seq")
        .executeTakeFirstOrThrow();
    } catch (error) {
      // Fail closed: a change whose event cannot be written must not happen.
      throw new GatehouseError("unavailable", "the event log is unavailable; nothing was changed", undefined, { cause: error });
    }
    ctx.recorded += 1;
    return { id, seq: row.seq };
  }
}
