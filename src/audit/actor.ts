import type { Role } from "../tenancy/roles.js";

export type PrincipalKind = "user" | "service_account" | "application";

/**
 * Who did something. System actors act for Gatehouse itself (bootstrap, expiry, the CLI's store
 * commands); agents are registry records that proved possession of their key.
 */
export interface Actor {
  type: PrincipalKind | "agent" | "system";
  id: string;
  name: string;
  tenantId: string | null;
  role: Role | null;
}

export const systemActor = (name: string, tenantId: string | null = null): Actor => ({
  type: "system",
  id: `system:${name}`,
  name,
  tenantId,
  role: null,
});

/** The form in which an actor is written into records and events. */
export const actorLabel = (actor: Actor): string => `${actor.type}:${actor.name}`;
