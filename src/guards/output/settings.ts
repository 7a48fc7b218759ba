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

/** How strictly each setting acts on what it finds, least strict first. */
const ladders = {
  pii: ["off", "flag", "redact", "block"],
  secrets: ["off", "flag", "redact", "block"],
  markers: ["off", "flag", "block"],
  toxicity: ["off", "flag", "block"],
} as const;

/**
 * How the second output guard settings are looser than the first, in words: a guard acting less
 * strictly, a restricted term removed, a confidence threshold lowered or dropped, low confidence
 * only flagged. Empty when they are as strict or stricter (the repair retries are not a control).
 */
export function looserOutputSettings(before: OutputGuardSettings, after: OutputGuardSettings): string[] {
  const reasons: string[] = [];
  for (const key of Object.keys(ladders) as (keyof typeof ladders)[]) {
    const ladder: readonly string[] = ladders[key];
    if (ladder.indexOf(after[key]) < ladder.indexOf(before[key])) reasons.push(`the output guards would set ${key} to ${after[key]} instead of ${before[key]}`);
  }
  const kept = new Set(after.restrictedTerms.map((t) => t.toLowerCase()));
  const removed = before.restrictedTerms.filter((t) => !kept.has(t.toLowerCase()));
  if (removed.length > 0) reasons.push(`the output guards would no longer refuse ${removed.length} restricted term${removed.length === 1 ? "" : "s"}`);
  if (before.minConfidence !== undefined) {
    if (after.minConfidence === undefined) reasons.push("the output guards would no longer check the answers' confidence");
    else if (after.minConfidence < before.minConfidence) reasons.push(`the output guards would accept answers down to confidence ${after.minConfidence} instead of ${before.minConfidence}`);
    if (after.minConfidence !== undefined && before.lowConfidence === "block" && after.lowConfidence === "flag") reasons.push("the output guards would only flag answers below the confidence threshold");
  }
  return reasons;
}
