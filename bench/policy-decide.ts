/**
 * Cedar decision latency: one model call's decision through PolicyEngine (the policy set parsed
 * once, only the call's two entities sent), with the demo's four baseline policies and with
 * BENCH_POLICIES (default 500) policies of the same shape, each forbidding one provider/data
 * class pair. Prints p50/p99 per decision.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { PolicyEngine, type PolicyRequest, type PolicySource } from "../src/policy/policy-engine.js";
import { NAMESPACE } from "../src/policy/schema.js";
import { machine, percentiles, table } from "./support.js";

const COUNT = Number(process.env.BENCH_POLICIES ?? 500);
const ITERATIONS = Number(process.env.BENCH_DECISIONS ?? 2000);
const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.resolve(here, "../../examples/demo/policies");

const request: PolicyRequest = {
  principal: { type: "Application", id: "support-app" },
  action: "invoke_model",
  resource: { type: "Model", id: "gpt-4o-mini" },
  context: { tenant: "acme", environment: "production", task_class: "chat", data_classes: ["pii"], labels: ["contains_pii"], data_regions: [], grants: [], time: 0 },
  entities: [
    { uid: { type: `${NAMESPACE}::Application`, id: "support-app" }, attrs: { environment: "production" }, parents: [] },
    { uid: { type: `${NAMESPACE}::Model`, id: "gpt-4o-mini" }, attrs: { provider: "openai", region: "us", external: true, task_classes: ["chat"], owner: "platform" }, parents: [] },
  ],
};

function measure(policies: PolicySource[]): { p50: number; p99: number; allowed: boolean } {
  const engine = new PolicyEngine();
  let allowed = true;
  for (let i = 0; i < 500; i++) allowed = engine.decide(policies, "production", request).allowed;
  const latencies = new Float64Array(ITERATIONS);
  for (let i = 0; i < ITERATIONS; i++) {
    const t0 = performance.now();
    engine.decide(policies, "production", request);
    latencies[i] = performance.now() - t0;
  }
  return { ...percentiles(latencies), allowed };
}

function main(): void {
  console.log("# policy-decide: Cedar decisions through PolicyEngine");
  console.log(`machine: ${machine()}`);
  const demo: PolicySource[] = ["pii-never-external", "eu-data-stays-in-eu", "production-models-by-task-class", "restricted-stays-in-tenant"].map((name) => ({
    name,
    text: readFileSync(path.join(demoDir, `${name}.cedar`), "utf8"),
    environments: [],
    version: 1,
  }));
  const many: PolicySource[] = [...demo];
  for (let i = demo.length; i < COUNT; i++) {
    many.push({
      name: `generated-${i}`,
      text: `forbid (principal, action == ${NAMESPACE}::Action::"invoke_model", resource is ${NAMESPACE}::Model) when { resource.provider == "provider-${i}" && context.data_classes.contains("class-${i}") };`,
      environments: [],
      version: 1,
    });
  }
  const small = measure(demo);
  const large = measure(many);
  const us = (ms: number) => `${(ms * 1000).toFixed(1)} µs`;
  table([
    ["policies", "decision", "p50", "p99"],
    [String(demo.length), small.allowed ? "allow" : "deny", us(small.p50), us(small.p99)],
    [String(many.length), large.allowed ? "allow" : "deny", us(large.p50), us(large.p99)],
  ]);
  console.log(`\ntargets with ${many.length} policies: p50 ≤ 50 µs, p99 ≤ 500 µs`);
  console.log(`p50: ${us(large.p50)} ${large.p50 <= 0.05 ? "met" : "MISSED"}; p99: ${us(large.p99)} ${large.p99 <= 0.5 ? "met" : "MISSED"}`);
  console.log(`machine after: ${machine()}`);
}

main();
