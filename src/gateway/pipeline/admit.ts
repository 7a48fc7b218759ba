import type { Usage } from "../chat.js";
import type { ModelCall } from "./model-call.js";
import type { Stage } from "./stage.js";

/**
 * What admission handed out for one call: settled once the call ends, with the usage it
 * actually had (none when it failed before the upstream answered).
 */
export interface AdmissionTicket {
  settle(usage: Usage | undefined): Promise<void>;
}

/**
 * The seam for rate limits and budgets: checks a call before it runs (on
 * `call.estimatedInputTokens` and the request's max tokens) and throws
 * GatehouseError("rate_limited", …, { retryAfterSeconds }) to refuse it. The service's
 * implementation is UsageAdmission (usage-admission.ts).
 */
export interface Admission {
  admit(call: ModelCall): Promise<AdmissionTicket>;
}

export class AdmitStage implements Stage {
  readonly name = "admit";

  constructor(private readonly admission: Admission) {}

  async run(call: ModelCall): Promise<void> {
    call.admission = await this.admission.admit(call);
  }
}
