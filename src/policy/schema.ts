/**
 * The Cedar schema policies are written and validated against: who calls (agents, users,
 * service accounts, applications), what they do (the actions), what they touch (models, tools,
 * data sources, agents, prompt templates, policies and their test fixtures), each with the attributes the registries
 * hold, and the request context the pipeline fills in (what the input guards found, task,
 * environment).
 *
 * A forbid annotated @escalate("why") sends a grant request it matches to a person instead of
 * denying it (request_grant only; for every other action it is a plain forbid).
 */
export const NAMESPACE = "Gatehouse";

/** What calls through the gateway do. */
export const callActions = ["invoke_model", "call_tool", "read_data", "send_message", "request_grant"] as const;

/**
 * What people and service accounts do through the admin API to the governed records (see
 * docs/operator-guide.md, "Policies"): propose a change to a policy or to another record,
 * review a change request (the resource is the record it changes), operate an agent's
 * lifecycle, retire one, and set a model's provider credential. The operation (create, update,
 * delete, submit, activate, …) is in context.operation.
 */
export const adminActions = ["publish_policy", "change_record", "approve_change", "reject_change", "operate_agent", "retire_agent", "manage_credential"] as const;

export const actions = [...callActions, ...adminActions] as const;
export type PolicyAction = (typeof actions)[number];

export const cedarSchema = `namespace ${NAMESPACE} {
  entity User = { environment: String, role?: String };
  entity ServiceAccount = { environment: String, role?: String };
  entity Application = { environment: String };
  entity Agent = { environment: String, owner: String, task_classes: Set<String> };

  entity Model = { provider: String, region: String, external: Bool, task_classes: Set<String>, owner: String };
  entity Tool = { side_effect: String, owner: String };
  entity DataSource = { sensitivity: String, region: String, owner: String };
  entity PromptTemplate = { max_sensitivity: String, owner: String };
  entity Policy = { environments: Set<String>, owner: String };
  entity PolicyTest = { owner: String };

  // The join of everything an agent's task has read (see src/agents/flow/): set on the outbound
  // flows of a task (an egress tool call, a model call, a message to another agent).
  // sensitivity_rank: public 0, internal 1, confidential 2, restricted 3. sources: "data_source:crm", "tool:search".
  type TaskLabel = {
    sensitivity: String,
    sensitivity_rank: Long,
    tenants: Set<String>,
    regions: Set<String>,
    integrity: String,
    injection: Bool,
    sources: Set<String>,
  };

  type RequestContext = {
    tenant: String,
    environment: String,
    task_class: String,
    task?: String,
    purpose?: String,
    data_classes: Set<String>,
    labels: Set<String>,
    data_regions: Set<String>,
    grants: Set<String>,
    destination_tenant?: String,
    operation?: String,
    task_label?: TaskLabel,
    time: Long,
  };

  action invoke_model appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [Model], context: RequestContext };
  action call_tool appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [Tool], context: RequestContext };
  action read_data appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [DataSource], context: RequestContext };
  // A message between agents (POST /v1/agents/:name/messages): principal the sender, resource the
  // recipient; decided with the sender task's label in context.task_label, within the sender's
  // capabilities.agents.
  action send_message appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [Agent], context: RequestContext };
  // What an agent asks for inside a task (POST /v1/tasks/:id/grants). The fields of RequestContext
  // are all here too, so a policy written for every action still validates for this one.
  type GrantRequest = {
    actions: Set<String>,
    read_only: Bool,
    table?: String,
    row?: String,
    ttl_seconds: Long,
    constrained_arguments: Set<String>,
  };
  type GrantRequestContext = {
    tenant: String,
    environment: String,
    task_class: String,
    task: String,
    purpose: String,
    reference?: String,
    data_classes: Set<String>,
    labels: Set<String>,
    data_regions: Set<String>,
    grants: Set<String>,
    destination_tenant?: String,
    task_label?: TaskLabel,
    time: Long,
    grant: GrantRequest,
  };

  action request_grant appliesTo { principal: [Agent], resource: [Tool, DataSource, Model], context: GrantRequestContext };

  action publish_policy appliesTo { principal: [User, ServiceAccount], resource: [Policy], context: RequestContext };
  action change_record appliesTo { principal: [User, ServiceAccount], resource: [Model, Tool, DataSource, PromptTemplate, Agent, PolicyTest], context: RequestContext };
  action approve_change appliesTo { principal: [User], resource: [Model, Tool, DataSource, PromptTemplate, Agent, Policy, PolicyTest], context: RequestContext };
  action reject_change appliesTo { principal: [User], resource: [Model, Tool, DataSource, PromptTemplate, Agent, Policy, PolicyTest], context: RequestContext };
  action operate_agent appliesTo { principal: [User, ServiceAccount], resource: [Agent], context: RequestContext };
  action retire_agent appliesTo { principal: [User, ServiceAccount], resource: [Agent], context: RequestContext };
  action manage_credential appliesTo { principal: [User, ServiceAccount], resource: [Model], context: RequestContext };
}`;
