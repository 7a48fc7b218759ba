import type { Finding } from "../finding.js";
import { defaultMinScore } from "../guard-policy.js";
import { PiiScanner } from "../pii/pii-scanner.js";
import type { Detection, DetectionAction, OffloadableDetector } from "./detection.js";

/**
 * Personal data and credentials in an answer, found by the same recognizers as the input guards
 * (validated: Luhn, mod-97 …). Credentials are their own guard, `secrets`, because a key in an
 * answer is a leak to refuse where an e-mail address is usually data to redact. Findings scored
 * below the input guards' default minimum (a capitalised word that might be a name) are ignored.
 */
export class PiiLeakDetector implements OffloadableDetector {
  readonly scanKind = "pii";

  constructor(
    private readonly actions: { pii: DetectionAction | "off"; secrets: DetectionAction | "off" },
    private readonly scanner: PiiScanner = new PiiScanner(),
  ) {}

  find(text: string): Detection[] {
    return this.judge(this.scan(text));
  }

  scan(text: string): Finding[] {
    return this.scanner.scan(text);
  }

  judge(findings: readonly Finding[]): Detection[] {
    const found: Detection[] = [];
    for (const f of findings) {
      // Names and street addresses are found by heuristics: in answers ("the weather in Paris") they are mostly content, not leaks.
      if (f.score < defaultMinScore || f.type === "PERSON" || f.type === "STREET_ADDRESS") continue;
      const guard = f.type === "SECRET" ? "secrets" : "pii";
      const action = f.type === "SECRET" ? this.actions.secrets : this.actions.pii;
      if (action !== "off") found.push({ ...f, guard, action });
    }
    return found;
  }
}
