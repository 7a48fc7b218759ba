import type { StreamEvent } from "../../gateway/chat.js";
import { GatehouseError } from "../../shared/errors.js";
import type { OutputGuard } from "../../gateway/pipeline/guard.js";
import type { ModelCall } from "../../gateway/pipeline/model-call.js";
import { noteFinding } from "./findings.js";
import { outputGuardSettingsOf } from "./settings.js";
import { timed } from "./timing.js";

/** A stream is judged on the tokens so far once this many have arrived (fewer say too little), and on all of them at its end. */
export const MIN_STREAM_TOKENS = 16;

/** The mean probability of the answer's tokens: exp of each log-probability, averaged. */
export function meanTokenProbability(logprobs: readonly number[]): number {
  if (logprobs.length === 0) return Number.NaN;
  let sum = 0;
  for (const lp of logprobs) sum += Math.exp(lp);
  return sum / logprobs.length;
}

const minConfidenceOf = (call: ModelCall): number | undefined => outputGuardSettingsOf(call.caller?.settings.guards?.output).minConfidence;

/**
 * The tenant's confidence threshold (`guards.output.minConfidence`): Gatehouse asks the upstream
 * for token log-probabilities (OpenAI-compatible upstreams give them; they are not passed on to
 * the caller) and refuses (403) or flags an answer whose mean token probability is below it.
 * Where the upstream gives none, the answer passes and the record says the confidence was
 * unavailable.
 */
export class ConfidenceGuard implements OutputGuard {
  readonly name = "confidence";

  async prepare(call: ModelCall): Promise<void> {
    if (minConfidenceOf(call) !== undefined) call.request = { ...call.request, logprobs: true };
  }

  async inspect(call: ModelCall): Promise<void> {
    const min = minConfidenceOf(call);
    if (min === undefined || !call.response) return;
    this.judge(call, call.response.logprobs ?? [], min, false);
  }

  guardStream(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncIterable<StreamEvent> {
    const min = minConfidenceOf(call);
    return min === undefined ? events : this.watch(call, events, min);
  }

  private async *watch(call: ModelCall, events: AsyncIterable<StreamEvent>, min: number): AsyncGenerator<StreamEvent> {
    const cuts = outputGuardSettingsOf(call.caller?.settings.guards?.output).lowConfidence === "block";
    const logprobs: number[] = [];
    for await (const event of events) {
      if (event.type === "finish") {
        timed(call, () => this.judge(call, logprobs, min, true));
        yield event;
        return;
      }
      if (event.type === "text" && event.logprobs) {
        logprobs.push(...event.logprobs);
        // Below the threshold so far: cut now rather than after the caller has read the rest.
        if (cuts && logprobs.length >= MIN_STREAM_TOKENS && meanTokenProbability(logprobs) < min) timed(call, () => this.judge(call, logprobs, min, true));
        const { logprobs: _numbers, ...text } = event;
        yield text;
        continue;
      }
      yield event;
    }
  }

  /** Refuses (or flags, as the tenant says) an answer below the threshold; notes when there was nothing to judge. */
  private judge(call: ModelCall, logprobs: readonly number[], min: number, streamed: boolean): void {
    if (logprobs.length === 0) {
      noteFinding(call, { guard: "confidence", type: "CONFIDENCE_UNAVAILABLE", action: "flag" });
      return;
    }
    const mean = meanTokenProbability(logprobs);
    if (mean >= min) return;
    const detail = `mean token probability ${mean.toFixed(3)} below ${min}`;
    if (outputGuardSettingsOf(call.caller?.settings.guards?.output).lowConfidence === "flag") {
      noteFinding(call, { guard: "confidence", type: "LOW_CONFIDENCE", action: "flag", detail });
      return;
    }
    noteFinding(call, { guard: "confidence", type: "LOW_CONFIDENCE", action: "block", detail });
    const verb = streamed ? "cut the answer" : "refused the answer";
    throw new GatehouseError("forbidden", `output guard confidence ${verb}: its ${detail}`);
  }
}
