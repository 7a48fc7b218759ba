import { z } from "zod";
import { tenantLimitsSchema } from "../gateway/limits/limits-config.js";
import { routingSettingsSchema } from "../gateway/routing/route-config.js";
import { guardSettingsSchema } from "../guards/guard-policy.js";
import { outputGuardSettingsSchema } from "../guards/output/settings.js";

/** Per-tenant governance settings. */
export const tenantSettingsSchema = z
  .object({
    approvals: z
      .object({
        /** Approvals a change request needs by default. */
        required: z.number().int().min(1).max(10).default(1),
        /** Approvals a change to a policy that applies in production needs. */
        productionPolicy: z.number().int().min(1).max(10).default(2),
        /** Hours after which an undecided change request expires and changes nothing. */
        expiresAfterHours: z.number().int().min(1).max(24 * 90).default(168),
      })
      .strict()
      .prefault({}),
    audit: z
      .object({
        /** Days after which audit payload bodies are pruned (entries and proofs stay); kept for ever when unset. */
        retentionDays: z.number().int().min(1).max(36_500).optional(),
      })
      .strict()
      .prefault({}),
    /** Model gateway rate limits and budgets (docs/configuration.md); absent: none. */
    limits: tenantLimitsSchema.optional(),
    /** Model gateway route definitions (docs/configuration.md); absent: none. */
    routing: routingSettingsSchema.optional(),
    /**
     * The guards' policy (docs/configuration.md, "Guards" and "Output guards"): the input guards
     * over the process defaults, and what the output guards do with what they find in answers.
     */
    guards: guardSettingsSchema.extend({ output: outputGuardSettingsSchema.optional() }).strict().optional(),
  })
  .strict();

export type TenantSettings = z.output<typeof tenantSettingsSchema>;
export const defaultTenantSettings = (): TenantSettings => tenantSettingsSchema.parse({});

export const environmentSpecSchema = z
  .object({
    name: z.string().regex(/^[a-z][a-z0-9-]{0,62}$/, "must be lower-case letters, digits and dashes"),
    production: z.boolean().default(false),
  })
  .strict();
export type EnvironmentSpec = z.output<typeof environmentSpecSchema>;
