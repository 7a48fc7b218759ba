/**
 * Cedar decision latency with BENCH_POLICIES (default 500) policies of the kinds tenants write
 * (bench/policy-workload.ts), over a mix of model calls, tool calls and data reads:
 *
 * - decision: SlicedPolicySet.decide, what the decide stage runs once the tenant's policies are
 *   parsed (each request with the policies whose scope can match it, and the attributes they read);
 * - unsliced: the same requests against all the policies in one preparsed set with the whole
 *   entities and context (how decisions were made before slicing), for comparison;
 * - with the store: TenantPolicies.current (the generation check against the store) plus the
 *   decision, on SQLite and PostgreSQL (skipped when PostgreSQL is unreachable).
 *
 * Prints p50/p99 per decision and the targets (p50 ≤ 50 µs, p99 ≤ 500 µs with 500 policies).
 */
import { performance } from "node:perf_hooks";
import { preparsePolicySet, statefulIsAuthorized } from "../src/policy/cedar.js";
import { actionContext } from "../src/audit/recorder.js";
import { systemActor } from "../src/audit/actor.js";
import { PolicyEngine, type PolicyRequest } from "../src/policy/policy-engine.js";
import { NAMESPACE } from "../src/policy/schema.js";
import { TenantPolicies } from "../src/policy/tenant-policies.js";
import { defaultTenantSettings } from "../src/tenancy/settings.js";
import { benchGatehouse, machine, percentiles, table } from "./support.js";
import { workloadPolicies, workloadRequest } from "./policy-workload.js";

const COUNT = Number(process.env.BENCH_POLICIES ?? 500);
const DECISIONS = Number(process.env.BENCH_DECISIONS ?? 20_000);
const UNSLICED_DECISIONS = Number(process.env.BENCH_UNSLICED_DECISIONS ?? 1000);
const STORE_DECISIONS = Number(process.env.BENCH_STORE_DECISIONS ?? 5000);
const REQUESTS = 1000;

const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;

function timeEach(n: number, run: (i: number) => void): Float64Array {
  const latencies = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    run(i);
    latencies[i] = performance.now() - t0;
  }
  return latencies;
}

async function timeEachAsync(n: number, run: (i: number) => Promise<void>): Promise<Float64Array> {
  const latencies = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run(i);
    latencies[i] = performance.now() - t0;
  }
  return latencies;
}

/** All the policies in one set, whole entities and context: the decision as it was made before slicing. */
function unsliced(policies: ReturnType<typeof workloadPolicies>, requests: PolicyRequest[]): Float64Array {
  const staticPolicies: Record<string, string> = { baseline: "permit (principal, action, resource);" };
  for (const p of policies) staticPolicies[p.name] = p.text;
  const answer = preparsePolicySet("bench-unsliced", { staticPolicies });
  if (answer.type === "failure") throw new Error(JSON.stringify(answer.errors));
  const decide = (r: PolicyRequest) =>
    statefulIsAuthorized({
      principal: { type: `${NAMESPACE}::${r.principal.type}`, id: r.principal.id },
      action: { type: `${NAMESPACE}::Action`, id: r.action },
      resource: { type: `${NAMESPACE}::${r.resource.type}`, id: r.resource.id },
      context: r.context as never,
      entities: r.entities,
      preparsedPolicySetId: "bench-unsliced",
    });
  for (let i = 0; i < 200; i++) decide(requests[i % REQUESTS] as PolicyRequest);
  return timeEach(UNSLICED_DECISIONS, (i) => void decide(requests[i % REQUESTS] as PolicyRequest));
}


/** The decide stage's path: the generation check against the store, then the decision. */
async function withStore(kind: "sqlite" | "postgres", policies: ReturnType<typeof workloadPolicies>, requests: PolicyRequest[]): Promise<Float64Array | string> {
  let bench: Awaited<ReturnType<typeof benchGatehouse>>;
  try {
    bench = await benchGatehouse(kind);
  } catch (error) {
    return `skipped: ${(error as Error).message}`;
  }
  const { gatehouse } = bench;
  try {
    const ctx = actionContext(systemActor("bench"));
    const tenant = await gatehouse.transaction((trx) =>
      gatehouse.tenants.create(trx, ctx, { name: `bench-${Date.now().toString(36)}`, settings: defaultTenantSettings(), environments: [{ name: "production", production: true }, { name: "staging", production: false }] }),
    );
    await gatehouse.transaction(async (trx) => {
      for (const p of policies) {
        await gatehouse.registry.write(trx, actionContext(systemActor("bench", tenant.id)), { tenantId: tenant.id, kind: "policy", name: p.name, owner: "security", spec: { text: p.text, environments: [] } });
      }
    });
    const cache = new TenantPolicies(gatehouse.registry, new PolicyEngine());
    const decide = async (i: number) => {
      const r = requests[i % REQUESTS] as PolicyRequest;
      const snapshot = await cache.current(tenant.id);
      snapshot.forEnvironment(String(r.context.environment)).decide(r);
    };
    for (let i = 0; i < 500; i++) await decide(i);
    return await timeEachAsync(STORE_DECISIONS, decide);
  } finally {
    await bench.dispose();
  }
}

async function main(): Promise<void> {
  console.log("# policy-decide: Cedar decisions");
  console.log(`machine: ${machine()}`);
  const policies = workloadPolicies(COUNT);
  const requests = Array.from({ length: REQUESTS }, (_, i) => workloadRequest(i));
  const engine = new PolicyEngine();

  const t0 = performance.now();
  const sets = { production: engine.prepare(policies, "production"), staging: engine.prepare(policies, "staging") };
  const parseMs = performance.now() - t0;
  const setOf = (r: PolicyRequest) => sets[r.context.environment as "production" | "staging"];
  const sliceSizes = requests.map((r) => setOf(r).sliceOf(r).length);
  let denied = 0;
  const t1 = performance.now();
  for (const r of requests) if (!setOf(r).decide(r).allowed) denied++;
  const firstPassMs = performance.now() - t1;
  // Warm-up: every request kind seen, Cedar's code optimised.
  for (let i = 0; i < 5 * REQUESTS; i++) setOf(requests[i % REQUESTS] as PolicyRequest).decide(requests[i % REQUESTS] as PolicyRequest);
  const sliced = percentiles(timeEach(DECISIONS, (i) => void setOf(requests[i % REQUESTS] as PolicyRequest).decide(requests[i % REQUESTS] as PolicyRequest)));
  // The same decisions with nothing remembered: each one sliced, its ruled-out policies left out,
  // evaluated by Cedar when a policy is left, and remembered anew.
  const reachedCedar = new Uint8Array(DECISIONS);
  const evaluatedTimes = timeEach(DECISIONS, (i) => {
    const r = requests[i % REQUESTS] as PolicyRequest;
    const set = setOf(r);
    set.forgetDecisions();
    const calls = set.cedarCalls;
    set.decide(r);
    reachedCedar[i] = set.cedarCalls > calls ? 1 : 0;
  });
  const evaluated = percentiles(evaluatedTimes);
  const withCedar = evaluatedTimes.filter((_, i) => reachedCedar[i] === 1);
  const withoutCedar = evaluatedTimes.filter((_, i) => reachedCedar[i] === 0);
  const before = percentiles(unsliced(policies, requests));

  const sorted = [...sliceSizes].sort((a, b) => a - b);
  console.log(`${policies.length} policies, ${REQUESTS} distinct requests (${denied} denied); parsed in ${parseMs.toFixed(0)} ms, first decision of every request kind ${firstPassMs.toFixed(0)} ms in all`);
  console.log(`policies per slice: median ${sorted[Math.floor(sorted.length / 2)]}, max ${sorted.at(-1)}, empty ${sorted.filter((n) => n === 0).length} of ${REQUESTS}`);
  const rows = [["path", "decisions", "p50", "p99", "max"]];
  rows.push(["decision, evaluated", String(DECISIONS), us(evaluated.p50), us(evaluated.p99), us(evaluated.max)]);
  for (const [name, times] of [["  of which Cedar called", withCedar], ["  of which all ruled out", withoutCedar]] as const) {
    const p = times.length > 0 ? percentiles(times) : undefined;
    rows.push([name, String(times.length), p ? us(p.p50) : "-", p ? us(p.p99) : "-", p ? us(p.max) : "-"]);
  }
  rows.push(["decision, remembered", String(DECISIONS), us(sliced.p50), us(sliced.p99), us(sliced.max)]);
  rows.push(["unsliced (before)", String(UNSLICED_DECISIONS), us(before.p50), us(before.p99), us(before.max)]);
  for (const kind of ["sqlite", "postgres"] as const) {
    if (!(process.env.BENCH_STORES ?? "sqlite,postgres").split(",").includes(kind)) continue;
    const result = await withStore(kind, policies, requests);
    if (typeof result === "string") rows.push([`with ${kind} check`, "-", result, "", ""]);
    else {
      const p = percentiles(result);
      rows.push([`with ${kind} check`, String(STORE_DECISIONS), us(p.p50), us(p.p99), us(p.max)]);
    }
  }
  table(rows);
  console.log(`\ntargets with ${policies.length} policies: p50 ≤ 50 µs, p99 ≤ 500 µs (the decision)`);
  for (const [name, p] of [["evaluated by Cedar", evaluated], ["remembered (a sliced request seen before)", sliced]] as const) {
    console.log(`${name}: p50 ${us(p.p50)} ${p.p50 <= 0.05 ? "met" : "MISSED"}; p99 ${us(p.p99)} ${p.p99 <= 0.5 ? "met" : "MISSED"}`);
  }
  console.log(`machine after: ${machine()}`);
}

await main();
