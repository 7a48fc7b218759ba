import { z } from "zod";
import { CommandLineError, splitCommandLine } from "../agents/tools/transports/command-line.js";
import { restrictedTermSchema } from "../guards/output/settings.js";
import { policyTextProblem } from "../policy/policy-engine.js";
import { jsonSchemaProblem } from "../shared/json-schemas.js";
import { policyFixtureSchema } from "../policy/policy-fixtures.js";

/**
 * The governed record kinds and the shape of each one's spec. A record is
 * { kind, name, owner, spec }; the spec schemas below are the single source of truth for
 * the admin API, the CLI and configuration as code.
 */
export const sensitivities = ["public", "internal", "confidential", "restricted"] as const;
export type Sensitivity = (typeof sensitivities)[number];
export const sensitivityRank = (s: Sensitivity): number => sensitivities.indexOf(s);

const name = z.string().regex(/^[a-z0-9][a-z0-9._-]{0,127}$/, "must be 1-128 lower-case letters, digits, '.', '_' or '-'");
const names = z.array(name).default([]);
const region = z.string().regex(/^[a-z]{2}(-[a-z0-9-]+)?$/, "must be a region code such as eu, us or eu-west-1");
const url = z.url({ protocol: /^https?$/ });
const money = z.number().min(0);

export const agentSpec = z
  .object({
    purpose: z.string().min(1).max(2000),
    capabilities: z
      /** agents: the agents of the tenant it may send messages to (POST /v1/agents/:name/messages); absent, none. */
      .object({ tools: names, dataSources: names, models: names, agents: z.array(name).optional() })
      .strict()
      .prefault({}),
    environments: z.array(name).min(1, "must allow at least one environment"),
    /**
     * The most sensitive documents retrieval may hand this agent (internal when absent): a
     * standing attribute of the agent, reviewed with its spec, not something a task asks for.
     */
    clearance: z.enum(sensitivities).optional(),
    limits: z
      .object({
        concurrency: z.number().int().min(1).max(10_000).default(4),
        tokensPerDay: z.number().int().min(0).optional(),
        tokensPerMonth: z.number().int().min(0).optional(),
        costPerDayUsd: money.optional(),
        costPerMonthUsd: money.optional(),
      })
      .strict()
      .prefault({}),
    /** Where messages to this agent are pushed (POST of the signed message); they can always be pulled too. */
    messaging: z
      .object({ webhookUrl: url.optional() })
      .strict()
      .optional(),
  })
  .strict();

const jsonSchemaObject = z
  .record(z.string(), z.unknown())
  .refine((s) => s.type === undefined || s.type === "object", "must describe an object (type: object)");

export const toolSpec = z
  .object({
    kind: z.enum(["http", "mcp"]),
    description: z.string().max(2000).default(""),
    endpoint: z.string().min(1),
    transport: z.enum(["http", "streamable-http", "stdio"]).optional(),
    argumentsSchema: jsonSchemaObject.default({ type: "object" }),
    sideEffect: z.enum(["read", "write", "egress"]),
    dataSources: names,
    permissions: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const stdio = spec.transport === "stdio";
    if (spec.kind === "http" && spec.transport && spec.transport !== "http") {
      ctx.addIssue({ code: "custom", path: ["transport"], message: "http tools use the http transport" });
    }
    if (spec.kind === "mcp" && !spec.transport) {
      ctx.addIssue({ code: "custom", path: ["transport"], message: "mcp tools need a transport: streamable-http or stdio" });
    }
    if (!stdio && !url.safeParse(spec.endpoint).success) {
      ctx.addIssue({ code: "custom", path: ["endpoint"], message: "must be an http(s) URL" });
    }
    const schemaProblem = jsonSchemaProblem(spec.argumentsSchema);
    if (schemaProblem) ctx.addIssue({ code: "custom", path: ["argumentsSchema"], message: schemaProblem });
    if (stdio) {
      try {
        splitCommandLine(spec.endpoint);
      } catch (error) {
        if (!(error instanceof CommandLineError)) throw error;
        ctx.addIssue({ code: "custom", path: ["endpoint"], message: `must be a command line (program and arguments, no shell): ${error.message}` });
      }
    }
  });

export const dataSourceSpec = z
  .object({
    kind: z.enum(["database", "retrieval", "files", "api"]),
    description: z.string().max(2000).default(""),
    sensitivity: z.enum(sensitivities),
    region,
    retentionDays: z.number().int().min(1).max(36_500),
    /** Strings that mark this source's data (e.g. CONFIDENTIAL-ACME): a model answer carrying one is a leak (the output guards). */
    markers: z.array(restrictedTermSchema).max(50).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if (spec.markers?.length && sensitivityRank(spec.sensitivity) < sensitivityRank("confidential")) {
      ctx.addIssue({ code: "custom", path: ["markers"], message: "only confidential and restricted data sources declare markers" });
    }
  });

export const modelSpec = z
  .object({
    provider: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, "must be a provider id such as openai, anthropic or simulator"),
    upstreamModel: z.string().min(1).max(200),
    /** Base URL of the upstream API; the built-in simulator provider has none. */
    endpoint: url.optional(),
    region,
    external: z.boolean(),
    pricing: z.object({ inputPer1k: money, outputPer1k: money }).strict(),
    taskClasses: z.array(name).min(1, "must name at least one task class"),
    aliases: names,
  })
  .strict()
  .refine((spec) => spec.provider === "simulator" || spec.endpoint !== undefined, {
    path: ["endpoint"],
    message: "required for every provider but the simulator",
  });

export const promptTemplateSpec = z
  .object({
    description: z.string().max(2000).default(""),
    text: z.string().min(1).max(100_000),
    variables: z.array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "must be an identifier")).default([]),
    maxSensitivity: z.enum(sensitivities),
  })
  .strict()
  .superRefine((spec, ctx) => {
    const used = new Set([...spec.text.matchAll(/\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g)].map((m) => m[1] ?? ""));
    for (const variable of used) {
      if (!spec.variables.includes(variable)) {
        ctx.addIssue({ code: "custom", path: ["variables"], message: `text uses {{${variable}}}, which is not declared` });
      }
    }
  });

export const policySpec = z
  .object({
    description: z.string().max(2000).default(""),
    text: z.string().min(1).max(500_000),
    /** Environments the policy applies in; empty means every environment. */
    environments: names,
  })
  .strict()
  .superRefine((spec, ctx) => {
    // Refused when published, with Cedar's own message: a policy that cannot be evaluated would refuse every call.
    const problem = policyTextProblem(spec.text);
    if (problem) ctx.addIssue({ code: "custom", path: ["text"], message: problem });
  });

/**
 * A tenant's policy test fixtures: requests and the decisions its policies must reach. Every
 * change request for a policy shows how they fare against the policies it would leave, and
 * one they fail cannot be approved.
 */
export const policyTestSpec = z
  .object({
    description: z.string().max(2000).default(""),
    fixtures: z.array(policyFixtureSchema).min(1, "must hold at least one fixture").max(1000),
  })
  .strict();

export const kinds = {
  agent: { spec: agentSpec, plural: "agents", title: "Agent" },
  tool: { spec: toolSpec, plural: "tools", title: "Tool" },
  data_source: { spec: dataSourceSpec, plural: "data-sources", title: "DataSource" },
  model: { spec: modelSpec, plural: "models", title: "Model" },
  prompt_template: { spec: promptTemplateSpec, plural: "prompt-templates", title: "PromptTemplate" },
  policy: { spec: policySpec, plural: "policies", title: "Policy" },
  policy_test: { spec: policyTestSpec, plural: "policy-tests", title: "PolicyTest" },
} as const;

export type Kind = keyof typeof kinds;
export const kindNames = Object.keys(kinds) as Kind[];
export type SpecOf<K extends Kind> = z.output<(typeof kinds)[K]["spec"]>;
export type AgentSpec = SpecOf<"agent">;

export const recordName = name;
export const recordOwner = z.string().min(1).max(200);

export const kindByPlural = (plural: string): Kind | undefined => kindNames.find((k) => kinds[k].plural === plural);
export const kindByTitle = (title: string): Kind | undefined => kindNames.find((k) => kinds[k].title === title);
