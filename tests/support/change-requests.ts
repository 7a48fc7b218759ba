import { expect } from "vitest";
import type { Harness, Response, TestTenant } from "./harness.js";

/** Approves or rejects a change request through the admin API. */
export const review = (
  h: Harness,
  key: string,
  id: string,
  decision: "approve" | "reject" = "approve",
  justification: string | undefined = "reviewed and looks right",
): Promise<Response> =>
  h.admin(key, "POST", `/change-requests/${id}/${decision}`, justification === undefined ? {} : { justification });

/** Gives a change request the approvals it needs (approver, then approver2) and checks that it applied. */
export async function approveFully(h: Harness, t: TestTenant, id: string): Promise<any> {
  const cr = (await h.admin(t.keys.viewer, "GET", `/change-requests/${id}`)).body;
  expect(cr.status, `change request ${id}`).toBe("pending");
  const reviewed = new Set((cr.reviews as any[]).map((r) => r.reviewerId));
  const approvers = (["approver", "approver2"] as const)
    .filter((label) => !reviewed.has(t.principalIds[label]))
    .map((label) => t.keys[label])
    .slice(0, cr.requiredApprovals - cr.reviews.length);
  expect(approvers.length, "the test tenant has two approvers").toBe(cr.requiredApprovals - cr.reviews.length);
  let last: Response | undefined;
  for (const key of approvers) {
    last = await review(h, key, id);
    expect(last.status, JSON.stringify(last.body)).toBe(200);
  }
  expect(last?.body.status).toBe("applied");
  return last?.body;
}

/** Approves every pending change request of the tenant; returns how many there were. */
export async function approveAllPending(h: Harness, t: TestTenant): Promise<number> {
  const pending = (await h.admin(t.keys.viewer, "GET", "/change-requests?status=pending")).body.items as any[];
  for (const cr of pending) await approveFully(h, t, cr.id);
  return pending.length;
}

/** The tenant's change requests for one target, newest first. */
export async function requestsFor(h: Harness, t: TestTenant, kind: string, name: string, status?: string): Promise<any[]> {
  const query = status ? `?status=${status}` : "";
  const items = (await h.admin(t.keys.viewer, "GET", `/change-requests${query}`)).body.items as any[];
  return items.filter((cr) => cr.target.kind === kind && cr.target.name === name);
}
