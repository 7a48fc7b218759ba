import { z } from "zod";
import { kindNames } from "../registry/kinds.js";

/** A change someone asks for. Applied at once when no approval is needed, otherwise carried by a change request. */
export const proposalSchema = z.discriminatedUnion("action", [
  z.object({
    action: z.literal("record.put"),
    kind: z.enum(kindNames),
    name: z.string(),
    owner: z.string(),
    spec: z.unknown(),
  }),
  z.object({ action: z.literal("record.delete"), kind: z.enum(kindNames), name: z.string() }),
  z.object({ action: z.literal("agent.approve"), name: z.string() }),
  z.object({ action: z.literal("agent.activate"), name: z.string(), environment: z.string() }),
  z.object({ action: z.literal("tenant.settings"), settings: z.unknown() }),
]);
export type Proposal = z.output<typeof proposalSchema>;
export type RecordProposal = Extract<Proposal, { action: "record.put" | "record.delete" }>;

export function proposalTarget(p: Proposal): { kind: string; name: string } {
  switch (p.action) {
    case "record.put":
    case "record.delete":
      return { kind: p.kind, name: p.name };
    case "tenant.settings":
      return { kind: "tenant", name: "settings" };
    default:
      return { kind: "agent", name: p.name };
  }
}
