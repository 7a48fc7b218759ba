import { z } from "zod";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import { actorLabel } from "../../audit/actor.js";
import type { Revoker } from "../../lifecycle/revocation.js";
import type { AgentLifecycle } from "../../lifecycle/agent-lifecycle.js";
import type { Registry } from "../../registry/registry.js";
import type { Db, Executor } from "../../store/database.js";
import type { AgentKeyTable } from "../../store/schema.js";
import { conflict } from "../../shared/errors.js";
import { parsePublicJwk, thumbprint, type Ed25519PublicJwk } from "./public-key.js";

/** The longest a replaced key keeps authenticating (a rolling deployment's overlap). */
export const MAX_ROTATION_OVERLAP_SECONDS = 3600;

export const registerKeyBody = z
  .object({
    publicKey: z.unknown(),
    /** How long the key this one replaces keeps working; 0 cuts it off at once (a compromised key). */
    overlapSeconds: z.number().int().min(0).max(MAX_ROTATION_OVERLAP_SECONDS).default(60),
    justification: z.string().min(1).max(4000).optional(),
  })
  .strict();

export interface AgentKey {
  kid: string;
  publicKey: Ed25519PublicJwk;
  createdAt: number;
  createdBy: string;
  /** When a replaced key stops authenticating; null for the current key. */
  notAfter: number | null;
  revokedAt: number | null;
  /** current, overlapping (replaced, still accepted until notAfter), replaced or revoked. */
  status: "current" | "overlapping" | "replaced" | "revoked";
}

const toKey = (row: AgentKeyTable, now: number): AgentKey => ({
  kid: row.kid,
  publicKey: JSON.parse(row.public_key) as Ed25519PublicJwk,
  createdAt: row.created_at,
  createdBy: row.created_by,
  notAfter: row.not_after,
  revokedAt: row.revoked_at,
  status: row.revoked_at !== null ? "revoked" : row.not_after === null ? "current" : row.not_after > now ? "overlapping" : "replaced",
});

/**
 * The public keys agents sign their proofs with. Gatehouse stores only public keys. Each agent
 * has one current key; registering another makes it current and lets the previous one work for
 * an overlap (so a rolling deployment does not drop requests), after which it is refused.
 * A key is never reused once replaced. Retirement revokes every key at once.
 */
export class AgentKeys {
  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly registry: Registry,
    private readonly lifecycle: AgentLifecycle,
    private readonly clock: () => number = Date.now,
  ) {}

  async register(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    agentName: string,
    input: z.output<typeof registerKeyBody>,
  ): Promise<{ status: "registered" | "unchanged"; key: AgentKey; replaced: AgentKey[] }> {
    const agent = await this.registry.get(tenantId, "agent", agentName, executor);
    if ((await this.lifecycle.status(agent, executor)).state === "retired") throw conflict(`agent '${agentName}' is retired; it holds no keys`);
    const publicKey = parsePublicJwk(input.publicKey);
    const kid = await thumbprint(publicKey);
    const now = this.clock();
    const rows = await executor.selectFrom("agent_keys").selectAll().where("agent_id", "=", agent.id).execute();
    const existing = rows.find((r) => r.kid === kid);
    if (existing) {
      if (existing.not_after === null && existing.revoked_at === null) return { status: "unchanged", key: toKey(existing, now), replaced: [] };
      throw conflict(`key ${kid} was replaced or revoked; a key is never registered again`);
    }
    const notAfter = now + input.overlapSeconds * 1000;
    const current = rows.filter((r) => r.revoked_at === null && (r.not_after === null || r.not_after > notAfter));
    if (current.length > 0) {
      await executor
        .updateTable("agent_keys")
        .set({ not_after: notAfter })
        .where("agent_id", "=", agent.id)
        .where("kid", "in", current.map((r) => r.kid))
        .execute();
    }
    const row: AgentKeyTable = {
      agent_id: agent.id,
      kid,
      tenant_id: tenantId,
      public_key: JSON.stringify(publicKey),
      created_at: now,
      created_by: actorLabel(ctx.actor),
      not_after: null,
      revoked_at: null,
    };
    await executor.insertInto("agent_keys").values(row).execute();
    const key = toKey(row, now);
    const replaced = current.map((r) => toKey({ ...r, not_after: notAfter }, now));
    await this.recorder.record(executor, ctx, {
      action: "agent.key.register",
      resource: { kind: "agent", id: agent.id, name: agent.name },
      decision: { outcome: "allowed" },
      payload: {
        after: { kid, publicKey },
        replaced: replaced.map((k) => ({ kid: k.kid, notAfter: k.notAfter })),
        overlapSeconds: input.overlapSeconds,
        justification: input.justification ?? null,
      },
    });
    return { status: "registered", key, replaced };
  }

  async list(tenantId: string, agentName: string): Promise<AgentKey[]> {
    const agent = await this.registry.get(tenantId, "agent", agentName);
    const rows = await this.db.selectFrom("agent_keys").selectAll().where("agent_id", "=", agent.id).orderBy("created_at").execute();
    const now = this.clock();
    return rows.map((r) => toKey(r, now));
  }

  /** Retirement: every key of the agent stops authenticating in the retiring transaction. */
  revoker(): Revoker {
    return {
      name: "agent_keys",
      revokeAll: async (executor, _ctx, agent) => {
        const result = await executor
          .updateTable("agent_keys")
          .set({ revoked_at: this.clock() })
          .where("agent_id", "=", agent.id)
          .where("revoked_at", "is", null)
          .executeTakeFirst();
        return Number(result.numUpdatedRows);
      },
    };
  }
}
