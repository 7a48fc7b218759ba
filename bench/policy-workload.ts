/**
 * A tenant's worth of policies and requests for the policy benchmark: the demo's four baseline
 * policies, a few guardrails per action over a resource type, and the rest the rules tenants
 * pile up over time: each pinned to one model, tool, data source or agent, with `when` or
 * `unless` conditions over the context and the resource's attributes.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { EntityJson } from "@cedar-policy/cedar-wasm/nodejs";
import type { PolicyRequest, PolicySource } from "../src/policy/policy-engine.js";
import { NAMESPACE } from "../src/policy/schema.js";

const A = (id: string) => `${NAMESPACE}::Action::"${id}"`;
const here = path.dirname(fileURLToPath(import.meta.url));
const demoDir = path.resolve(here, "../../examples/demo/policies");
export const demoPolicyNames = ["pii-never-external", "eu-data-stays-in-eu", "production-models-by-task-class", "restricted-stays-in-tenant"];

const providers = ["openai", "anthropic", "vllm", "azure", "mistral"];
const dataClasses = ["pii", "phi", "pci", "secrets", "source_code", "legal"];
const labels = ["confidential", "restricted", "contains_pii", "export_controlled", "customer_data"];
const taskClasses = ["chat", "summarise", "classify", "extract", "code"];
const MODELS = 40;
const TOOLS = 30;
const DATA_SOURCES = 20;
const AGENTS = 10;

const pickOf = <T>(list: readonly T[], i: number): T => list[i % list.length] as T;

export const modelAttrs = (k: number) => ({
  provider: pickOf(providers, k),
  region: k % 3 === 0 ? "eu-west-1" : "us",
  external: k % 4 !== 0,
  task_classes: [pickOf(taskClasses, k), "chat"],
  owner: "platform",
});
const toolAttrs = (k: number) => ({ side_effect: pickOf(["read", "write", "egress"], k), owner: "integrations" });
const dataSourceAttrs = (k: number) => ({ sensitivity: pickOf(["public", "internal", "confidential", "restricted"], k), region: k % 2 ? "eu" : "us", owner: "data" });

const guardrails = [
  `forbid (principal, action == ${A("call_tool")}, resource is ${NAMESPACE}::Tool) when { resource.side_effect == "egress" && (context.labels.contains("confidential") || context.labels.contains("restricted")) };`,
  `forbid (principal, action == ${A("read_data")}, resource is ${NAMESPACE}::DataSource) when { resource.sensitivity == "restricted" && context.environment != "production" };`,
  `forbid (principal is ${NAMESPACE}::Agent, action == ${A("request_grant")}, resource is ${NAMESPACE}::Tool) when { resource.side_effect == "egress" && !(context has task) };`,
  `forbid (principal, action == ${A("invoke_model")}, resource is ${NAMESPACE}::Model) when { context.data_classes.contains("secrets") };`,
  `forbid (principal, action == ${A("send_message")}, resource is ${NAMESPACE}::Agent) when { context has destination_tenant && context.destination_tenant != context.tenant };`,
  `forbid (principal, action in [${A("invoke_model")}, ${A("call_tool")}], resource) when { context.labels.contains("export_controlled") && context.data_regions.contains("us") == false };`,
];

/** The i-th pinned rule: over models, tools, data sources or an agent's model use, in that proportion (200/150/80/rest). */
function pinned(i: number): string {
  if (i < 200) {
    const k = i % MODELS;
    const conditions = [
      `when { context.data_classes.contains("${pickOf(dataClasses, i)}") && resource.external }`,
      `when { context.task_class == "${pickOf(taskClasses, i)}" && context.data_classes.contains("${pickOf(dataClasses, i + 1)}") }`,
      `when { context.labels.contains("${pickOf(labels, i)}") && context.environment == "production" }`,
      `when { context.data_regions.contains("eu") && !(resource.region like "eu*") }`,
      `when { context has purpose && context.purpose == "marketing-${i}" }`,
    ];
    return `forbid (principal, action == ${A("invoke_model")}, resource == ${NAMESPACE}::Model::"m-${k}") ${pickOf(conditions, Math.floor(i / MODELS))};`;
  }
  if (i < 350) {
    const k = i % TOOLS;
    const conditions = [
      `when { context.labels.contains("${pickOf(labels, i)}") }`,
      `when { context.environment == "staging" && resource.side_effect != "read" }`,
      `when { context.data_classes.contains("${pickOf(dataClasses, i)}") }`,
      `when { !(context has task) && context.labels.contains("customer_data") }`,
      `when { context.grants.contains("tool:t-${k}") == false && context.time > ${1_800_000_000 + i} }`,
    ];
    return `forbid (principal, action == ${A("call_tool")}, resource == ${NAMESPACE}::Tool::"t-${k}") ${pickOf(conditions, Math.floor((i - 200) / TOOLS))};`;
  }
  if (i < 430) {
    const k = i % DATA_SOURCES;
    const conditions = [
      `when { resource.sensitivity == "restricted" && context.task_class != "${pickOf(taskClasses, i)}" }`,
      `when { context.labels.contains("${pickOf(labels, i)}") }`,
      `when { context has purpose && context.purpose == "marketing" }`,
      `when { resource.region != "eu" && context.data_regions.contains("eu") }`,
    ];
    return `forbid (principal, action == ${A("read_data")}, resource == ${NAMESPACE}::DataSource::"d-${k}") ${pickOf(conditions, Math.floor((i - 350) / DATA_SOURCES))};`;
  }
  const k = i % AGENTS;
  const conditions = [
    `when { resource.external && context.data_classes.contains("${pickOf(dataClasses, i)}") }`,
    `when { resource.provider == "${pickOf(providers, i)}" && context.environment == "production" }`,
    `when { !(resource.task_classes.contains(context.task_class)) && context.environment == "staging" }`,
    `when { context.labels.contains("${pickOf(labels, i)}") }`,
    `when { resource has region && resource.region == "us" && context.data_regions.contains("eu") }`,
    `when { principal.owner == "contractors-${i}" && resource.external }`,
    `when { context.time > ${1_800_000_000 + i} }`,
  ];
  return `forbid (principal == ${NAMESPACE}::Agent::"a-${k}", action == ${A("invoke_model")}, resource is ${NAMESPACE}::Model) ${pickOf(conditions, Math.floor((i - 430) / AGENTS))};`;
}

/** `count` policies (at least the demo's four): the demo's, the guardrails, then pinned rules. */
export function workloadPolicies(count: number): PolicySource[] {
  const policies: PolicySource[] = demoPolicyNames.map((name) => ({
    name,
    text: readFileSync(path.join(demoDir, `${name}.cedar`), "utf8"),
    environments: [],
    version: 1,
  }));
  guardrails.slice(0, Math.max(0, count - policies.length)).forEach((text, i) => policies.push({ name: `guardrail-${i}`, text, environments: [], version: 1 }));
  for (let i = 0; policies.length < count; i++) policies.push({ name: `rule-${i}`, text: pinned(i), environments: [], version: 1 });
  return policies;
}

const entity = (type: string, id: string, attrs: EntityJson["attrs"]): EntityJson => ({ uid: { type: `${NAMESPACE}::${type}`, id }, attrs, parents: [] });

/**
 * The i-th request of the mix: model calls by applications and by agents (60 %), tool calls
 * (25 %), data reads (15 %), over every resource, with contexts that sometimes carry the data
 * classes and labels the rules look for — as the decide stage builds them (whole entities,
 * whole context).
 */
export function workloadRequest(i: number): PolicyRequest {
  const context = {
    tenant: "acme",
    environment: i % 5 === 0 ? "staging" : "production",
    task_class: i % 5 === 4 ? pickOf(taskClasses, i) : "chat",
    data_classes: i % 10 === 0 ? [pickOf(dataClasses, i)] : [],
    labels: i % 12 === 0 ? [pickOf(labels, i)] : [],
    data_regions: i % 15 === 0 ? ["eu"] : [],
    grants: [],
    time: 1_750_000_000,
    ...(i % 2 === 0 ? { task: `task-${i}` } : {}),
  };
  const slot = i % 20;
  if (slot < 12) {
    const k = (i * 13) % MODELS;
    const model = entity("Model", `m-${k}`, modelAttrs(k));
    const agent = slot % 2 === 1;
    const principal = agent
      ? entity("Agent", `a-${i % AGENTS}`, { environment: context.environment, owner: pickOf(["support", "sales", "ops"], i), task_classes: [] })
      : entity("Application", `app-${i % 7}`, { environment: context.environment });
    const uid = principal.uid as { type: string; id: string };
    return {
      principal: { type: uid.type.replace(`${NAMESPACE}::`, ""), id: uid.id },
      action: "invoke_model",
      resource: { type: "Model", id: `m-${k}` },
      context,
      entities: [principal, model],
    };
  }
  const app = entity("Application", `app-${i % 7}`, { environment: context.environment });
  if (slot < 17) {
    const k = (i * 7) % TOOLS;
    return { principal: { type: "Application", id: `app-${i % 7}` }, action: "call_tool", resource: { type: "Tool", id: `t-${k}` }, context, entities: [app, entity("Tool", `t-${k}`, toolAttrs(k))] };
  }
  const k = (i * 11) % DATA_SOURCES;
  return {
    principal: { type: "Application", id: `app-${i % 7}` },
    action: "read_data",
    resource: { type: "DataSource", id: `d-${k}` },
    context,
    entities: [app, entity("DataSource", `d-${k}`, dataSourceAttrs(k))],
  };
}
