import { z } from "zod";
import { agentStates } from "../lifecycle/agent-states.js";
import { kindByTitle, kinds, recordName, recordOwner, type Kind } from "../registry/kinds.js";
import { environmentSpecSchema, tenantSettingsSchema } from "../tenancy/settings.js";

/**
 * One document of a configuration directory, as in the YAML files:
 *
 *   kind: Model
 *   name: gpt-4o-mini
 *   owner: platform-team
 *   spec: { … }
 *
 * A Tenant document describes the tenant itself; every other kind is a registry record.
 */
export const tenantDocumentSchema = z
  .object({
    kind: z.literal("Tenant"),
    name: z.string().min(1),
    spec: z
      .object({
        environments: z.array(environmentSpecSchema).min(1),
        settings: tenantSettingsSchema.prefault({}),
      })
      .strict(),
  })
  .strict();
export type TenantDocument = z.output<typeof tenantDocumentSchema>;

/**
 * An agent's lifecycle is operational state, not configuration: export writes it so a reader
 * sees it, the demo bootstrap seeds it, and plan and apply leave it alone.
 */
export const lifecycleHintSchema = z
  .object({ state: z.enum(agentStates), environments: z.array(z.string()).default([]) })
  .strict();

export const recordDocumentSchema = z
  .object({
    kind: z.string().refine((k) => kindByTitle(k) !== undefined && k !== "Tenant", {
      message: `must be one of Tenant, ${Object.values(kinds)
        .map((k) => k.title)
        .join(", ")}`,
    }),
    name: recordName,
    owner: recordOwner,
    spec: z.record(z.string(), z.unknown()),
    lifecycle: lifecycleHintSchema.optional(),
  })
  .strict()
  // Validate the spec here too, so an error names the document (documents[3].spec.region), not just the field.
  .superRefine((doc, ctx) => {
    const kind = kindByTitle(doc.kind);
    if (!kind) return;
    const result = kinds[kind].spec.safeParse(doc.spec);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: "custom", path: ["spec", ...issue.path] });
    }
  });
export type RecordDocument = z.output<typeof recordDocumentSchema>;

export type ConfigDocument = TenantDocument | RecordDocument;

export const isTenantDocument = (doc: ConfigDocument): doc is TenantDocument => doc.kind === "Tenant";
export const kindOf = (doc: RecordDocument): Kind => kindByTitle(doc.kind) as Kind;

export const documentsSchema = z.array(
  z.unknown().transform((doc, ctx) => {
    const isTenant = typeof doc === "object" && doc !== null && (doc as { kind?: unknown }).kind === "Tenant";
    const result = (isTenant ? tenantDocumentSchema : recordDocumentSchema).safeParse(doc);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ ...issue, code: "custom", path: issue.path });
      return z.NEVER;
    }
    return result.data as ConfigDocument;
  }),
);
