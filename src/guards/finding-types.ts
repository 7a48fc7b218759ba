/**
 * The finding types the guards report, by Presidio's entity names where Presidio has one. A
 * guard policy may only name these: a misspelt type would otherwise be a rule that never applies.
 */
export const piiTypes = [
  "CREDIT_CARD",
  "IBAN_CODE",
  "US_SSN",
  "EMAIL_ADDRESS",
  "PHONE_NUMBER",
  "IP_ADDRESS",
  "SECRET",
  "PERSON",
  "STREET_ADDRESS",
] as const;

/** Instructions smuggled to the model, and attempts to talk it out of its rules. */
export const threatTypes = ["PROMPT_INJECTION", "JAILBREAK"] as const;

export type PiiType = (typeof piiTypes)[number];
export type ThreatType = (typeof threatTypes)[number];
export type FindingType = PiiType | ThreatType;

export const findingTypes: readonly FindingType[] = [...piiTypes, ...threatTypes];

export const isPiiType = (type: string): type is PiiType => (piiTypes as readonly string[]).includes(type);
export const isThreatType = (type: string): type is ThreatType => (threatTypes as readonly string[]).includes(type);
