import { ResponseAssembler, type ChatResponse, type StreamEvent } from "../chat.js";
import { CallerGoneError, type ModelCall } from "./model-call.js";
import type { Stage, StageName, Stages } from "./stage.js";

/** Why a call ended when its caller went away: whatever the upstream said after that is beside the point. */
const callerGone = (call: ModelCall, error: unknown): unknown =>
  call.input.signal?.aborted ? new CallerGoneError() : error;

export type PipelineResult = { kind: "complete"; response: ChatResponse } | { kind: "stream"; events: AsyncIterable<StreamEvent> };

/** The stages that run before an answer exists, in order. */
const beforeAnswer: readonly StageName[] = ["identify", "admit", "inspect_input", "decide", "execute"];

/**
 * Runs a call through identify → admit → inspect input → decide → execute → inspect output →
 * record, timing each stage. Whatever happens, the call ends in the record stage exactly once;
 * if recording fails, the call fails with it (fail closed). A streamed answer passes through the
 * output guards as it arrives (they may cut it); its end waits for the output stage and the record.
 */
export class Pipeline {
  /** Calls that have reached the record stage (each does exactly once). */
  private readonly recorded = new WeakSet<ModelCall>();

  constructor(private readonly stages: Stages) {}

  async run(call: ModelCall): Promise<PipelineResult> {
    const output = this.stages.inspect_output;
    try {
      for (const name of beforeAnswer) {
        // The output guards get ready before the answer exists (they may ask the upstream for more).
        if (name === "execute" && output.prepare) await this.measure(output.name, call, () => output.prepare?.(call));
        await this.timed(this.stages[name], call);
      }
    } catch (error) {
      await this.end(call, callerGone(call, error));
      throw error;
    }
    if (call.stream) {
      const guarded = output.guardStream?.(call, call.stream) ?? call.stream;
      return { kind: "stream", events: this.streamThrough(call, guarded) };
    }
    const response = call.completion;
    if (!response) {
      const error = new Error("execute produced no answer");
      await this.end(call, error);
      throw error;
    }
    call.response = response;
    await this.afterAnswer(call);
    // What the output guards let through (redacted, repaired), not what the upstream said.
    return { kind: "complete", response: call.response };
  }

  /**
   * Records a call that was refused before it could run (its request did not parse), learning
   * who called when the key allows. Throws when the refusal cannot be recorded.
   */
  async refuse(call: ModelCall, error: unknown): Promise<void> {
    try {
      await this.stages.identify.run(call);
    } catch {
      // Who called stays unknown; the refusal is recorded all the same.
    }
    await this.end(call, error);
  }

  private async *streamThrough(call: ModelCall, events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
    const assembler = new ResponseAssembler(call.served?.upstreamModel ?? call.input.model);
    let ended = false;
    try {
      for await (const event of events) {
        assembler.add(event);
        // The finish event waits until the output stages and the record have passed.
        if (event.type === "finish") break;
        yield event;
      }
      call.response = assembler.response();
      ended = true;
      await this.afterAnswer(call);
      const finish = call.response;
      yield { type: "finish", finishReason: finish.finishReason, usage: finish.usage };
    } catch (error) {
      if (!ended) {
        call.response = assembler.response();
        await this.end(call, callerGone(call, error));
      }
      throw error;
    } finally {
      // The caller went away mid-stream: the call still ends in a record.
      if (!ended) {
        call.response ??= assembler.response();
        await this.end(call, new CallerGoneError()).catch(() => undefined);
      }
    }
  }

  /** Output inspection, then the record; a refusal by an output guard is recorded as such. */
  private async afterAnswer(call: ModelCall): Promise<void> {
    try {
      await this.timed(this.stages.inspect_output, call);
    } catch (error) {
      await this.end(call, error);
      throw error;
    }
    await this.end(call, undefined);
  }

  /** Settles admission and records the call, once. */
  private async end(call: ModelCall, error: unknown): Promise<void> {
    if (this.recorded.has(call)) return;
    this.recorded.add(call);
    call.error = error;
    if (call.admission) {
      try {
        await call.admission.settle(call.response?.usage);
      } catch (settleError) {
        // The answer stands; the record says that settling failed so limits can be reconciled.
        call.settleFailure = settleError instanceof Error ? settleError.message : String(settleError);
      }
    }
    await this.timed(this.stages.record, call);
  }

  private timed(stage: Stage, call: ModelCall): Promise<void> {
    return this.measure(stage.name, call, () => stage.run(call));
  }

  private async measure(name: StageName, call: ModelCall, step: () => Promise<void> | undefined): Promise<void> {
    const start = performance.now();
    try {
      await step();
    } finally {
      call.timings[name] = (call.timings[name] ?? 0) + performance.now() - start;
    }
  }
}
