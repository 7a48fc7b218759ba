import type { ActionContext, Recorder } from "../../audit/recorder.js";
import type { Registry, RegistryRecord } from "../../registry/registry.js";
import type { Db } from "../../store/database.js";
import { GatehouseError } from "../../shared/errors.js";
import type { AgentIdentity } from "../identity/agent-identity.js";
import type { Grants } from "../grants/grants.js";
import type { Tasks } from "../tasks/tasks.js";
import type { ToolResult, ToolTransports } from "./tool-transport.js";

/** What the guards found in a tool result. */
export interface ToolResultInspection {
  /** True when the injection detector flagged the result: its content is labelled untrusted. */
  injection: boolean;
  findings: { type: string; detail: string }[];
}

/** A tool result as the agent receives it: the tool's result, what was found, and the digest recorded. */
export interface MediatedToolResult {
  tool: string;
  taskId: string;
  grantId: string;
  result: ToolResult;
  inspection: ToolResultInspection;
  /** SHA-256 (hex) of the result as the tool returned it; the audit log holds this, never the result. */
  digest: string;
  /** The integrity the result carries into the task's label. */
  integrity: "trusted" | "untrusted";
}

export interface ToolMediatorServices {
  db: Db;
  recorder: Recorder;
  registry: Registry;
  tasks: Tasks;
  grants: Grants;
  transports: ToolTransports;
}

/**
 * Every tool call goes through here, whatever surface it came by (the HTTP route, the /mcp
 * endpoint): capability, open task, live grant covering the arguments, argument schema, the
 * information-flow check for egress tools, the call over the tool's transport, the output guards
 * on the result, the task label update, and the audit record.
 */
export class ToolMediator {
  constructor(private readonly services: ToolMediatorServices) {}

  /** The registered transports; the MCP module adds its own (streamable-http, stdio) here. */
  get transports(): ToolTransports {
    return this.services.transports;
  }

  async invoke(agent: AgentIdentity, taskId: string, toolName: string, args: Record<string, unknown>, ctx: ActionContext): Promise<MediatedToolResult> {
    void agent;
    void taskId;
    void toolName;
    void args;
    void ctx;
    throw new GatehouseError("unavailable", "tool mediation is being built");
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
}
