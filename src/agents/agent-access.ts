import type { Recorder } from "../audit/recorder.js";
import type { AgentLifecycle } from "../lifecycle/agent-lifecycle.js";
import type { Revocation } from "../lifecycle/revocation.js";
import type { Registry } from "../registry/registry.js";
import type { Store } from "../store/database.js";
import type { Tenants } from "../tenancy/tenants.js";
import { AgentCallers } from "./agent-callers.js";
import { AgentKeys } from "./identity/agent-keys.js";
import { AgentTokens } from "./identity/agent-tokens.js";
import { AgentAuthenticator } from "./identity/authenticate.js";
import { openNonceStore, type NonceStore } from "./identity/nonces.js";
import { Tasks } from "./tasks/tasks.js";
import { GrantDecider } from "./grants/grant-decider.js";
import { Grants } from "./grants/grants.js";
import type { TenantPolicies } from "../policy/tenant-policies.js";
import { MessageDecider } from "./messages/message-decider.js";
import type { SecretBox } from "../secrets/secret-box.js";
import { MessageBodies } from "./messages/message-bodies.js";
import { Messages } from "./messages/messages.js";
import { defaultWebhookOptions, MessageWebhooks, type WebhookOptions } from "./messages/message-webhooks.js";
import type { Logger } from "../shared/logger.js";
import { ToolMediator } from "./tools/tool-mediator.js";
import { ToolTransports } from "./tools/tool-transport.js";
import { HttpToolTransport } from "./tools/http-transport.js";
import { ToolResultGuard } from "./tools/tool-result-guard.js";
import type { ScanWorkers } from "../guards/offload/scan-workers.js";
import { FlowControl } from "./flow/flow-control.js";
import { TaskLabels } from "./flow/task-labels.js";
import { registryMarkers } from "../guards/output/content-guard.js";
import type { GuardSettings } from "../guards/guard-policy.js";

/** Zero-trust agents: their keys and tokens, how their requests are authenticated, their tasks, just-in-time grants, tool calls, information flow and messages. */
export interface AgentAccess {
  keys: AgentKeys;
  tokens: AgentTokens;
  authenticator: AgentAuthenticator;
  nonces: NonceStore;
  tasks: Tasks;
  grants: Grants;
  /** Signed messages between agents: relayed, pulled, pushed to webhooks. */
  messages: Messages;
  webhooks: MessageWebhooks;
  /** Every tool call (HTTP route and /mcp) goes through here; transports are registered on tools.transports. */
  tools: ToolMediator;
  /** Information-flow control: task labels and the check of every outbound flow (checkOutbound). */
  flow: FlowControl;
  /** Agents on the model gateway (the identify stage). */
  callers: AgentCallers;
  close(): Promise<void>;
}

export interface AgentAccessServices {
  store: Store;
  recorder: Recorder;
  registry: Registry;
  /** The tenants' parsed policies, shared with the gateway: grants and flows are decided with them. */
  policies: TenantPolicies;
  lifecycle: AgentLifecycle;
  revocation: Revocation;
  tenants: Tenants;
  /** Seals the bodies of messages between agents at rest. */
  secrets: SecretBox;
  logger?: Logger;
  /** Worker threads that scan long tool results, shared with the gateway's input guards. */
  scanWorkers?: ScanWorkers;
}

/**
 * Wires the agent services and registers what retirement must revoke (keys, tokens, open tasks
 * and, with them, grants). guards: the process's guard settings under every tenant's own (the
 * gateway's `guards`), for redacting recorded tool arguments; webhooks: how messages are pushed
 * to agents' webhooks.
 */
export async function createAgentAccess(
  services: AgentAccessServices,
  options: { redisUrl?: string; webhooks?: WebhookOptions; guards?: GuardSettings } = {},
): Promise<AgentAccess> {
  const { store, recorder, registry, lifecycle, revocation, tenants } = services;
  const nonces = await openNonceStore(store, options.redisUrl);
  const keys = new AgentKeys(store.db, recorder, registry, lifecycle);
  const tokens = new AgentTokens(store.db, recorder);
  const tasks = new Tasks(store.db, recorder);
  const labels = new TaskLabels(store.db);
  const grants = new Grants(store.db, recorder, registry, tasks, new GrantDecider(services.policies, labels));
  const flow = new FlowControl(store.db, registry, services.policies, labels);
  const transports = new ToolTransports().register("http", new HttpToolTransport());
  const resultGuard = new ToolResultGuard(registryMarkers(registry), services.scanWorkers);
  tasks.whenEnded(grants);
  revocation.register(keys.revoker());
  revocation.register(tokens.revoker());
  revocation.register(tasks.revoker());
  const authenticator = new AgentAuthenticator(store.db, recorder, nonces);
  const webhooks = new MessageWebhooks(store.db, recorder, services.logger, options.webhooks ?? defaultWebhookOptions);
  const messages = new Messages(store.db, recorder, registry, lifecycle, tasks, authenticator, nonces, new MessageDecider(flow), webhooks, flow.labels, new MessageBodies(services.secrets));
  return {
    keys,
    tokens,
    authenticator,
    nonces,
    tasks,
    grants,
    messages,
    webhooks,
    tools: new ToolMediator({ db: store.db, recorder, registry, tenants, tasks, grants, flow, transports, resultGuard, guardDefaults: options.guards?.input }),
    flow,
    callers: new AgentCallers(authenticator, tasks, tenants),
    async close() {
      await webhooks.close();
      await nonces.close();
    },
  };
}
