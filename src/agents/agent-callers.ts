import { actionContext } from "../audit/recorder.js";
import type { Actor } from "../audit/actor.js";
import type { AgentCallerResolver } from "../gateway/pipeline/identify.js";
import type { AgentCaller } from "../gateway/pipeline/model-call.js";
import { forbidden, GatehouseError, invalid } from "../shared/errors.js";
import type { Tenants } from "../tenancy/tenants.js";
import type { AgentCredential, AgentIdentity } from "./identity/agent-identity.js";
import type { AgentAuthenticator } from "./identity/authenticate.js";
import { TASK_HEADER } from "./identity/proof-format.js";
import type { Task, Tasks } from "./tasks/tasks.js";

/**
 * The open task a call names in its task header, or 403: another agent's task, or an ended one,
 * is not the caller's to act in. The same answer on every surface (model calls, tool calls, MCP,
 * messages); an ended task of the caller's own says so, another's does not say it exists.
 */
export async function namedOpenTask(tasks: Tasks, agent: AgentIdentity, taskId: string): Promise<Task> {
  return tasks.requireOpen(agent, taskId).catch((error: unknown) => {
    if (error instanceof GatehouseError && (error.code === "not_found" || error.code === "conflict")) {
      const why = error.code === "conflict" ? ` (${error.message})` : "";
      throw forbidden(`${TASK_HEADER}: '${taskId}' is not an open task of agent '${agent.name}'${why}`);
    }
    throw error;
  });
}

const anonymous: Actor = { type: "system", id: "anonymous", name: "anonymous", tenantId: null, role: null };

/**
 * Agents on the model gateway: the credential is authenticated (refusals recorded), the call
 * must name one of the agent's open tasks, and the caller carries the agent's spec, whose
 * capabilities bound the models it may use and whose limits are its budgets.
 */
export class AgentCallers implements AgentCallerResolver {
  constructor(
    private readonly authenticator: AgentAuthenticator,
    private readonly tasks: Tasks,
    private readonly tenants: Tenants,
  ) {}

  async resolve(credential: AgentCredential, taskId: string | undefined, requestId: string): Promise<AgentCaller> {
    const agent = await this.authenticator.authenticate(credential, actionContext(anonymous, requestId));
    if (!taskId) throw invalid(TASK_HEADER, `${TASK_HEADER}: an agent's model calls name the open task they belong to`);
    const task = await namedOpenTask(this.tasks, agent, taskId);
    const [environments, tenant] = await Promise.all([this.tenants.environments(agent.tenantId), this.tenants.get(agent.tenantId)]);
    const environment = environments.find((e) => e.name === agent.environment);
    if (!environment) throw forbidden(`environment '${agent.environment}' no longer exists`);
    return {
      tenantId: agent.tenantId,
      environment: { id: environment.id, name: environment.name, production: environment.production },
      settings: tenant.settings,
      agent: { id: agent.agentId, name: agent.name, owner: agent.owner, spec: agent.spec, kid: agent.kid, taskId: task.id },
    };
  }
}
