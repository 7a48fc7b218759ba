import type { Generated } from "kysely";

/**
 * Table shapes shared by the SQLite and PostgreSQL stores. JSON lives in TEXT columns and
 * timestamps are epoch milliseconds, so both dialects read and write the same values.
 */
export interface TenantTable {
  id: string;
  name: string;
  settings: string;
  created_at: number;
}

export interface EnvironmentTable {
  id: string;
  tenant_id: string;
  name: string;
  production: number;
  created_at: number;
}

export interface PrincipalTable {
  id: string;
  tenant_id: string;
  kind: string;
  name: string;
  email: string | null;
  role: string | null;
  disabled_at: number | null;
  created_at: number;
  created_by: string;
}

export interface ApiKeyTable {
  id: string;
  tenant_id: string;
  principal_id: string;
  kind: string;
  environment_id: string | null;
  label: string;
  prefix: string;
  hash: string;
  created_at: number;
  created_by: string;
  expires_at: number | null;
  revoked_at: number | null;
}

export interface RegistryRecordTable {
  id: string;
  tenant_id: string;
  kind: string;
  name: string;
  owner: string;
  version: number;
  spec: string;
  deleted_at: number | null;
  created_at: number;
  created_by: string;
  updated_at: number;
  updated_by: string;
}

export interface RegistryVersionTable {
  record_id: string;
  version: number;
  owner: string;
  spec: string;
  change: string;
  changed_at: number;
  changed_by: string;
  change_request_id: string | null;
  justification: string | null;
}

export interface AgentLifecycleTable {
  agent_id: string;
  tenant_id: string;
  state: string;
  environments: string;
  reason: string | null;
  updated_at: number;
  updated_by: string;
}

export interface ChangeRequestTable {
  id: string;
  tenant_id: string;
  action: string;
  target_kind: string;
  target_name: string;
  base_version: number | null;
  proposal: string;
  diff: string;
  requested_by: string;
  requester_id: string;
  justification: string | null;
  required_approvals: number;
  status: string;
  outcome: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
}

export interface ChangeReviewTable {
  id: string;
  change_request_id: string;
  reviewer_id: string;
  reviewer: string;
  decision: string;
  justification: string;
  created_at: number;
}

export interface EventTable {
  seq: Generated<number>;
  id: string;
  tenant_id: string | null;
  at: number;
  actor: string;
  action: string;
  resource: string;
  decision: string;
  context: string;
  payload: string;
}

export interface LogEntryTable {
  seq: number;
  entry: string;
  leaf_hash: string;
  tenant_id: string | null;
  at: number;
  action: string;
  actor_id: string;
  task_id: string | null;
  /** The payload body the entry's payloadHash commits to; NULL once retention has pruned it. */
  payload: string | null;
}

export interface AuditSubjectKeyTable {
  id: string;
  tenant_id: string;
  subject_ref: string;
  sealed_key: string;
  created_at: number;
}

export interface LogNodeTable {
  level: number;
  idx: number;
  hash: string;
}

export interface LogStateTable {
  id: number;
  size: number;
  frontier: string;
  last_at: number;
}

export interface LogCheckpointTable {
  size: number;
  root: string;
  note: string;
  created_at: number;
}

export interface LogCosignatureTable {
  size: number;
  witness: string;
  signature: string;
  created_at: number;
}

export interface ProviderCredentialTable {
  tenant_id: string;
  model: string;
  sealed: string;
  updated_at: number;
  updated_by: string;
}

export interface GatewayBudgetCounterTable {
  tenant_id: string;
  counter: string;
  period: string;
  used: number;
  reserved: number;
  updated_at: number;
}

export interface GatewayBudgetHoldTable {
  id: string;
  tenant_id: string;
  charges: string;
  created_at: number;
  expires_at: number;
}

/** One row (id 1): moves whenever a cached table changes (migration 0006, store/changes.ts). */
export interface StoreGenerationTable {
  id: number;
  generation: number;
}

export interface AgentKeyTable {
  agent_id: string;
  kid: string;
  tenant_id: string;
  public_key: string;
  created_at: number;
  created_by: string;
  not_after: number | null;
  revoked_at: number | null;
}

export interface AgentTokenTable {
  hash: string;
  tenant_id: string;
  agent_id: string;
  kid: string;
  environment: string;
  issued_at: number;
  expires_at: number;
  revoked_at: number | null;
}

export interface AgentNonceTable {
  nonce: string;
  expires_at: number;
}

export interface AgentTaskTable {
  id: string;
  tenant_id: string;
  agent_id: string;
  agent_name: string;
  environment: string;
  purpose: string;
  reference: string | null;
  status: string;
  opened_at: number;
  ended_at: number | null;
  end_reason: string | null;
}

export interface AgentGrantTable {
  id: string;
  tenant_id: string;
  task_id: string;
  agent_id: string;
  agent_name: string;
  resource_kind: string;
  resource_name: string;
  actions: string;
  scope: string;
  ttl_seconds: number;
  status: string;
  decision: string;
  requested_at: number;
  decided_at: number | null;
  expires_at: number | null;
  ended_at: number | null;
  end_reason: string | null;
}

export interface AgentGrantReviewTable {
  id: string;
  grant_id: string;
  tenant_id: string;
  reviewer_id: string;
  reviewer: string;
  decision: string;
  justification: string;
  created_at: number;
}

export interface AgentTaskLabelTable {
  id: string;
  task_id: string;
  tenant_id: string;
  label: string;
  read_at: number;
}

export interface Schema {
  tenants: TenantTable;
  environments: EnvironmentTable;
  principals: PrincipalTable;
  api_keys: ApiKeyTable;
  registry_records: RegistryRecordTable;
  registry_versions: RegistryVersionTable;
  agent_lifecycle: AgentLifecycleTable;
  change_requests: ChangeRequestTable;
  change_reviews: ChangeReviewTable;
  events: EventTable;
  log_entries: LogEntryTable;
  log_nodes: LogNodeTable;
  log_state: LogStateTable;
  log_checkpoints: LogCheckpointTable;
  log_cosignatures: LogCosignatureTable;
  audit_subject_keys: AuditSubjectKeyTable;
  provider_credentials: ProviderCredentialTable;
  gateway_budget_counters: GatewayBudgetCounterTable;
  gateway_budget_holds: GatewayBudgetHoldTable;
  store_generation: StoreGenerationTable;
  agent_keys: AgentKeyTable;
  agent_tokens: AgentTokenTable;
  agent_nonces: AgentNonceTable;
  agent_tasks: AgentTaskTable;
  agent_grants: AgentGrantTable;
  agent_grant_reviews: AgentGrantReviewTable;
  agent_task_labels: AgentTaskLabelTable;
}
