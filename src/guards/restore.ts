import type { ChatResponse, StreamEvent } from "../gateway/chat.js";
import type { Placeholders } from "./placeholders.js";

const PLACEHOLDER = /\[([A-Z][A-Z_]*)_(\d{1,6})\]/g;
/** The longest placeholder there is ([STREET_ADDRESS_999999]), with room to spare. */
const LONGEST = 40;
/** The start of something that may still turn into a placeholder when more text arrives. */
const PARTIAL = /^\[[A-Z_]*\d*$/;

/**
 * Puts original values back in place of the placeholders of the types the policy lets the
 * caller have back, in what goes to the caller only (the record and the output guards see the
 * placeholders). A placeholder this call did not make, or of another type, stays as it is.
 */
export class Restorer {
  constructor(
    private readonly placeholders: Placeholders,
    private readonly types: ReadonlySet<string>,
  ) {}

  text(text: string): string {
    return this.replace(text, (value) => value);
  }

  /** Inside JSON text (tool call arguments), a value is put back escaped as a JSON string's content. */
  json(text: string): string {
    return this.replace(text, (value) => JSON.stringify(value).slice(1, -1));
  }

  response(response: ChatResponse): ChatResponse {
    return {
      ...response,
      content: this.text(response.content),
      toolCalls: response.toolCalls.map((call) => ({ ...call, arguments: this.json(call.arguments) })),
    };
  }

  /**
   * A streamed answer with its placeholders put back. A placeholder can arrive split over
   * several events, so text that may be the start of one is held back until it is complete or
   * cannot be one; everything held is let out before any other kind of event and at the end.
   */
  async *stream(events: AsyncIterable<StreamEvent>): AsyncGenerator<StreamEvent> {
    const text = new HeldBack((t) => this.text(t));
    const args = new Map<number, HeldBack>();
    const release = function* (): Generator<StreamEvent> {
      const held = text.flush();
      if (held) yield { type: "text", text: held };
      for (const [index, pending] of args) {
        const rest = pending.flush();
        if (rest) yield { type: "tool_call_arguments", index, arguments: rest };
      }
    };
    for await (const event of events) {
      if (event.type === "text") {
        const out = text.push(event.text);
        if (out) yield { type: "text", text: out };
      } else if (event.type === "tool_call_arguments") {
        let pending = args.get(event.index);
        if (!pending) args.set(event.index, (pending = new HeldBack((t) => this.json(t))));
        const out = pending.push(event.arguments);
        if (out) yield { type: "tool_call_arguments", index: event.index, arguments: out };
      } else {
        yield* release();
        yield event;
      }
    }
    yield* release();
  }

  private replace(text: string, encode: (value: string) => string): string {
    if (!text.includes("[")) return text;
    return text.replace(PLACEHOLDER, (placeholder: string, type: string) => {
      if (!this.types.has(type)) return placeholder;
      const original = this.placeholders.original(placeholder);
      return original === undefined ? placeholder : encode(original);
    });
  }
}

/** Text that passes through with its possibly unfinished last placeholder kept back. */
class HeldBack {
  private pending = "";

  constructor(private readonly restore: (text: string) => string) {}

  push(chunk: string): string {
    const text = this.pending + chunk;
    const open = text.lastIndexOf("[");
    const cut = open >= 0 && text.length - open < LONGEST && PARTIAL.test(text.slice(open)) ? open : text.length;
    this.pending = text.slice(cut);
    return this.restore(text.slice(0, cut));
  }

  flush(): string {
    const text = this.pending;
    this.pending = "";
    return this.restore(text);
  }
}
