import { randomUUID } from "node:crypto";
import type { Dialect } from "../store/dialect.js";
import type { Db, Executor } from "../store/database.js";
import type { ChangeRequestTable, ChangeReviewTable } from "../store/schema.js";
import type { FixtureReport } from "../policy/policy-fixtures.js";
import type { FieldChange } from "../registry/diff.js";
import { notFound } from "../shared/errors.js";
import { canonicalJson, parseJson } from "../shared/json.js";
import type { Proposal } from "./proposals.js";

export const changeStatuses = ["pending", "applied", "rejected", "expired", "cancelled", "stale"] as const;
export type ChangeStatus = (typeof changeStatuses)[number];

export interface Review {
  reviewerId: string;
  reviewer: string;
  decision: "approve" | "reject";
  justification: string;
  at: number;
}

export interface ChangeRequest {
  id: string;
  tenantId: string;
  proposal: Proposal;
  target: { kind: string; name: string };
  baseVersion: number | null;
  diff: FieldChange[];
  requestedBy: string;
  requesterId: string;
  justification: string | null;
  requiredApprovals: number;
  reasons: string[];
  /**
   * For a change to a policy or to the policy fixtures: the tenant's fixtures run against the
   * policies the change would leave (as of creation; as of now while it is pending and read alone).
   */
  fixtures?: FixtureReport;
  status: ChangeStatus;
  /** Why a request ended the way it did (stale, expired, cancelled by retirement, …). */
  outcome: string | null;
  createdAt: number;
  expiresAt: number;
  decidedAt: number | null;
  reviews: Review[];
}

interface StoredProposal {
  proposal: Proposal;
  reasons: string[];
  fixtures?: FixtureReport;
}

const toReview = (row: ChangeReviewTable): Review => ({
  reviewerId: row.reviewer_id,
  reviewer: row.reviewer,
  decision: row.decision as Review["decision"],
  justification: row.justification,
  at: row.created_at,
});

function toChangeRequest(row: ChangeRequestTable, reviews: Review[]): ChangeRequest {
  const stored = parseJson<StoredProposal>(row.proposal);
  return {
    id: row.id,
    tenantId: row.tenant_id,
    proposal: stored.proposal,
    target: { kind: row.target_kind, name: row.target_name },
    baseVersion: row.base_version,
    diff: parseJson<FieldChange[]>(row.diff),
    requestedBy: row.requested_by,
    requesterId: row.requester_id,
    justification: row.justification,
    requiredApprovals: row.required_approvals,
    reasons: stored.reasons,
    ...(stored.fixtures ? { fixtures: stored.fixtures } : {}),
    status: row.status as ChangeStatus,
    outcome: row.outcome,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
    decidedAt: row.decided_at,
    reviews,
  };
}

export type NewChangeRequest = Omit<ChangeRequest, "id" | "status" | "outcome" | "decidedAt" | "reviews" | "tenantId">;

/** Storage of change requests and their reviews. The workflow around them is in change-control.ts. */
export class ChangeRequests {
  constructor(
    private readonly db: Db,
    private readonly dialect: Dialect,
  ) {}

  async create(executor: Executor, tenantId: string, input: NewChangeRequest): Promise<ChangeRequest> {
    const row: ChangeRequestTable = {
      id: randomUUID(),
      tenant_id: tenantId,
      action: input.proposal.action,
      target_kind: input.target.kind,
      target_name: input.target.name,
      base_version: input.baseVersion,
      proposal: canonicalJson({ proposal: input.proposal, reasons: input.reasons, ...(input.fixtures ? { fixtures: input.fixtures } : {}) } satisfies StoredProposal),
      diff: canonicalJson(input.diff),
      requested_by: input.requestedBy,
      requester_id: input.requesterId,
      justification: input.justification,
      required_approvals: input.requiredApprovals,
      status: "pending",
      outcome: null,
      created_at: input.createdAt,
      expires_at: input.expiresAt,
      decided_at: null,
    };
    await executor.insertInto("change_requests").values(row).execute();
    return toChangeRequest(row, []);
  }

  /** Reads a request; with lock, holds its row until the transaction ends (reviews serialise on it). */
  async get(tenantId: string, id: string, executor: Executor = this.db, lock = false): Promise<ChangeRequest> {
    let query = executor.selectFrom("change_requests").selectAll().where("tenant_id", "=", tenantId).where("id", "=", id);
    if (lock && this.dialect === "postgres") query = query.forUpdate();
    const row = await query.executeTakeFirst();
    if (!row) throw notFound(`change request '${id}'`);
    const reviews = await executor
      .selectFrom("change_reviews")
      .selectAll()
      .where("change_request_id", "=", id)
      .orderBy("created_at")
      .execute();
    return toChangeRequest(row, reviews.map(toReview));
  }

  async list(tenantId: string, filter: { status?: ChangeStatus; targetKind?: string; targetName?: string } = {}, executor: Executor = this.db): Promise<ChangeRequest[]> {
    let query = executor.selectFrom("change_requests").selectAll().where("tenant_id", "=", tenantId);
    if (filter.status) query = query.where("status", "=", filter.status);
    if (filter.targetKind) query = query.where("target_kind", "=", filter.targetKind);
    if (filter.targetName) query = query.where("target_name", "=", filter.targetName);
    const rows = await query.orderBy("created_at", "desc").limit(500).execute();
    if (rows.length === 0) return [];
    const reviews = await executor
      .selectFrom("change_reviews")
      .selectAll()
      .where(
        "change_request_id",
        "in",
        rows.map((r) => r.id),
      )
      .orderBy("created_at")
      .execute();
    return rows.map((row) =>
      toChangeRequest(
        row,
        reviews.filter((r) => r.change_request_id === row.id).map(toReview),
      ),
    );
  }

  async dueForExpiry(executor: Executor, tenantId: string, now: number): Promise<string[]> {
    const rows = await executor
      .selectFrom("change_requests")
      .select("id")
      .where("tenant_id", "=", tenantId)
      .where("status", "=", "pending")
      .where("expires_at", "<=", now)
      .execute();
    return rows.map((r) => r.id);
  }

  async addReview(executor: Executor, changeRequestId: string, review: Review): Promise<void> {
    await executor
      .insertInto("change_reviews")
      .values({
        id: randomUUID(),
        change_request_id: changeRequestId,
        reviewer_id: review.reviewerId,
        reviewer: review.reviewer,
        decision: review.decision,
        justification: review.justification,
        created_at: review.at,
      })
      .execute();
  }

  async close(executor: Executor, id: string, status: Exclude<ChangeStatus, "pending">, outcome: string | null): Promise<void> {
    await executor
      .updateTable("change_requests")
      .set({ status, outcome, decided_at: Date.now() })
      .where("id", "=", id)
      .where("status", "=", "pending")
      .execute();
  }
}
