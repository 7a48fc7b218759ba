import { GatehouseError } from "../shared/errors.js";
import type { Guard } from "../gateway/pipeline/guard.js";
import type { ModelCall } from "../gateway/pipeline/model-call.js";
import { GuardChecker } from "./guard-check.js";

const dataClassOf: Record<string, string> = { contains_pii: "pii", contains_secret: "secret" };

/**
 * The input guards in the pipeline: every message the caller wrote (system, user, tool results)
 * is checked before the decide stage. What was found becomes the policy context (data classes
 * such as pii, labels), personal data and secrets are replaced by typed placeholders before
 * anything leaves Gatehouse, and a prompt injection or jailbreak refuses the call (403).
 */
export class InputGuard implements Guard {
  readonly name = "input-guards";

  constructor(private readonly checker = new GuardChecker()) {}

  async inspect(call: ModelCall): Promise<void> {
    const labels = new Set<string>();
    const messages = call.request.messages.map((message) => {
      if (message.role === "assistant" || message.content.length === 0) return message;
      const result = this.checker.check(message.content);
      for (const label of result.labels) labels.add(label);
      if (result.verdict === "block") {
        const finding = result.findings.find((f) => f.type === "PROMPT_INJECTION" || f.type === "JAILBREAK");
        throw new GatehouseError("forbidden", `refused by the input guards: ${finding?.type ?? "blocked content"} detected in a ${message.role} message`);
      }
      return result.verdict === "redact" ? { ...message, content: result.redacted } : message;
    });
    call.request = { ...call.request, messages };
    call.inspection = {
      dataClasses: [...labels].map((l) => dataClassOf[l]).filter((c): c is string => c !== undefined),
      labels: [...labels].sort(),
      dataRegions: call.inspection?.dataRegions ?? [],
    };
  }
}
