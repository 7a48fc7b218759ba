import { z } from "zod";

/** A restricted term or data-source marker: long enough not to match ordinary words by accident. */
export const restrictedTermSchema = z
  .string()
  .trim()
  .min(3, "must be at least 3 characters")
  .max(200)
  .refine((t) => /[\p{L}\p{N}]/u.test(t), "must contain a letter or digit");

/**
 * The tenant settings' `guards.output` section: what the output guards do with what they find in
 * model answers (docs/configuration.md, "Output guards"). Everything has a default, so a tenant
 * without the section gets personal data redacted and secrets, restricted terms, data-source
 * markers and toxic text refused.
 */
export const outputGuardSettingsSchema = z
  .object({
    /** Personal data (cards, IBANs, SSNs, e-mail addresses, phone numbers, IP addresses). */
    pii: z.enum(["redact", "block", "flag", "off"]).default("redact"),
    /** Credentials: provider API keys, private keys, tokens, passwords. */
    secrets: z.enum(["redact", "block", "flag", "off"]).default("block"),
    /** Words and phrases that must never leave in an answer (code names, customer names …); matched case-insensitively as whole words. */
    restrictedTerms: z.array(restrictedTermSchema).max(500).default([]),
    /** The markers declared by the tenant's confidential and restricted data sources (their spec's `markers`). */
    markers: z.enum(["block", "flag", "off"]).default("block"),
    /** Threats, slurs and harassment. */
    toxicity: z.enum(["block", "flag", "off"]).default("block"),
    /** Lowest mean token probability (0–1) an answer may have, where the upstream gives log-probabilities; absent: not checked. */
    minConfidence: z.number().gt(0).max(1).optional(),
    /** What an answer below minConfidence gets. */
    lowConfidence: z.enum(["block", "flag"]).default("block"),
    /** How often a structured answer that fails its response_format schema is sent back to the model with the errors (0 or 1). */
    schemaRepairRetries: z.number().int().min(0).max(1).default(1),
  })
  .strict();

export type OutputGuardSettings = z.output<typeof outputGuardSettingsSchema>;

/** The settings in force for a tenant whose `guards.output` may be absent. */
export const outputGuardSettingsOf = (section: OutputGuardSettings | undefined): OutputGuardSettings =>
  section ?? outputGuardSettingsSchema.parse({});
