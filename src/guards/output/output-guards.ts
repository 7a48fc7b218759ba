import type { ModelRouter } from "../../gateway/pipeline/execute.js";
import type { OutputGuard } from "../../gateway/pipeline/guard.js";
import { ConfidenceGuard } from "./confidence-guard.js";
import type { ContentGuard } from "./content-guard.js";
import { JsonSchemaGuard } from "./json-schema-guard.js";

/**
 * The gateway's output guards, in the order they see an answer: the schema check first (its
 * repair may replace the answer), then confidence (on the log-probabilities, which the content
 * guard's regrouped stream no longer carries), then leaks and abuse, nearest the caller, so that
 * what it lets through is what the caller gets.
 */
export function defaultOutputGuards(router: ModelRouter, content: ContentGuard): OutputGuard[] {
  return [new JsonSchemaGuard(router), new ConfidenceGuard(), content];
}
