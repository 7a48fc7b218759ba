import { z } from "zod";
import { recordName } from "../../registry/kinds.js";

const count = z.number().int().min(0);
const usd = z.number().min(0);

/** The limits one scope (the tenant, a key, an agent, a business unit) can carry; an absent field is no limit. */
export const limitSetSchema = z
  .object({
    requestsPerMinute: count.optional(),
    tokensPerMinute: count.optional(),
    tokensPerDay: count.optional(),
    tokensPerMonth: count.optional(),
    costPerDayUsd: usd.optional(),
    costPerMonthUsd: usd.optional(),
  })
  .strict();

/**
 * The tenant settings' `limits` section. `tenant` caps the whole tenant; `perKey`, `perAgent` and
 * `perBusinessUnit` apply to each key, agent and business unit on its own; `businessUnits` sets a
 * named unit's limits in place of `perBusinessUnit`. An agent's own spec limits (tokensPerDay …)
 * take the place of the matching `perAgent` fields. Everything defaults to no limit.
 */
export const tenantLimitsSchema = z
  .object({
    tenant: limitSetSchema.prefault({}),
    perKey: limitSetSchema.prefault({}),
    perAgent: limitSetSchema.prefault({}),
    perBusinessUnit: limitSetSchema.prefault({}),
    businessUnits: z.record(recordName, limitSetSchema).default({}),
  })
  .strict();

export type LimitSet = z.output<typeof limitSetSchema>;
export type TenantLimits = z.output<typeof tenantLimitsSchema>;
