import { createAgentAccess, type AgentAccess } from "./agents/agent-access.js";
import type { WebhookOptions } from "./agents/messages/message-webhooks.js";
import { registerMcpTransports } from "./agents/tools/transports/mcp-tool-transport.js";
import { ChangeControl } from "./approvals/change-control.js";
import { ChangeRequests } from "./approvals/change-requests.js";
import { AuditLog } from "./audit/log/audit-log.js";
import type { NoteSigner } from "./audit/log/note.js";
import { Erasure } from "./audit/privacy/erasure.js";
import { PersonalData } from "./audit/privacy/personal-data.js";
import { Retention } from "./audit/privacy/retention.js";
import { SubjectKeys } from "./audit/privacy/subject-keys.js";
import { Recorder } from "./audit/recorder.js";
import { checkWitnessing, Cosigner, type WitnessingOptions } from "./audit/witness/cosigner.js";
import { ForkDetector } from "./audit/witness/fork-detector.js";
import { ConfigAsCode } from "./config-as-code/config-as-code.js";
import { AgentLifecycle } from "./lifecycle/agent-lifecycle.js";
import { AgentOperations } from "./lifecycle/agent-operations.js";
import { Revocation } from "./lifecycle/revocation.js";
import { PolicyEngine } from "./policy/policy-engine.js";
import { TenantPolicies } from "./policy/tenant-policies.js";
import { Registry } from "./registry/registry.js";
import { createModelGateway, type ModelGateway, type ModelGatewayOptions } from "./gateway/model-gateway.js";
import { ScanWorkers } from "./guards/offload/scan-workers.js";
import { jsonLogger, type Logger } from "./shared/logger.js";
import type { SecretBox } from "./secrets/secret-box.js";
import { openStore, type Executor, type Store, type StoreOptions } from "./store/database.js";
import { ApiKeys } from "./tenancy/api-keys.js";
import { Principals } from "./tenancy/principals.js";
import { Tenants } from "./tenancy/tenants.js";

/**
 * The composition root: every service, wired once, with no module-level state. The HTTP
 * server, the CLI and the tests all build one of these.
 */
export interface Gatehouse {
  store: Store;
  secrets: SecretBox;
  recorder: Recorder;
  /** Seals and opens the personal data in audit payloads. */
  personalData: PersonalData;
  /** Erases data subjects from the audit log by destroying their keys. */
  erasure: Erasure;
  /** Prunes audit payload bodies past each tenant's retention period (started by the service). */
  retention: Retention;
  auditLog: AuditLog;
  /** Asks the witnesses to cosign checkpoints; knows the latest witnessed one. */
  cosigner: Cosigner;
  forks: ForkDetector;
  tenants: Tenants;
  principals: Principals;
  apiKeys: ApiKeys;
  registry: Registry;
  revocation: Revocation;
  lifecycle: AgentLifecycle;
  changeRequests: ChangeRequests;
  changes: ChangeControl;
  agents: AgentOperations;
  /** Zero-trust agents: keys, tokens, proof authentication. */
  agentAccess: AgentAccess;
  configAsCode: ConfigAsCode;
  /** The model gateway: its pipeline, model catalog and provider credentials. */
  gateway: ModelGateway;
  /** The worker threads that scan long texts for the input guards and the agents' tool results, when guardWorkers asks for any. */
  scanWorkers: ScanWorkers | undefined;
  /** Runs work in one store transaction: all of it commits, or none of it. */
  transaction<T>(work: (trx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface GatehouseOptions extends StoreOptions {
  /** The audit log's signing key (its name is the log's origin). */
  logSigner: NoteSigner;
  /** Seals secrets at rest with the master key. */
  secrets: SecretBox;
  /** The witnesses asked to cosign checkpoints, and how many must (none by default). */
  witnessing?: WitnessingOptions;
  /** Where services outside the HTTP layer log (JSON lines on stdout by default). */
  logger?: Logger;
  /** The gateway's pluggable parts (admission, policy, routing, guards), its limits and its Redis (redisUrl). */
  gateway?: ModelGatewayOptions;
  /** How messages between agents are pushed to webhooks (retries, timeout). */
  messageWebhooks?: WebhookOptions;
  /** How many worker threads scan long texts for the guards (none when absent or 0: every text on the event loop). */
  guardWorkers?: number;
}

export async function createGatehouse(options: GatehouseOptions): Promise<Gatehouse> {
  if (options.witnessing) checkWitnessing(options.witnessing);
  const store = await openStore(options);
  const { db } = store;
  const personalData = new PersonalData(new SubjectKeys(options.secrets));
  const recorder = new Recorder(personalData);
  const auditLog = new AuditLog(db, store.dialect, options.logSigner, { durable: store.durable });
  recorder.onCommitted = () => auditLog.nudge();
  auditLog.start();
  const logger = options.logger ?? jsonLogger();
  const forks = new ForkDetector(db, recorder, auditLog, logger);
  const cosigner = new Cosigner(db, auditLog, forks, options.witnessing ?? { witnesses: [], threshold: 0 }, logger);
  auditLog.onCheckpoint = () => cosigner.nudge();
  cosigner.start();
  const retention = new Retention(db, recorder, logger);
  const tenants = new Tenants(db, recorder, store.changes);
  const registry = new Registry(db, recorder, store.changes);
  // One copy of each tenant's parsed policies, for the gateway's decisions, grants and flows alike.
  const policies = new TenantPolicies(registry, new PolicyEngine());
  const revocation = new Revocation();
  const lifecycle = new AgentLifecycle(db, recorder, tenants, revocation);
  const changeRequests = new ChangeRequests(db, store.dialect);
  const changes = new ChangeControl(db, recorder, tenants, registry, lifecycle, changeRequests);
  const agents = new AgentOperations(registry, lifecycle, changes);
  revocation.register(changes.revoker());
  const apiKeys = new ApiKeys(db, recorder, store.changes);
  // Worker threads for long texts, started on the first: the input guards' and the tool results' alike.
  const scanWorkers = options.guardWorkers ? new ScanWorkers(options.guardWorkers) : undefined;
  let gateway: ModelGateway;
  let agentAccess: AgentAccess | undefined;
  try {
    agentAccess = await createAgentAccess(
      { store, recorder, registry, policies, lifecycle, revocation, tenants, secrets: options.secrets, logger, scanWorkers },
      { redisUrl: options.gateway?.redisUrl, guards: options.gateway?.guards, ...(options.messageWebhooks ? { webhooks: options.messageWebhooks } : {}) },
    );
    gateway = await createModelGateway(
      { store, recorder, registry, policies, apiKeys, tenants, secrets: options.secrets, agents: agentAccess.callers, flow: agentAccess.flow, scanWorkers },
      options.gateway,
    );
  } catch (error) {
    // The limit or nonce store (Redis) did not answer: nothing starts without it.
    await agentAccess?.close();
    await scanWorkers?.close();
    retention.stop();
    await auditLog.stop();
    await cosigner.stop();
    await store.close();
    throw error;
  }

  // Connections to MCP servers are opened on first use and closed (stdio servers stopped) on close().
  const mcpClients = registerMcpTransports(agentAccess.tools.transports);

  return {
    store,
    secrets: options.secrets,
    recorder,
    personalData,
    erasure: new Erasure(db, recorder, personalData),
    retention,
    auditLog,
    cosigner,
    forks,
    tenants,
    principals: new Principals(db, recorder),
    apiKeys,
    registry,
    revocation,
    lifecycle,
    changeRequests,
    changes,
    agents,
    agentAccess,
    configAsCode: new ConfigAsCode(tenants, registry, lifecycle, changes, agents),
    gateway,
    scanWorkers,
    transaction: (work) => db.transaction().execute(work),
    async close() {
      retention.stop();
      await auditLog.stop();
      await cosigner.stop();
      await gateway.close();
      await mcpClients.close();
      await agentAccess.close();
      await scanWorkers?.close();
      await store.close();
    },
  };
}
