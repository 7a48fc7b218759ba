/**
 * What zero-trust agents add to each call: verifying the agent's proof of possession (parse,
 * Ed25519 signature, binding to method, URL, body and time, the key and the agent's lifecycle
 * read from the store, the nonce remembered) plus the grant check a tool call makes
 * (Grants.liveGrantCovering: a live grant of the task whose scope covers the arguments), on
 * SQLite and PostgreSQL, side by side with an agent token (no signature, no nonce).
 *
 * Proofs are signed before the clock starts: signing is the agent's work, not Gatehouse's.
 * Calls run one after another (latency, not throughput). Prints p50/p99 per call and the target
 * (proof verification plus grant check ≤ 0.3 ms p50).
 */
import { performance } from "node:perf_hooks";
import { agentActor, type AgentCredential } from "../src/agents/identity/agent-identity.js";
import { bodyHash } from "../src/agents/identity/proof.js";
import { grantRequestBody } from "../src/agents/grants/scope.js";
import { systemActor } from "../src/audit/actor.js";
import { actionContext } from "../src/audit/recorder.js";
import type { Gatehouse } from "../src/gatehouse.js";
import { generateAgentKey, ProofSigner } from "../src/sdk/proof-signer.js";
import { defaultTenantSettings } from "../src/tenancy/settings.js";
import { benchGatehouse, machine, percentiles, table } from "./support.js";

const CALLS = Number(process.env.BENCH_CALLS ?? 5000);
const WARMUP = 500;
const TARGET_P50_MS = 0.3;
const HOST = "gatehouse.test";
const TOOL = { name: "lookup", sideEffect: "read" as const };
const ARGS = { orderId: "12345" };
const BODY = new TextEncoder().encode(JSON.stringify({ arguments: ARGS }));
const URL_PATH = "/v1/tools/lookup/invoke";

type StoreKind = "sqlite" | "postgres";


/**
 * A tenant with an active agent holding a registered key, an open task and a live grant for
 * one tool scoped to one order: the state every mediated tool call of that agent starts from.
 * The registry and lifecycle are written directly (as the approvals workflow would once
 * reviewers approved), since approvals are not what is measured.
 */
async function agentWithGrant(gatehouse: Gatehouse) {
  const system = actionContext(systemActor("bench"));
  const tenant = await gatehouse.transaction((trx) =>
    gatehouse.tenants.create(trx, system, { name: `bench-${Date.now().toString(36)}`, settings: defaultTenantSettings(), environments: [{ name: "staging", production: false }] }),
  );
  const ctx = actionContext(systemActor("bench", tenant.id));
  const agentSpec = {
    purpose: "benchmarks tool calls",
    capabilities: { tools: [TOOL.name], dataSources: [], models: [] },
    environments: ["staging"],
    limits: { concurrency: 4 },
  };
  const { privateJwk, publicJwk } = await generateAgentKey();
  const agent = await gatehouse.transaction(async (trx) => {
    await gatehouse.registry.write(trx, ctx, {
      tenantId: tenant.id,
      kind: "tool",
      name: TOOL.name,
      owner: "bench",
      spec: { kind: "http", endpoint: "https://tools.example.test/lookup", sideEffect: TOOL.sideEffect, argumentsSchema: { type: "object" } },
    });
    await gatehouse.registry.write(trx, ctx, { tenantId: tenant.id, kind: "agent", name: "bench-bot", owner: "bench", spec: agentSpec });
    const record = await gatehouse.registry.get(tenant.id, "agent", "bench-bot", trx);
    for (const event of [{ type: "submit" }, { type: "approve" }, { type: "activate", environment: "staging" }] as const) {
      await gatehouse.lifecycle.apply(trx, ctx, record, event);
    }
    await gatehouse.agentAccess.keys.register(trx, ctx, tenant.id, "bench-bot", { publicKey: publicJwk, overlapSeconds: 0 });
    return record;
  });
  const signer = await ProofSigner.create(privateJwk, { tenant: tenant.name, name: "bench-bot" }, "staging");
  const identity = await gatehouse.agentAccess.authenticator.authenticate(await proofFor(signer), ctx);
  const agentCtx = actionContext(agentActor(identity));
  const task = await gatehouse.agentAccess.tasks.open(agentCtx, identity, { purpose: "answer order questions", reference: "order #12345" });
  const grant = await gatehouse.agentAccess.grants.request(
    agentCtx,
    identity,
    task.id,
    grantRequestBody.parse({ resource: { kind: "tool", name: TOOL.name }, scope: { arguments: { orderId: { equals: "12345" } } } }),
  );
  if (grant.status !== "active") throw new Error(`the bench grant is ${grant.status}, not active`);
  const token = await gatehouse.agentAccess.tokens.issue(agentCtx, identity);
  return { agent, signer, task, identity, token: token.token, ctx: agentCtx };
}

async function proofFor(signer: ProofSigner): Promise<AgentCredential> {
  const proof = await signer.sign({ method: "POST", url: `https://${HOST}${URL_PATH}`, body: BODY });
  return { kind: "proof", proof, method: "POST", host: HOST, url: URL_PATH, bodyHash: bodyHash(Buffer.from(BODY)) };
}

interface Figures {
  proof: Float64Array;
  token: Float64Array;
  grant: Float64Array;
}

async function measure(kind: StoreKind): Promise<Figures | string> {
  let bench: Awaited<ReturnType<typeof benchGatehouse>>;
  try {
    bench = await benchGatehouse(kind);
  } catch (error) {
    return `skipped: ${(error as Error).message}`;
  }
  try {
    const { gatehouse } = bench;
    const { signer, task, token, ctx } = await agentWithGrant(gatehouse);
    const { authenticator, grants } = gatehouse.agentAccess;
    const proofs: AgentCredential[] = [];
    for (let i = 0; i < CALLS + WARMUP; i++) proofs.push(await proofFor(signer));
    const tokenCredential: AgentCredential = { kind: "token", token };

    const run = async (n: number, offset: number, call: (i: number) => Promise<void>) => {
      const latencies = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const t0 = performance.now();
        await call(offset + i);
        latencies[i] = performance.now() - t0;
      }
      return latencies;
    };
    const withProof = async (i: number) => {
      await authenticator.authenticate(proofs[i] as AgentCredential, ctx);
      const coverage = await grants.liveGrantCovering(task, TOOL, ARGS);
      if (!coverage.covered) throw new Error(coverage.reason);
    };
    const withToken = async () => {
      await authenticator.authenticate(tokenCredential, ctx);
      const coverage = await grants.liveGrantCovering(task, TOOL, ARGS);
      if (!coverage.covered) throw new Error(coverage.reason);
    };
    const grantOnly = async () => {
      const coverage = await grants.liveGrantCovering(task, TOOL, ARGS);
      if (!coverage.covered) throw new Error(coverage.reason);
    };
    await run(WARMUP, 0, withProof);
    const proof = await run(CALLS, WARMUP, withProof);
    await run(WARMUP, 0, withToken);
    const tokenFigures = await run(CALLS, 0, withToken);
    const grant = await run(CALLS, 0, grantOnly);
    return { proof, token: tokenFigures, grant };
  } finally {
    await bench.dispose();
  }
}

const ms = (v: number) => `${v.toFixed(3)} ms`;

async function main(): Promise<void> {
  console.log(machine());
  console.log(`${CALLS} sequential calls per phase after ${WARMUP} warm-up calls\n`);
  const rows: string[][] = [["store", "proof + grant p50 / p99", "token + grant p50 / p99", "grant check alone p50 / p99"]];
  let sqliteP50: number | undefined;
  for (const kind of ["sqlite", "postgres"] as const) {
    const figures = await measure(kind);
    if (typeof figures === "string") {
      rows.push([kind, figures, "", ""]);
      continue;
    }
    const proof = percentiles(figures.proof);
    const token = percentiles(figures.token);
    const grant = percentiles(figures.grant);
    if (kind === "sqlite") sqliteP50 = proof.p50;
    rows.push([kind, `${ms(proof.p50)} / ${ms(proof.p99)}`, `${ms(token.p50)} / ${ms(token.p99)}`, `${ms(grant.p50)} / ${ms(grant.p99)}`]);
    console.log(JSON.stringify({ store: kind, proof_and_grant_p50_ms: proof.p50, proof_and_grant_p99_ms: proof.p99, token_and_grant_p50_ms: token.p50, grant_only_p50_ms: grant.p50 }));
  }
  console.log();
  table(rows);
  if (sqliteP50 !== undefined) {
    console.log(`\ntarget: proof verification + grant check ≤ ${TARGET_P50_MS} ms p50 (SQLite): ${ms(sqliteP50)} ${sqliteP50 <= TARGET_P50_MS ? "met" : "MISSED"}`);
  }
}

await main();
