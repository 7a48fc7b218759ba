/** Roles a person or service account can hold in a tenant, and what each may do. */
export const roles = ["owner", "admin", "approver", "developer", "auditor", "viewer"] as const;
export type Role = (typeof roles)[number];

export const permissions = [
  "registry.read",
  "registry.write",
  "agents.operate",
  "agents.retire",
  "changes.read",
  "changes.review",
  "principals.read",
  "principals.manage",
  "keys.manage",
  "events.read",
  "audit.manage",
  "tenant.manage",
] as const;
export type Permission = (typeof permissions)[number];

const grants: Record<Role, readonly Permission[]> = {
  owner: permissions,
  admin: permissions,
  approver: ["registry.read", "changes.read", "changes.review", "principals.read"],
  developer: ["registry.read", "registry.write", "agents.operate", "changes.read"],
  auditor: ["registry.read", "changes.read", "principals.read", "events.read"],
  viewer: ["registry.read", "changes.read"],
};

export function can(role: Role, permission: Permission): boolean {
  return grants[role].includes(permission);
}

/** An admin may manage anyone but owners; only an owner can create or change an owner. */
export function canAssignRole(actorRole: Role, role: Role): boolean {
  return actorRole === "owner" || (actorRole === "admin" && role !== "owner");
}
