import { z } from "zod";
import { findingTypes, isPiiType, isThreatType, piiTypes, type FindingType, type PiiType } from "./finding-types.js";

/** What happens to a text when a guard finds something in it: refused, the finding replaced by a placeholder, or let through (and labelled). */
export const guardActions = ["block", "redact", "allow"] as const;
export type GuardAction = (typeof guardActions)[number];

const known = (types: readonly string[]) => types.join(", ");

const actionsSchema = z.record(z.string(), z.enum(guardActions, { error: `must be one of ${known(guardActions)}` })).superRefine((actions, ctx) => {
  for (const [type, action] of Object.entries(actions)) {
    if (!(findingTypes as readonly string[]).includes(type)) {
      ctx.addIssue({ code: "custom", path: [type], message: `unknown finding type ${type} (known: ${known(findingTypes)})` });
    } else if (isThreatType(type) && action === "redact") {
      ctx.addIssue({ code: "custom", path: [type], message: `${type} cannot be redacted: block or allow it` });
    }
  }
});

const restoreSchema = z
  .array(z.string())
  .max(piiTypes.length)
  .superRefine((types, ctx) => {
    types.forEach((type, i) => {
      if (!isPiiType(type)) ctx.addIssue({ code: "custom", path: [i], message: `${type} is not a redactable finding type (known: ${known(piiTypes)})` });
    });
  });

/**
 * The input guards' policy as written (in the process configuration or a tenant's settings);
 * every field is optional, and what a layer leaves out comes from the layer below it.
 */
export const inputGuardSettingsSchema = z
  .object({
    /** What to do per finding type; types not named keep the default (threats block, personal data and secrets are redacted). */
    actions: actionsSchema.optional(),
    /** Findings scored below this are ignored (neither acted on nor labelled). */
    minScore: z.number().min(0).max(1).optional(),
    /** Redacted types whose placeholders in the model's answer are put back to the original values for the caller. */
    restore: restoreSchema.optional(),
  })
  .strict();

/** The `guards` section of the process configuration and of a tenant's settings. */
export const guardSettingsSchema = z
  .object({
    input: inputGuardSettingsSchema.optional(),
  })
  .strict();

export type InputGuardSettings = z.output<typeof inputGuardSettingsSchema>;
export type GuardSettings = z.output<typeof guardSettingsSchema>;

/** The policy in force for one call: every layer applied. */
export interface InputGuardPolicy {
  /** Only the types a layer named; actionFor gives the default for the rest. */
  readonly actions: Readonly<Partial<Record<FindingType, GuardAction>>>;
  readonly minScore: number;
  readonly restore: ReadonlySet<PiiType>;
}

/**
 * Scores the recognizers give: a validated structured value scores 0.6 and more, a name or an
 * address found from weaker evidence (capitalisation alone, a lone "Word 12") less.
 */
export const defaultMinScore = 0.5;

export const defaultInputGuardPolicy: InputGuardPolicy = { actions: {}, minScore: defaultMinScore, restore: new Set() };

/** The action for a finding type: the policy's, else block for threats and redact for personal data and secrets. */
export function actionFor(policy: InputGuardPolicy, type: string): GuardAction {
  const chosen = policy.actions[type as FindingType];
  if (chosen) return chosen;
  return isPiiType(type) ? "redact" : "block";
}

/**
 * The policy for a call: the built-in defaults, then each layer in order (the process
 * configuration, then the tenant's settings). Actions merge per type; minScore and restore are
 * replaced by the last layer that sets them.
 */
export function inputGuardPolicy(...layers: (InputGuardSettings | undefined)[]): InputGuardPolicy {
  let policy = defaultInputGuardPolicy;
  for (const layer of layers) {
    if (!layer) continue;
    policy = {
      actions: { ...policy.actions, ...(layer.actions as Partial<Record<FindingType, GuardAction>> | undefined) },
      minScore: layer.minScore ?? policy.minScore,
      restore: layer.restore ? new Set(layer.restore as PiiType[]) : policy.restore,
    };
  }
  return policy;
}

const strictness: Record<GuardAction, number> = { allow: 0, redact: 1, block: 2 };

/**
 * How the second policy is looser than the first, in words: a type acted on less strictly, a
 * higher minimum score, a type newly restored. Empty when it is as strict or stricter.
 */
export function looserPolicy(before: InputGuardPolicy, after: InputGuardPolicy): string[] {
  const reasons: string[] = [];
  for (const type of findingTypes) {
    const was = actionFor(before, type);
    const now = actionFor(after, type);
    if (strictness[now] < strictness[was]) reasons.push(`the input guards would ${now} ${type} instead of ${was === "block" ? "blocking" : "redacting"} it`);
  }
  if (after.minScore > before.minScore) reasons.push(`the input guards would ignore findings scored below ${after.minScore} instead of ${before.minScore}`);
  const restored = [...after.restore].filter((t) => !before.restore.has(t));
  if (restored.length > 0) reasons.push(`the model's answers would have ${restored.join(", ")} placeholders restored`);
  return reasons;
}
