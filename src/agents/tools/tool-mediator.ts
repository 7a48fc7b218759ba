import { createHash } from "node:crypto";
import type { ActionContext, Recorder } from "../../audit/recorder.js";
import { GuardChecker, redact } from "../../guards/guard-check.js";
import { inputGuardPolicy, type InputGuardPolicy, type InputGuardSettings } from "../../guards/guard-policy.js";
import { Placeholders } from "../../guards/placeholders.js";
import type { Registry, RegistryRecord } from "../../registry/registry.js";
import type { Db } from "../../store/database.js";
import { canonicalJson, isRecord } from "../../shared/json.js";
import { forbidden, GatehouseError, invalid, notFound } from "../../shared/errors.js";
import { JsonSchemas, type SchemaCheck } from "../../shared/json-schemas.js";
import type { Tenants } from "../../tenancy/tenants.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { Grants } from "../grants/grants.js";
import { namedOpenTask } from "../agent-callers.js";
import type { Task, Tasks } from "../tasks/tasks.js";
import type { FlowControl } from "../flow/flow-control.js";
import type { LabelOrigin } from "../flow/labels.js";
import { clearRetrieval, DEFAULT_CLEARANCE, type RemovedDocument } from "./retrieval-clearance.js";
import { sensitivityRank, type Sensitivity } from "../../registry/kinds.js";
import type { ToolResultFinding, ToolResultGuard } from "./tool-result-guard.js";
import type { ToolResult, ToolTransports } from "./tool-transport.js";

/** What the guards found in a tool result. */
export interface ToolResultInspection {
  /** True when the injection detector flagged the result: the task's label records it, and policy can refuse what follows. */
  injection: boolean;
  findings: ToolResultFinding[];
  /** Retrieved documents removed because they are above the agent's clearance. */
  removedDocuments: number;
}

/** A tool result as the agent receives it: the tool's result (guarded), what was found, and the digest recorded. */
export interface MediatedToolResult {
  tool: string;
  taskId: string;
  grantId: string;
  result: ToolResult;
  inspection: ToolResultInspection;
  /** SHA-256 (hex) of the result as the tool returned it; the audit log holds this, never the result. */
  digest: string;
  /** The integrity the result carries into the task's label (tool content is always untrusted). */
  integrity: "trusted" | "untrusted";
  /** The task's sensitivity after this read. */
  taskSensitivity: string;
}

export interface ToolMediatorServices {
  db: Db;
  recorder: Recorder;
  registry: Registry;
  tenants: Tenants;
  tasks: Tasks;
  grants: Grants;
  flow: FlowControl;
  transports: ToolTransports;
  resultGuard: ToolResultGuard;
  /** The process's input guard settings, under each tenant's own (as the gateway's input guard layers them). */
  guardDefaults?: InputGuardSettings;
}

/** How long a tool may take to answer. */
export const DEFAULT_TOOL_TIMEOUT_MS = 30_000;

export const digestOf = (result: ToolResult): string => createHash("sha256").update(canonicalJson(result)).digest("hex");


/**
 * Every tool call goes through here, whatever surface it came by (the HTTP route, the /mcp
 * endpoint): capability, open task, argument schema, a live grant covering the arguments, the
 * information-flow check with the task's label, the call over the tool's transport, the output
 * guards on the result, the task label update, and the audit record (arguments redacted as the
 * tenant's input guards would, the result only as its digest). Each refusal is recorded with
 * its reason before it is thrown.
 */
export class ToolMediator {
  /** Arguments against each tool's argumentsSchema, compiled once per distinct schema. */
  private readonly schemas = new JsonSchemas();
  private readonly checker = new GuardChecker();

  constructor(
    private readonly services: ToolMediatorServices,
    private readonly timeoutMs = DEFAULT_TOOL_TIMEOUT_MS,
  ) {}

  /** The registered transports; the MCP module adds its own (streamable-http, stdio) here. */
  get transports(): ToolTransports {
    return this.services.transports;
  }

  async invoke(agent: AgentIdentity, taskId: string, toolName: string, args: Record<string, unknown>, ctx: ActionContext): Promise<MediatedToolResult> {
    const { db, recorder, registry, tenants, tasks, grants, flow } = this.services;
    const settings = (await tenants.get(agent.tenantId)).settings;
    const recordedArgs = this.redactArguments(args, inputGuardPolicy(this.services.guardDefaults, settings.guards?.input));
    const base = { resource: { kind: "tool", name: toolName }, context: { taskId, environment: agent.environment } };
    const refuse = async (error: GatehouseError, extra: Record<string, unknown> = {}): Promise<never> => {
      await recorder.record(db, ctx, {
        action: "tool.invoke",
        ...base,
        decision: { outcome: "refused", reasons: [error.message] },
        payload: { arguments: recordedArgs, ...extra },
      });
      throw error;
    };

    if (!agent.spec.capabilities.tools.includes(toolName)) {
      return refuse(forbidden(`tool '${toolName}' is not among agent '${agent.name}''s capabilities`));
    }
    const tool = await registry.find(agent.tenantId, "tool", toolName);
    if (!tool || tool.deleted) return refuse(notFound(`tool '${toolName}'`));
    const beyond = tool.spec.dataSources.filter((name) => !agent.spec.capabilities.dataSources.includes(name));
    if (beyond.length > 0) {
      return refuse(forbidden(`tool '${toolName}' reads data source ${beyond.map((n) => `'${n}'`).join(", ")}, which is not among agent '${agent.name}''s capabilities`));
    }
    const sources = await this.dataSources(agent.tenantId, tool.spec.dataSources);
    let task: Task;
    try {
      task = await namedOpenTask(tasks, agent, taskId);
    } catch (error) {
      if (error instanceof GatehouseError) return refuse(error);
      throw error;
    }
    let check: SchemaCheck;
    try {
      check = this.schemas.check(tool.spec.argumentsSchema, args, "argumentsSchema");
    } catch (error) {
      // Refused when published; a record stored before that check existed refuses every call (fail closed).
      const why = error instanceof Error ? error.message : String(error);
      return refuse(new GatehouseError("unavailable", `tool '${toolName}' has an argumentsSchema that cannot be used (${why}); no call is made until it is fixed`));
    }
    if (!check.valid) return refuse(invalid("arguments", `arguments do not match tool '${toolName}''s schema: ${check.errors.join("; ")}`));
    const coverage = await grants.liveGrantCovering(task, { name: tool.name, sideEffect: tool.spec.sideEffect }, args);
    if (!coverage.covered) return refuse(forbidden(`tool call refused: ${coverage.reason}`));
    const grantId = coverage.grant.id;
    let verdict;
    try {
      verdict = await flow.checkOutbound(task.id, { kind: "tool", tool });
    } catch (error) {
      return refuse(new GatehouseError("unavailable", "the information-flow decision is unavailable; the call was refused", undefined, { cause: error }), { grantId });
    }
    if (!verdict.allowed) return refuse(forbidden(verdict.reason), { grantId, label: verdict.label.sensitivity, policies: verdict.policies });

    const transport = this.transports.for(tool);
    if (!transport) return refuse(new GatehouseError("unavailable", `no transport is registered for tool '${toolName}' (${tool.spec.transport ?? "http"})`), { grantId });
    const started = Date.now();
    let raw: ToolResult;
    try {
      raw = await transport.call(tool, args, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      const message = error instanceof Error && error.name === "TimeoutError" ? `tool '${toolName}' did not answer within ${this.timeoutMs} ms` : `tool '${toolName}' could not be reached`;
      await recorder.record(db, ctx, { action: "tool.invoke", ...base, decision: { outcome: "failed", reasons: [message] }, payload: { arguments: recordedArgs, grantId } });
      throw new GatehouseError("upstream_failed", message, undefined, { cause: error });
    }
    const digest = digestOf(raw);
    // Retrieval: documents above the agent's clearance are removed before anything else sees them.
    const clearance = agent.spec.clearance ?? DEFAULT_CLEARANCE;
    const removed: (RemovedDocument & { dataSource: string })[] = [];
    const retrieved = new Map<string, Sensitivity | undefined>();
    let cleared = raw;
    const retrievalSources = [...sources.values()].filter((source): source is RegistryRecord<"data_source"> => source?.spec.kind === "retrieval");
    if (retrievalSources.length > 0) {
      // One pass: a document that does not say its sensitivity could come from any of the tool's
      // retrieval sources, so it takes the most sensitive of them (a pass per source would give it
      // the first source's and hand a restricted document on as public).
      const fallback = retrievalSources.reduce((a, b) => (sensitivityRank(b.spec.sensitivity) > sensitivityRank(a.spec.sensitivity) ? b : a));
      const outcome = clearRetrieval(raw, { name: retrievalSources.map((r) => r.name).join(", "), sensitivity: fallback.spec.sensitivity }, clearance);
      cleared = outcome.result;
      for (const source of retrievalSources) retrieved.set(source.name, outcome.sensitivity);
      removed.push(...outcome.removed.map((d) => ({ ...d, dataSource: fallback.name })));
    }
    const guarded = await this.services.resultGuard.inspect(agent.tenantId, settings.guards?.output, cleared);
    const inspection: ToolResultInspection = { injection: guarded.injection, findings: guarded.findings, removedDocuments: removed.length };
    if (guarded.refusal) return refuse(forbidden(`tool result refused: ${guarded.refusal}`), { grantId, resultDigest: digest, findings: guarded.findings });

    const origins = await this.originsOf(agent.tenantId, tool, sources, retrieved, guarded.injection, guarded.markedSources);
    await db.transaction().execute(async (trx) => {
      await flow.labels.add(trx, task, origins);
      await recorder.record(trx, ctx, {
        action: "tool.invoke",
        resource: { kind: "tool", id: tool.id, name: tool.name },
        decision: { outcome: "allowed", reasons: [`grant ${grantId} covers the call`] },
        context: { taskId: task.id, environment: agent.environment, grantId, injection: guarded.injection, isError: raw.isError, removedDocuments: removed.length },
        payload: {
          arguments: recordedArgs,
          resultDigest: digest,
          findings: guarded.findings,
          durationMs: Date.now() - started,
          labels: origins.map((o) => `${o.kind}:${o.name}:${o.sensitivity}`),
          ...(removed.length > 0 ? { removedDocuments: removed, clearance } : {}),
        },
      });
    });
    const label = await flow.labels.of(task);
    return { tool: tool.name, taskId: task.id, grantId, result: guarded.result, inspection, digest, integrity: "untrusted", taskSensitivity: label.sensitivity };
  }

  /** The tools the agent holds a live grant for in this task (what /mcp lists), among its capabilities. */
  async visibleTools(agent: AgentIdentity, taskId: string): Promise<RegistryRecord<"tool">[]> {
    const task = await this.services.tasks.requireOpen(agent, taskId);
    const now = Date.now();
    const names = new Set(
      (await this.services.grants.forTask(task.id))
        .filter((g) => g.resource.kind === "tool" && g.status === "active" && (g.expiresAt ?? 0) > now && g.actions.includes("call"))
        .map((g) => g.resource.name)
        .filter((name) => agent.spec.capabilities.tools.includes(name)),
    );
    const tools = await Promise.all([...names].map((name) => this.services.registry.find(agent.tenantId, "tool", name)));
    return tools.filter((t): t is RegistryRecord<"tool"> => t !== undefined && !t.deleted);
  }

  /**
   * What a tool result adds to the task's label: the tool's own content (untrusted), and each
   * data source it declares or whose markers the result carries, at that source's sensitivity
   * and region. A source that is not registered counts as restricted: what cannot be labelled
   * is treated as the most sensitive.
   */
  private async originsOf(
    tenantId: string,
    tool: RegistryRecord<"tool">,
    sources: Map<string, RegistryRecord<"data_source"> | undefined>,
    retrieved: Map<string, Sensitivity | undefined>,
    injection: boolean,
    marked: string[],
  ): Promise<LabelOrigin[]> {
    const origins: LabelOrigin[] = [{ kind: "tool", name: tool.name, sensitivity: "public", integrity: "untrusted", ...(injection ? { injection: true } : {}) }];
    const extra = await this.dataSources(tenantId, marked.filter((name) => !sources.has(name)));
    for (const [name, source] of [...sources, ...extra]) {
      // A retrieval source adds what was handed on: its most sensitive document kept, nothing when all were removed.
      if (retrieved.has(name) && !marked.includes(name) && retrieved.get(name) === undefined) continue;
      origins.push({
        kind: "data_source",
        name,
        via: tool.name,
        sensitivity: (marked.includes(name) ? undefined : retrieved.get(name)) ?? source?.spec.sensitivity ?? "restricted",
        ...(source ? { region: source.spec.region } : {}),
        integrity: "untrusted",
        ...(injection ? { injection: true } : {}),
      });
    }
    return origins;
  }

  /** The live data source records by name (undefined for one not registered, which counts as restricted). */
  private async dataSources(tenantId: string, names: string[]): Promise<Map<string, RegistryRecord<"data_source"> | undefined>> {
    const found = await Promise.all(names.map((name) => this.services.registry.find(tenantId, "data_source", name)));
    return new Map(names.map((name, i) => [name, found[i] && !found[i].deleted ? found[i] : undefined]));
  }

  /** The arguments as the audit log keeps them: every string with what the input guards find replaced by placeholders. */
  private redactArguments(args: Record<string, unknown>, policy: InputGuardPolicy): Record<string, unknown> {
    const placeholders = new Placeholders();
    const walk = (value: unknown): unknown => {
      if (typeof value === "string") {
        const { findings } = this.checker.check(value, policy, { piiOnly: true, placeholders });
        return redact(value, findings.filter((f) => f.action !== "allow"), placeholders);
      }
      if (Array.isArray(value)) return value.map(walk);
      if (isRecord(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, walk(v)]));
      return value;
    };
    return walk(args) as Record<string, unknown>;
  }
}
