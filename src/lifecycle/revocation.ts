import type { ActionContext } from "../audit/recorder.js";
import type { Executor } from "../store/database.js";

/**
 * Something an agent can hold that must die when the agent is retired: credentials, grants,
 * open change requests, sessions. Each holder registers one revoker here; retirement calls
 * them all inside the retiring transaction, so nothing survives a retirement that committed.
 */
export interface Revoker {
  readonly name: string;
  /** Revokes everything the agent holds of this kind and returns how many items it revoked. */
  revokeAll(executor: Executor, ctx: ActionContext, agent: { tenantId: string; id: string; name: string }): Promise<number>;
}

export class Revocation {
  private readonly revokers: Revoker[] = [];

  register(revoker: Revoker): void {
    this.revokers.push(revoker);
  }

  async revokeAgent(
    executor: Executor,
    ctx: ActionContext,
    agent: { tenantId: string; id: string; name: string },
  ): Promise<Record<string, number>> {
    const revoked: Record<string, number> = {};
    for (const revoker of this.revokers) revoked[revoker.name] = await revoker.revokeAll(executor, ctx, agent);
    return revoked;
  }
}
