import type { ValidateFunction } from "ajv";
import type { ResponseFormat } from "../../gateway/chat.js";
import { JsonSchemas, type SchemaCheck } from "../../shared/json-schemas.js";
import { isRecord } from "../../shared/json.js";

export type { SchemaCheck } from "../../shared/json-schemas.js";

const FIELD = "response_format.json_schema.schema";

/** Answers against their response_format: JSON Schemas compiled once each (JsonSchemas), JSON objects, or any text. */
export class SchemaValidators {
  private readonly schemas = new JsonSchemas();

  /** Refuses (400, response_format) a schema that cannot be compiled or is not safe to run on model output. */
  validatorFor(schema: Record<string, unknown>): ValidateFunction {
    return this.schemas.validatorFor(schema, FIELD);
  }

  /** Checks an answer's text against a JSON response format (text formats always pass). */
  check(format: ResponseFormat | undefined, content: string): SchemaCheck {
    if (!format || format.type === "text") return { valid: true };
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch {
      // Not the parser's message: it quotes the answer, which may hold what other guards keep back.
      return { valid: false, errors: ["the answer is not valid JSON"] };
    }
    if (format.type === "json_object") return isRecord(value) ? { valid: true } : { valid: false, errors: ["(root) must be a JSON object"] };
    return this.schemas.check(format.schema, value, FIELD);
  }
}
