import type { ActionContext } from "../audit/recorder.js";
import type { ChangeControl, ProposalOutcome } from "../approvals/change-control.js";
import type { Proposal, RecordProposal } from "../approvals/proposals.js";
import type { AgentLifecycle } from "../lifecycle/agent-lifecycle.js";
import type { AgentOperations } from "../lifecycle/agent-operations.js";
import type { FixtureReport } from "../policy/policy-fixtures.js";
import { diffValues, type FieldChange } from "../registry/diff.js";
import { kindNames, kinds, type Kind } from "../registry/kinds.js";
import type { Registry } from "../registry/registry.js";
import type { Executor } from "../store/database.js";
import { conflict, forbidden, invalid } from "../shared/errors.js";
import { can } from "../tenancy/roles.js";
import type { Tenants } from "../tenancy/tenants.js";
import { isTenantDocument, kindOf, type ConfigDocument, type RecordDocument, type TenantDocument } from "./documents.js";

export interface PlanEntry {
  kind: string;
  name: string;
  action: "create" | "update" | "delete" | "unchanged";
  changes: FieldChange[];
  /** Approvals the change will need before it takes effect (0: applied directly). */
  approvals: number;
  reasons: string[];
  /** An identical change already waiting for approval. */
  pendingChangeRequest?: string;
  /** For a policy or policy test: the tenant's fixtures against the policies this change alone would leave. */
  fixtures?: FixtureReport;
}

export interface ApplyResult extends PlanEntry {
  result: "applied" | "unchanged" | "pending";
  changeRequest?: string;
}

/** Plans and applies a configuration directory against a tenant, and exports the live state in the same form. */
export class ConfigAsCode {
  constructor(
    private readonly tenants: Tenants,
    private readonly registry: Registry,
    private readonly lifecycle: AgentLifecycle,
    private readonly changes: ChangeControl,
    private readonly agents: AgentOperations,
  ) {}

  async plan(executor: Executor, tenantId: string, documents: ConfigDocument[], options: { prune?: boolean } = {}): Promise<PlanEntry[]> {
    const { tenantDoc, records } = await this.split(tenantId, documents, executor);
    const entries: PlanEntry[] = [];
    if (tenantDoc) entries.push(await this.planTenant(executor, tenantId, tenantDoc));
    for (const doc of records) entries.push(await this.planRecord(executor, tenantId, doc));
    if (options.prune) {
      for (const proposal of await this.prunable(executor, tenantId, records)) {
        entries.push(await this.planProposal(executor, tenantId, proposal, kinds[proposal.kind].title));
      }
    }
    return entries;
  }

  /** Applies a directory in one transaction: every change lands (or waits for approval), or none does. */
  async apply(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    documents: ConfigDocument[],
    options: { prune?: boolean; justification?: string | null } = {},
  ): Promise<ApplyResult[]> {
    const plan = await this.plan(executor, tenantId, documents, options);
    const { tenantDoc, records } = await this.split(tenantId, documents, executor);
    const results: ApplyResult[] = [];
    for (const entry of plan) {
      if (entry.action === "unchanged") {
        results.push({ ...entry, result: "unchanged" });
        continue;
      }
      if (entry.kind === "Tenant" && tenantDoc) {
        const outcome = await this.applyTenant(executor, ctx, tenantId, tenantDoc, options.justification ?? null);
        results.push(
          outcome.status === "pending"
            ? { ...entry, approvals: outcome.changeRequest.requiredApprovals, result: "pending", changeRequest: outcome.changeRequest.id }
            : { ...entry, result: "applied" },
        );
        continue;
      }
      const doc = records.find((d) => d.kind === entry.kind && d.name === entry.name);
      const kind = doc ? kindOf(doc) : (kindNames.find((k) => kinds[k].title === entry.kind) as Kind);
      const proposal: Proposal = doc
        ? { action: "record.put", kind, name: doc.name, owner: doc.owner, spec: doc.spec }
        : { action: "record.delete", kind, name: entry.name };
      const justification = options.justification ?? null;
      let outcome = await this.changes.propose(executor, ctx, tenantId, proposal, justification);
      // A new agent is created as a draft and submitted: it exists only once approved.
      if (kind === "agent" && entry.action === "create") {
        outcome = await this.agents.submit(executor, ctx, tenantId, entry.name, justification);
      }
      results.push(
        outcome.status === "pending"
          ? { ...entry, approvals: outcome.changeRequest.requiredApprovals, result: "pending", changeRequest: outcome.changeRequest.id }
          : { ...entry, result: outcome.status },
      );
    }
    return results;
  }

  async export(executor: Executor, tenantId: string): Promise<ConfigDocument[]> {
    const tenant = await this.tenants.get(tenantId, executor);
    const environments = await this.tenants.environments(tenantId, executor);
    const docs: ConfigDocument[] = [
      {
        kind: "Tenant",
        name: tenant.name,
        spec: { environments: environments.map((e) => ({ name: e.name, production: e.production })), settings: tenant.settings },
      },
    ];
    const statuses = await this.lifecycle.statuses(tenantId, executor);
    for (const kind of kindNames) {
      for (const record of await this.registry.list(tenantId, kind, executor)) {
        const doc: RecordDocument = { kind: kinds[kind].title, name: record.name, owner: record.owner, spec: record.spec as Record<string, unknown> };
        if (kind === "agent") {
          const status = statuses.get(record.id);
          doc.lifecycle = { state: status?.state ?? "draft", environments: status?.environments ?? [] };
        }
        docs.push(doc);
      }
    }
    return docs;
  }

  private async split(tenantId: string, documents: ConfigDocument[], executor: Executor) {
    const tenant = await this.tenants.get(tenantId, executor);
    const seen = new Set<string>();
    let tenantDoc: TenantDocument | undefined;
    const records: RecordDocument[] = [];
    documents.forEach((doc, i) => {
      const key = `${doc.kind}/${doc.name}`;
      if (seen.has(key)) throw invalid(`documents[${i}]`, `documents[${i}]: ${key} is declared twice`);
      seen.add(key);
      if (isTenantDocument(doc)) {
        if (doc.name !== tenant.name) {
          throw invalid(`documents[${i}].name`, `documents[${i}].name: this key belongs to tenant ${tenant.name}, not ${doc.name}`);
        }
        tenantDoc = doc;
      } else records.push(doc);
    });
    return { tenantDoc, records };
  }

  private async planTenant(executor: Executor, tenantId: string, doc: TenantDocument): Promise<PlanEntry> {
    const tenant = await this.tenants.get(tenantId, executor);
    const environments = await this.tenants.environments(tenantId, executor);
    const live = { environments: environments.map((e) => ({ name: e.name, production: e.production })), settings: tenant.settings };
    const wanted = { environments: [...doc.spec.environments].sort((a, b) => a.name.localeCompare(b.name)), settings: doc.spec.settings };
    const changes = diffValues(live, wanted);
    const settings = await this.changes.assess(executor, tenantId, { action: "tenant.settings", settings: doc.spec.settings });
    const { approvals, reasons } = settings.unchanged ? { approvals: 0, reasons: [] } : settings.requirement;
    return { kind: "Tenant", name: doc.name, action: changes.length ? "update" : "unchanged", changes, approvals, reasons };
  }

  private async applyTenant(
    executor: Executor,
    ctx: ActionContext,
    tenantId: string,
    doc: TenantDocument,
    justification: string | null,
  ): Promise<ProposalOutcome> {
    if (ctx.actor.role && !can(ctx.actor.role, "tenant.manage")) {
      throw forbidden(`changing tenant settings or environments needs the owner or admin role, not ${ctx.actor.role}`);
    }
    const existing = await this.tenants.environments(tenantId, executor);
    for (const env of existing) {
      const wanted = doc.spec.environments.find((e) => e.name === env.name);
      if (!wanted) throw conflict(`environment '${env.name}' cannot be removed by apply`);
      if (wanted.production !== env.production) throw conflict(`environment '${env.name}' cannot change between production and non-production`);
    }
    for (const env of doc.spec.environments) {
      if (!existing.some((e) => e.name === env.name)) await this.tenants.addEnvironment(executor, ctx, tenantId, env);
    }
    return this.changes.propose(executor, ctx, tenantId, { action: "tenant.settings", settings: doc.spec.settings }, justification);
  }

  private planRecord(executor: Executor, tenantId: string, doc: RecordDocument): Promise<PlanEntry> {
    return this.planProposal(executor, tenantId, { action: "record.put", kind: kindOf(doc), name: doc.name, owner: doc.owner, spec: doc.spec }, doc.kind);
  }

  private async planProposal(executor: Executor, tenantId: string, proposal: RecordProposal, title: string): Promise<PlanEntry> {
    const assessment = await this.changes.assess(executor, tenantId, proposal);
    const base = { kind: title, name: proposal.name };
    if (assessment.unchanged) return { ...base, action: "unchanged", changes: [], approvals: 0, reasons: [] };
    const action = proposal.action === "record.delete" ? "delete" : assessment.live ? "update" : "create";
    let { approvals, reasons } = assessment.requirement;
    if (proposal.kind === "agent" && action === "create") {
      approvals = assessment.tenant.settings.approvals.required;
      reasons = ["a new agent is submitted for approval"];
    }
    const [pending] = await this.changes.pendingFor(executor, tenantId, assessment.proposal);
    return {
      ...base,
      action,
      changes: assessment.diff,
      approvals,
      reasons,
      ...(pending ? { pendingChangeRequest: pending.id } : {}),
      ...(assessment.fixtures ? { fixtures: assessment.fixtures } : {}),
    };
  }

  /** Live records the directory no longer declares. Agents are never pruned: they are retired. */
  private async prunable(executor: Executor, tenantId: string, records: RecordDocument[]): Promise<RecordProposal[]> {
    const out: RecordProposal[] = [];
    for (const kind of kindNames) {
      if (kind === "agent") continue;
      for (const record of await this.registry.list(tenantId, kind, executor)) {
        if (!records.some((d) => kindOf(d) === kind && d.name === record.name)) {
          out.push({ action: "record.delete", kind, name: record.name });
        }
      }
    }
    return out;
  }
}
