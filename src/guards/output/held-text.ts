import type { Placeholders } from "../placeholders.js";
import { redact } from "../placeholders.js";
import { hiddenIn, lastVisible } from "../readable-text.js";
import type { ContentDetector, Detection } from "./detection.js";

/**
 * How many characters of a stream's text the content guards keep back before sending: a finding
 * only becomes recognisable once its end has arrived, and the text it starts with must still be
 * here then. 96 covers every built-in pattern (a grouped card number is at most 29 characters,
 * an IBAN 42, a key or token is recognised within 41, an abusive phrase within about 90) and is
 * about two dozen tokens, a fraction of a second of a model's output. Restricted terms and
 * markers longer than half of it raise it for their tenant (see ContentGuard).
 */
export const DEFAULT_HOLD_BACK = 96;

/**
 * A finding is judged once this many characters have arrived after it: whether it is one can
 * depend on what follows ("I'll shoot you" is a threat, "I'll shoot you an e-mail" is not; a
 * card number must not run on into more digits). Until then the text is held from its start.
 */
export const SETTLE = 24;

/**
 * The detectors look again once this many characters have arrived since they last looked, not
 * on every piece: an upstream sends a few characters at a time, and each look covers the whole
 * held window. Nothing goes out between looks, so the caller's text comes in steps of about this.
 */
export const SCAN_STEP = 16;

/**
 * The hold-back and SETTLE count characters a reader sees: invisible ones stuffed into a term
 * or a number would otherwise stretch it past the window and out unseen. The window holds the
 * invisible ones among them too, up to this many; a stream that hides more in so few visible
 * characters is hiding text, and is refused rather than inspected in pieces.
 */
export const MAX_HIDDEN = 1024;

/** What happens to findings while text is judged: they are noted for the record, and a refusal ends it. */
export interface Judge {
  note(d: Detection): void;
  refuse(d: Detection): never;
}

export function findAll(detectors: readonly ContentDetector[], text: string): Detection[] {
  return detectors.flatMap((d) => d.find(text));
}

/** Judges a complete text: refuses on the first blocking finding, returns it with the redactions made. */
export function judgeText(text: string, detectors: readonly ContentDetector[], judge: Judge, placeholders: Placeholders): string {
  const found = findAll(detectors, text);
  const blocking = found.find((d) => d.action === "block");
  if (blocking) judge.refuse(blocking);
  for (const d of found) judge.note(d);
  return redact(text, found.filter((d) => d.action === "redact"), placeholders);
}

/**
 * One run of streamed text (the answer's text, or one tool call's arguments) on its way to the
 * caller. Each push adds what arrived and returns what may go out now: everything but the last
 * `holdBack` visible characters, and nothing from where a finding that may still change starts (one that
 * ends less than SETTLE characters before what has arrived: "4111 1111 1111 1111" may be followed
 * by more digits, "Falcon" by "ry"). A settled finding is judged at once: a blocking one refuses
 * (the caller never gets it), a redacted one goes out as its placeholder. The detectors
 * see the text still held plus the last `holdBack` characters sent, so a finding across the
 * boundary is seen too; such a finding was partly sent already, and refuses unless it is only
 * flagged.
 */
export class HeldText {
  private sent = "";
  private held = "";
  /** Characters sent before `sent` (which keeps only the last holdBack of them). */
  private sentBefore = 0;
  private readonly noted = new Set<string>();
  private unscanned = 0;

  constructor(
    private readonly detectors: readonly ContentDetector[],
    private readonly holdBack: number,
    private readonly judge: Judge,
    private readonly placeholders: Placeholders,
  ) {}

  push(text: string): string {
    this.held += text;
    this.unscanned += text.length;
    if (this.unscanned < SCAN_STEP) return "";
    this.unscanned = 0;
    return this.release(false);
  }

  /** The run has ended: judges what is held as final and returns all of it. */
  flush(): string {
    return this.release(true);
  }

  private note(d: Detection, windowStart: number): void {
    const key = `${d.guard}\u0000${d.type}\u0000${windowStart + d.start}`;
    if (this.noted.has(key)) return;
    this.noted.add(key);
    this.judge.note(d);
  }

  private release(final: boolean): string {
    const window = this.sent + this.held;
    const offset = this.sent.length;
    const windowStart = this.sentBefore;
    const hidden = hiddenIn(window);
    if (hidden > MAX_HIDDEN) this.judge.refuse({ type: "HIDDEN_TEXT", start: 0, end: window.length, score: 1, guard: "hidden-text", action: "block", detail: `${hidden} invisible characters` });
    let limit = final ? this.held.length : lastVisible(this.held, this.holdBack);
    // A finding that ends among the last SETTLE characters a reader sees may still change.
    const settling = lastVisible(window, SETTLE);
    const ended: Detection[] = [];
    for (const d of findAll(this.detectors, window)) {
      if (d.end <= offset) continue; // judged when it went out
      if (d.start < offset) {
        if (d.action === "flag") this.note(d, windowStart);
        else this.judge.refuse(d);
        continue;
      }
      const inHeld = { ...d, start: d.start - offset, end: d.end - offset };
      if (!final && d.end > settling) {
        if (d.action !== "flag") limit = Math.min(limit, inHeld.start);
        continue;
      }
      if (d.action === "block") this.judge.refuse(d);
      ended.push(inHeld);
    }
    // A redaction goes out whole or not at all: the limit backs off to its start.
    for (let moved = true; moved; ) {
      moved = false;
      for (const r of ended) {
        if (r.action === "redact" && r.start < limit && r.end > limit) {
          limit = r.start;
          moved = true;
        }
      }
    }
    const out = this.held.slice(0, limit);
    const going = ended.filter((d) => d.start < limit);
    for (const d of going) this.note({ ...d, start: d.start + offset }, windowStart);
    const sent = this.sent + out;
    this.sent = sent.slice(lastVisible(sent, this.holdBack));
    this.sentBefore += offset + out.length - this.sent.length;
    this.held = this.held.slice(limit);
    return redact(
      out,
      going.filter((d) => d.action === "redact"),
      this.placeholders,
    );
  }
}
