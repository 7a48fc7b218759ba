/**
 * The Cedar schema policies are written and validated against: who calls (agents, users,
 * service accounts, applications), what they do (the actions), what they touch (models, tools,
 * data sources, agents, prompt templates), each with the attributes the registries hold, and
 * the request context the pipeline fills in (what the input guards found, task, environment).
 *
 * A forbid annotated @escalate("why") sends a grant request it matches to a person instead of
 * denying it (request_grant only; for every other action it is a plain forbid).
 */
export const NAMESPACE = "Gatehouse";

export const actions = ["invoke_model", "call_tool", "read_data", "send_message", "request_grant"] as const;
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
    time: Long,
  };

  action invoke_model appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [Model], context: RequestContext };
  action call_tool appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [Tool], context: RequestContext };
  action read_data appliesTo { principal: [User, ServiceAccount, Application, Agent], resource: [DataSource], context: RequestContext };
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
    time: Long,
    grant: GrantRequest,
  };

  action request_grant appliesTo { principal: [Agent], resource: [Tool, DataSource, Model], context: GrantRequestContext };
}`;
