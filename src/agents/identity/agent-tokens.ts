import { createHash, randomBytes } from "node:crypto";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import type { Revoker } from "../../lifecycle/revocation.js";
import type { Db } from "../../store/database.js";
import type { AgentIdentity } from "./agent-identity.js";
import { MAX_TOKEN_SECONDS, TOKEN_PREFIX } from "./proof-format.js";

export const hashToken = (token: string): string => createHash("sha256").update(token, "utf8").digest("hex");

/**
 * Short-lived agent tokens (at most MAX_TOKEN_SECONDS), issued against a proof, for clients that
 * cannot sign every request. A token is a bearer credential: it is 256 random bits, stored only
 * as a hash, bound to the agent, the key that obtained it and one environment, and it stops
 * working the moment any of those does (suspension, retirement, the key replaced or revoked),
 * because every request checks them; a stolen one is useful for minutes at most and cannot be
 * exchanged for another. Requests that carry a proof instead are bound to their body and
 * cannot be replayed at all, which is why the SDK signs every request.
 */
export class AgentTokens {
  private nextPruneAt = 0;

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly clock: () => number = Date.now,
  ) {}

  async issue(ctx: ActionContext, identity: AgentIdentity & { keyNotAfter: number | null }): Promise<{ token: string; expiresAt: number }> {
    const now = this.clock();
    const expiresAt = Math.min(now + MAX_TOKEN_SECONDS * 1000, identity.keyNotAfter ?? Number.MAX_SAFE_INTEGER);
    const token = TOKEN_PREFIX + randomBytes(32).toString("base64url");
    await this.db.transaction().execute(async (trx) => {
      await trx
        .insertInto("agent_tokens")
        .values({
          hash: hashToken(token),
          tenant_id: identity.tenantId,
          agent_id: identity.agentId,
          kid: identity.kid,
          environment: identity.environment,
          issued_at: now,
          expires_at: expiresAt,
          revoked_at: null,
        })
        .execute();
      await this.recorder.record(trx, ctx, {
        action: "agent.token.issue",
        resource: { kind: "agent", id: identity.agentId, name: identity.name },
        decision: { outcome: "allowed" },
        context: { environment: identity.environment },
        payload: { kid: identity.kid, expiresAt },
      });
    });
    if (now >= this.nextPruneAt) {
      this.nextPruneAt = now + 60_000;
      await this.db.deleteFrom("agent_tokens").where("expires_at", "<=", now).execute();
    }
    return { token, expiresAt };
  }

  /** Retirement: every token of the agent stops working in the retiring transaction. */
  revoker(): Revoker {
    return {
      name: "agent_tokens",
      revokeAll: async (executor, _ctx, agent) => {
        const now = this.clock();
        const result = await executor
          .updateTable("agent_tokens")
          .set({ revoked_at: now })
          .where("agent_id", "=", agent.id)
          .where("revoked_at", "is", null)
          .where("expires_at", ">", now)
          .executeTakeFirst();
        return Number(result.numUpdatedRows);
      },
    };
  }
}
