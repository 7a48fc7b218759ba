import { verify } from "node:crypto";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import type { AgentState } from "../../lifecycle/agent-states.js";
import type { AgentSpec } from "../../registry/kinds.js";
import { CompiledOnce } from "../../store/compiled-once.js";
import type { Db } from "../../store/database.js";
import { GatehouseError } from "../../shared/errors.js";
import type { AgentCredential, AgentIdentity } from "./agent-identity.js";
import { hashToken } from "./agent-tokens.js";
import type { NonceStore } from "./nonces.js";
import { checkBinding, decodeProof, nonceExpiry, ProofError, signatureValid, type DecodedProof } from "./proof.js";
import { verifyingKey } from "./public-key.js";

/** An authenticated agent, with when the key it used stops working (for tokens issued on it). */
export type VerifiedAgent = AgentIdentity & { keyNotAfter: number | null };

/** The agent, its key and its lifecycle as one query reads them. */
interface AgentRow {
  agent_id: string;
  tenant_id: string;
  tenant_name: string;
  name: string;
  owner: string;
  version: number;
  spec: string;
  deleted_at: number | null;
  public_key: string | null;
  not_after: number | null;
  key_revoked_at: number | null;
  state: string | null;
  environments: string | null;
}

class Refusal extends Error {
  constructor(
    message: string,
    readonly status: "unauthenticated" | "forbidden" = "unauthenticated",
  ) {
    super(message);
  }
}

/**
 * Authenticates an agent request: a proof (signature by the agent's registered key, bound to
 * this method, URL, body and time, nonce never seen before) or a token obtained with one. On
 * every request it checks that the key is still valid and that the agent is active in the
 * environment it acts in, reading the store, so suspension, retirement and key rotation take
 * effect on the next request. Every refusal is recorded (in the claimed agent's tenant when it
 * exists) and answered 401 (403 for an environment the agent is not active in).
 */
export class AgentAuthenticator {
  private readonly specs = new Map<string, AgentSpec>();

  constructor(
    private readonly db: Db,
    private readonly recorder: Recorder,
    private readonly nonces: NonceStore,
    private readonly clock: () => number = Date.now,
  ) {}

  async authenticate(credential: AgentCredential, ctx: ActionContext): Promise<VerifiedAgent> {
    const claimed: Record<string, string> = { credential: credential.kind };
    let row: AgentRow | undefined;
    try {
      if (credential.kind === "token") {
        const tokenRow = await this.byToken(credential.token);
        row = tokenRow;
        return await this.admitToken(tokenRow);
      }
      let proof: DecodedProof;
      try {
        proof = decodeProof(credential.proof);
      } catch (error) {
        throw new Refusal(error instanceof ProofError ? error.message : "the proof does not parse");
      }
      const { agent, env } = proof.claims;
      Object.assign(claimed, { tenant: agent.tenant, agent: agent.name, kid: proof.kid, environment: env });
      row = await this.byKey(agent.tenant, agent.name, proof.kid);
      return await this.admitProof(row, proof, credential);
    } catch (error) {
      if (!(error instanceof Refusal)) throw error;
      await this.recordRefusal(ctx, row, claimed, error.message);
      throw new GatehouseError(error.status, error.message);
    }
  }

  /**
   * Checks a signature an authenticated agent made over something it sends (a message): with its
   * registered key `kid`, which must still authenticate (neither revoked nor past its rotation
   * overlap). Returns the key (its public JWK as stored); throws unauthenticated saying why not.
   * The caller records the refusal with what it was refusing.
   */
  async verifySigned(agent: Pick<AgentIdentity, "agentId" | "name">, kid: string, signingInput: Buffer, signature: Buffer): Promise<{ publicKey: string }> {
    const key = await this.db
      .selectFrom("agent_keys")
      .select(["public_key", "not_after", "revoked_at"])
      .where("agent_id", "=", agent.agentId)
      .where("kid", "=", kid)
      .executeTakeFirst();
    try {
      if (!key) throw new Refusal(`key ${kid} is not registered for agent '${agent.name}'`);
      this.checkKey({ name: agent.name, not_after: key.not_after, key_revoked_at: key.revoked_at }, kid, this.clock());
      let valid = false;
      try {
        valid = verify(null, signingInput, verifyingKey(key.public_key), signature);
      } catch {
        valid = false;
      }
      if (!valid) throw new Refusal(`the signature does not verify with key ${kid} of agent '${agent.name}'`);
      return { publicKey: key.public_key };
    } catch (error) {
      if (error instanceof Refusal) throw new GatehouseError("unauthenticated", error.message);
      throw error;
    }
  }

  private async admitProof(row: AgentRow | undefined, proof: DecodedProof, request: Extract<AgentCredential, { kind: "proof" }>): Promise<VerifiedAgent> {
    const { agent, env, jti, iat } = proof.claims;
    if (!row || row.deleted_at !== null) throw new Refusal(`no agent '${agent.name}' in tenant '${agent.tenant}'`);
    if (row.public_key === null) throw new Refusal(`key ${proof.kid} is not registered for agent '${row.name}'`);
    if (!signatureValid(proof, verifyingKey(row.public_key))) throw new Refusal(`the proof's signature does not verify with key ${proof.kid}`);
    const now = this.clock();
    try {
      checkBinding(proof.claims, request, now);
    } catch (error) {
      throw new Refusal(error instanceof ProofError ? error.message : "the proof does not match the request");
    }
    this.checkKey(row, proof.kid, now);
    const identity = this.checkAgent(row, env, proof.kid, "proof");
    if (!(await this.nonces.remember(`${row.agent_id}:${jti}`, nonceExpiry(iat)))) {
      throw new Refusal("the proof was already used (replayed nonce); sign every request afresh");
    }
    return identity;
  }

  private async admitToken(row: (AgentRow & { kid: string; environment: string; expires_at: number; token_revoked_at: number | null }) | undefined): Promise<VerifiedAgent> {
    const now = this.clock();
    if (!row || row.deleted_at !== null) throw new Refusal("invalid agent token");
    if (row.token_revoked_at !== null) throw new Refusal("the agent token was revoked");
    if (row.expires_at <= now) throw new Refusal("the agent token has expired; obtain another with a proof");
    this.checkKey(row, row.kid, now);
    return this.checkAgent(row, row.environment, row.kid, "token");
  }

  private checkKey(row: Pick<AgentRow, "name" | "not_after" | "key_revoked_at">, kid: string, now: number): void {
    if (row.key_revoked_at !== null) throw new Refusal(`key ${kid} of agent '${row.name}' was revoked`);
    if (row.not_after !== null && row.not_after <= now) throw new Refusal(`key ${kid} of agent '${row.name}' was replaced by a newer key`);
  }

  private checkAgent(row: AgentRow, environment: string, kid: string, via: "proof" | "token"): VerifiedAgent {
    const state = (row.state ?? "draft") as AgentState;
    if (state !== "active") throw new Refusal(`agent '${row.name}' is ${state}; only active agents act`);
    const spec = this.specOf(row);
    const active: string[] = row.environments ? (JSON.parse(row.environments) as string[]) : [];
    if (!active.includes(environment) || !spec.environments.includes(environment)) {
      throw new Refusal(`agent '${row.name}' is not active in environment '${environment}' (active in: ${active.join(", ") || "none"})`, "forbidden");
    }
    return {
      tenantId: row.tenant_id,
      tenantName: row.tenant_name,
      agentId: row.agent_id,
      name: row.name,
      owner: row.owner,
      spec,
      environment,
      kid,
      via,
      keyNotAfter: row.not_after,
    };
  }

  /** Specs parsed once per record version (they are immutable per version). */
  private specOf(row: AgentRow): AgentSpec {
    const key = `${row.agent_id}@${row.version}`;
    let spec = this.specs.get(key);
    if (!spec) {
      spec = JSON.parse(row.spec) as AgentSpec;
      if (this.specs.size >= 10_000) this.specs.clear();
      this.specs.set(key, spec);
    }
    return spec;
  }

  private byKey(tenant: string, name: string, kid: string): Promise<AgentRow | undefined> {
    return agentByKey.first(this.db, { tenant, name, kid });
  }

  private byToken(token: string) {
    return agentByToken.first(this.db, { hash: hashToken(token) });
  }

  private async recordRefusal(ctx: ActionContext, row: AgentRow | undefined, claimed: Record<string, string>, reason: string): Promise<void> {
    // Recorded in the claimed agent's tenant, so its owners see attempts to act as their agent.
    if (row) ctx.tenantId = row.tenant_id;
    await this.recorder.record(this.db, ctx, {
      action: "agent.authenticate",
      resource: { kind: "agent", ...(row ? { id: row.agent_id } : {}), name: row?.name ?? claimed.agent ?? "(unknown)" },
      decision: { outcome: "refused", reasons: [reason] },
      context: claimed.environment ? { environment: claimed.environment } : {},
      payload: { claimed },
    });
  }
}

/** The columns both lookups read: the agent, its tenant, its key and its lifecycle. */
const agentColumns = [
  "r.id as agent_id",
  "r.tenant_id",
  "t.name as tenant_name",
  "r.name",
  "r.owner",
  "r.version",
  "r.spec",
  "r.deleted_at",
  "k.public_key",
  "k.not_after",
  "k.revoked_at as key_revoked_at",
  "l.state",
  "l.environments",
] as const;

/** The agent a proof names, with the key it names (if registered) and its lifecycle. Every proof runs it. */
const agentByKey = new CompiledOnce<{ tenant: string; name: string; kid: string }, AgentRow>(["tenant", "name", "kid"], (db, v) =>
  db
    .selectFrom("registry_records as r")
    .innerJoin("tenants as t", "t.id", "r.tenant_id")
    .leftJoin("agent_keys as k", (join) => join.onRef("k.agent_id", "=", "r.id").on("k.kid", "=", v.kid))
    .leftJoin("agent_lifecycle as l", "l.agent_id", "r.id")
    .select(agentColumns)
    .where("t.name", "=", v.tenant)
    .where("r.kind", "=", "agent")
    .where("r.name", "=", v.name),
);

/** The agent a token was issued to, with the key it was issued on. Every token request runs it. */
const agentByToken = new CompiledOnce<
  { hash: string },
  AgentRow & { kid: string; environment: string; expires_at: number; token_revoked_at: number | null }
>(["hash"], (db, v) =>
  db
    .selectFrom("agent_tokens as tok")
    .innerJoin("registry_records as r", "r.id", "tok.agent_id")
    .innerJoin("tenants as t", "t.id", "r.tenant_id")
    .innerJoin("agent_keys as k", (join) => join.onRef("k.agent_id", "=", "tok.agent_id").onRef("k.kid", "=", "tok.kid"))
    .leftJoin("agent_lifecycle as l", "l.agent_id", "r.id")
    .select([...agentColumns, "tok.kid", "tok.environment", "tok.expires_at", "tok.revoked_at as token_revoked_at"])
    .where("tok.hash", "=", v.hash),
);
