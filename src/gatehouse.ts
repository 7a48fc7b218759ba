import { ChangeControl } from "./approvals/change-control.js";
import { ChangeRequests } from "./approvals/change-requests.js";
import { AuditLog } from "./audit/log/audit-log.js";
import type { NoteSigner } from "./audit/log/note.js";
import { Recorder } from "./audit/recorder.js";
import { ConfigAsCode } from "./config-as-code/config-as-code.js";
import { AgentLifecycle } from "./lifecycle/agent-lifecycle.js";
import { AgentOperations } from "./lifecycle/agent-operations.js";
import { Revocation } from "./lifecycle/revocation.js";
import { Registry } from "./registry/registry.js";
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
  recorder: Recorder;
  auditLog: AuditLog;
  tenants: Tenants;
  principals: Principals;
  apiKeys: ApiKeys;
  registry: Registry;
  revocation: Revocation;
  lifecycle: AgentLifecycle;
  changeRequests: ChangeRequests;
  changes: ChangeControl;
  agents: AgentOperations;
  configAsCode: ConfigAsCode;
  /** Runs work in one store transaction: all of it commits, or none of it. */
  transaction<T>(work: (trx: Executor) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface GatehouseOptions extends StoreOptions {
  /** The audit log's signing key (its name is the log's origin). */
  logSigner: NoteSigner;
}

export async function createGatehouse(options: GatehouseOptions): Promise<Gatehouse> {
  const store = await openStore(options);
  const { db } = store;
  const recorder = new Recorder();
  const auditLog = new AuditLog(db, store.dialect, options.logSigner);
  recorder.onCommitted = () => auditLog.nudge();
  auditLog.start();
  const tenants = new Tenants(db, recorder);
  const registry = new Registry(db, recorder);
  const revocation = new Revocation();
  const lifecycle = new AgentLifecycle(db, recorder, tenants, revocation);
  const changeRequests = new ChangeRequests(db, store.dialect);
  const changes = new ChangeControl(db, recorder, tenants, registry, lifecycle, changeRequests);
  const agents = new AgentOperations(registry, lifecycle, changes);
  revocation.register(changes.revoker());

  return {
    store,
    recorder,
    auditLog,
    tenants,
    principals: new Principals(db, recorder),
    apiKeys: new ApiKeys(db, recorder),
    registry,
    revocation,
    lifecycle,
    changeRequests,
    changes,
    agents,
    configAsCode: new ConfigAsCode(tenants, registry, lifecycle, changes, agents),
    transaction: (work) => db.transaction().execute(work),
    async close() {
      await auditLog.stop();
      await store.close();
    },
  };
}
