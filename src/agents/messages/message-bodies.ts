import { GatehouseError } from "../../shared/errors.js";
import { parseJson } from "../../shared/json.js";
import { SealedValueError, type SecretBox } from "../../secrets/secret-box.js";

/** What retention leaves of a body it has emptied (audit/privacy/retention.ts): JSON null, unsealed. */
export const EMPTIED_BODY = "null";
const SEALED = "v1.";

/**
 * The bodies of messages between agents as agent_messages keeps them: JSON sealed with the
 * master key (AES-256-GCM), bound to the message's id, so that a copy of the database does not
 * read them and a body moved to another row does not open. Rows written before bodies were
 * sealed hold plain JSON, which is still read (sealed text begins "v1.", which JSON never does).
 */
export class MessageBodies {
  constructor(private readonly secrets: SecretBox) {}

  seal(id: string, body: unknown): string {
    return this.secrets.seal(JSON.stringify(body), contextOf(id));
  }

  /** The body of a stored message; refuses (503, naming the message) one that does not open, rather than hand out something else. */
  open(id: string, stored: string): unknown {
    // Plain JSON: a row from before sealing, or one retention emptied (EMPTIED_BODY).
    if (!stored.startsWith(SEALED)) return parseJson<unknown>(stored);
    try {
      return parseJson<unknown>(this.secrets.openText(stored, contextOf(id)));
    } catch (error) {
      if (!(error instanceof SealedValueError)) throw error;
      throw new GatehouseError("unavailable", `the body of message ${id} does not open with this process's master key: ${error.message}`);
    }
  }
}

const contextOf = (id: string) => `agent-message:${id}`;
