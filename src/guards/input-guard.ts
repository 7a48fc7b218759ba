import { forbidden } from "../shared/errors.js";
import type { ToolCall } from "../gateway/chat.js";
import type { Guard } from "../gateway/pipeline/guard.js";
import type { ModelCall } from "../gateway/pipeline/model-call.js";
import type { Finding } from "./finding.js";
import { GuardChecker, type CheckedFinding, type ScanKind, type Verdict } from "./guard-check.js";
import { inputGuardPolicy, type GuardSettings, type InputGuardPolicy, type InputGuardSettings } from "./guard-policy.js";
import { findAnywhere, type ScanWorkers } from "./offload/scan-workers.js";
import { Placeholders } from "./placeholders.js";
import { Restorer } from "./restore.js";

const dataClassOf: Record<string, string> = { contains_pii: "pii", contains_secret: "secret" };

/** A message as the guards read it: the chat format's, or POST /v1/guard/check's. */
export interface CheckedMessage {
  role: string;
  content: string;
  toolCalls?: ToolCall[];
}

/** What the input guards made of a conversation. */
export interface InputReview<M extends CheckedMessage = CheckedMessage> {
  /** The worst of every message's verdict. */
  verdict: Verdict;
  /** Each message as it may be sent on: redacted where the policy says so. */
  messages: M[];
  /** Every finding, with the index of the message it is in. */
  findings: (CheckedFinding & { message: number })[];
  labels: string[];
  /** The types that blocked, in order of appearance, and the role of the first message that held one. */
  blocked?: { types: string[]; role: string };
  policy: InputGuardPolicy;
  placeholders: Placeholders;
}

const severity: Record<Verdict, number> = { allow: 0, redact: 1, block: 2 };

/**
 * The input guards in the pipeline: every message of the conversation is checked before the
 * decide stage, under the calling tenant's guard policy (over the process's defaults). What was
 * found becomes the policy context (data classes such as pii, labels, allowed findings
 * included); findings the policy redacts are replaced by typed placeholders before anything
 * leaves Gatehouse; a finding the policy blocks refuses the call (403 naming its type). When the
 * policy restores a redacted type, the call carries the placeholders' originals (in memory) so
 * that the answer can be given back with them.
 */
export class InputGuard implements Guard {
  readonly name = "input-guards";

  constructor(
    private readonly checker = new GuardChecker(),
    /** The process configuration's `guards.input`: the defaults under every tenant's own. */
    private readonly defaults?: InputGuardSettings,
    /** Worker threads for long texts (findAnywhere); every text is scanned on the event loop without them. */
    private readonly workers?: ScanWorkers,
  ) {}

  async inspect(call: ModelCall): Promise<void> {
    const review = await this.review(call.request.messages, call.caller?.settings.guards);
    const { labels } = review;
    call.inspection = {
      dataClasses: labels.map((l) => dataClassOf[l]).filter((c): c is string => c !== undefined),
      labels,
    };
    if (review.blocked) {
      throw forbidden(`refused by the input guards: ${review.blocked.types.join(", ")} found in a ${review.blocked.role} message`);
    }
    call.request = { ...call.request, messages: review.messages };
    call.placeholders = review.placeholders;
    if (review.policy.restore.size > 0 && review.placeholders.size > 0) call.restorer = new Restorer(review.placeholders, review.policy.restore);
  }

  /**
   * Checks a conversation under a tenant's guard settings: its text and its tool call
   * arguments, message by message, with one set of placeholders for the whole conversation.
   */
  async review<M extends CheckedMessage>(messages: readonly M[], settings: GuardSettings | undefined): Promise<InputReview<M>> {
    const policy = inputGuardPolicy(this.defaults, settings?.input);
    // What each text holds first (long texts on the worker threads, side by side), then judged in
    // order: the placeholders number values through the conversation as they appear. What the
    // model wrote earlier comes back in the history: it may carry restored personal data, but
    // instructions in it are the model's own, not the caller's (piiOnly).
    const textsOf = (message: M) => [message.content, ...(message.toolCalls ?? []).map((c) => c.arguments)];
    const found = await Promise.all(messages.map((message) => Promise.all(textsOf(message).map((text) => this.find(text, message.role === "assistant" ? "pii" : "all")))));
    const placeholders = new Placeholders();
    const labels = new Set<string>();
    const findings: InputReview<M>["findings"] = [];
    const blockedTypes = new Set<string>();
    let blockedRole: string | undefined;
    let verdict: Verdict = "allow";
    const check = (message: M, index: number, text: string, inText: readonly Finding[]): string => {
      if (text.length === 0) return text;
      const result = this.checker.judge(text, inText, policy, placeholders);
      for (const label of result.labels) labels.add(label);
      for (const f of result.findings) {
        findings.push({ ...f, message: index });
        if (f.action === "block") blockedTypes.add(f.type);
      }
      if (result.verdict === "block") blockedRole ??= message.role;
      if (severity[result.verdict] > severity[verdict]) verdict = result.verdict;
      return result.redacted;
    };
    const checked = messages.map((message, index): M => {
      const [inContent, ...inArguments] = found[index] as Finding[][];
      const content = check(message, index, message.content, inContent as Finding[]);
      const toolCalls = message.toolCalls?.map((c, k) => ({ ...c, arguments: check(message, index, c.arguments, inArguments[k] as Finding[]) }));
      return { ...message, content, ...(toolCalls ? { toolCalls } : {}) };
    });
    return {
      verdict,
      messages: checked,
      findings,
      labels: [...labels].sort(),
      ...(blockedRole !== undefined ? { blocked: { types: [...blockedTypes], role: blockedRole } } : {}),
      policy,
      placeholders,
    };
  }

  /** A text's findings, a long one's on the worker threads when there are any. */
  private find(text: string, kind: ScanKind): Finding[] | Promise<Finding[]> {
    if (text.length === 0) return [];
    return findAnywhere(text, kind, (t, k) => this.checker.find(t, k), this.workers);
  }
}
