import { resolveOverlaps, type Finding } from "../finding.js";
import { findReadable } from "../readable-text.js";
import { creditCardRecognizer } from "./credit-card.js";
import { emailRecognizer } from "./email.js";
import { ibanRecognizer } from "./iban.js";
import { ipAddressRecognizer } from "./ip-address.js";
import { personRecognizer } from "./person.js";
import { phoneRecognizer } from "./phone.js";
import type { PiiRecognizer } from "./recognizer.js";
import { secretRecognizer } from "./secret.js";
import { streetAddressRecognizer } from "./street-address.js";
import { TextIndex } from "./text-index.js";
import { usSsnRecognizer } from "./us-ssn.js";

export const defaultRecognizers: readonly PiiRecognizer[] = [
  creditCardRecognizer,
  ibanRecognizer,
  usSsnRecognizer,
  emailRecognizer,
  ipAddressRecognizer,
  phoneRecognizer,
  secretRecognizer,
  personRecognizer,
  streetAddressRecognizer,
];

/**
 * Drops the names found inside street addresses: there they are a street's or a town's
 * ("Victor Hugo u. 49", "María Albina, Uruguay"), and the address is what to act on.
 */
function withoutPlaceNames(found: Finding[]): Finding[] {
  const addresses = found.filter((f) => f.type === "STREET_ADDRESS");
  if (addresses.length === 0) return found;
  return found.filter((f) => f.type !== "PERSON" || !addresses.some((a) => f.start < a.end && a.start < f.end));
}

/** Runs every recognizer over a text; where findings overlap, the more certain one stands. */
export class PiiScanner {
  constructor(private readonly recognizers: readonly PiiRecognizer[] = defaultRecognizers) {
    for (const recognizer of recognizers) recognizer.prepare?.();
  }

  get types(): string[] {
    return [...new Set(this.recognizers.flatMap((r) => r.types))];
  }

  /**
   * The text's findings at its own offsets. The recognizers read it as a reader does, without
   * invisible characters ("4111\u200B1111…" is a card number on screen); a finding's span
   * covers the hidden characters inside it.
   */
  scan(text: string): Finding[] {
    return findReadable(text, (readable) => this.scanReadable(readable));
  }

  private scanReadable(text: string): Finding[] {
    const found: Finding[] = [];
    const index = new TextIndex(text);
    for (const recognizer of this.recognizers) for (const f of recognizer.find(text, index)) found.push(f);
    return resolveOverlaps(withoutPlaceNames(found));
  }
}
