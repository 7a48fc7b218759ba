import { describe, expect, it } from "vitest";
import { Placeholders } from "../../src/guards/placeholders.js";
import type { ContentDetector, Detection } from "../../src/guards/output/detection.js";
import { DEFAULT_HOLD_BACK, HeldText, judgeText, MAX_HIDDEN, SCAN_STEP, type Judge } from "../../src/guards/output/held-text.js";
import { PiiLeakDetector } from "../../src/guards/output/pii-leaks.js";
import { RestrictedTermDetector } from "../../src/guards/output/restricted-terms.js";
import { ToxicityDetector } from "../../src/guards/output/toxicity.js";

const terms = new RestrictedTermDetector([
  { text: "Project Falcon", type: "RESTRICTED_TERM", guard: "restricted-terms", detail: "term 1", action: "block" },
  { text: "CONFIDENTIAL-ACME", type: "DATA_SOURCE_MARKER", guard: "markers", detail: "data source crm", action: "block" },
]);
const detectors: ContentDetector[] = [new PiiLeakDetector({ pii: "redact", secrets: "block" }), terms, new ToxicityDetector("block")];

class Refused extends Error {
  constructor(readonly detection: Detection) {
    super(`refused: ${detection.type}`);
  }
}

function judge(noted: Detection[] = []): Judge {
  return {
    note: (d) => noted.push(d),
    refuse: (d) => {
      throw new Refused(d);
    },
  };
}

/** A deterministic generator of piece sizes (1–12 characters), so a failing split can be replayed. */
function* pieces(text: string, seed: number): Generator<string> {
  let state = seed;
  for (let at = 0; at < text.length; ) {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    const size = 1 + (state % 12);
    yield text.slice(at, at + size);
    at += size;
  }
}

/** Streams the text through a HeldText in random pieces: what went out, and the refusal if there was one. */
function stream(text: string, seed: number, noted: Detection[] = []) {
  const held = new HeldText(detectors, DEFAULT_HOLD_BACK, judge(noted), new Placeholders());
  let out = "";
  try {
    for (const piece of pieces(text, seed)) out += held.push(piece);
    out += held.flush();
    return { out, refused: undefined };
  } catch (error) {
    if (!(error instanceof Refused)) throw error;
    return { out, refused: error.detection };
  }
}

const preamble =
  "The quarterly notes: the team met on Tuesday, reviewed the roadmap, agreed the hiring plan and moved the launch review. ";

describe("streamed text held back by the output guards", () => {
  it("never sends any part of a blocked term, however the stream is split", () => {
    for (let seed = 1; seed <= 300; seed++) {
      const { out, refused } = stream(`${preamble}The code name is Project Falcon, keep it quiet. More text follows here.`, seed);
      expect(refused?.type, `seed ${seed}`).toBe("RESTRICTED_TERM");
      expect(out, `seed ${seed}`).not.toMatch(/Proj|Fal/);
      expect(preamble.startsWith(out) || out.startsWith(preamble), `seed ${seed}`).toBe(true);
    }
  });

  it("redacts a card number the same way for every split, and counts it once", () => {
    const text = `${preamble}Card 4111 1111 1111 1111 and again 4111 1111 1111 1111, then e-mail ops@example.com.`;
    const expected = `${preamble}Card [CREDIT_CARD_1] and again [CREDIT_CARD_1], then e-mail [EMAIL_ADDRESS_1].`;
    for (let seed = 1; seed <= 300; seed++) {
      const noted: Detection[] = [];
      const { out, refused } = stream(text, seed, noted);
      expect(refused, `seed ${seed}`).toBeUndefined();
      expect(out, `seed ${seed}`).toBe(expected);
      expect(noted.map((d) => d.type), `seed ${seed}`).toEqual(["CREDIT_CARD", "CREDIT_CARD", "EMAIL_ADDRESS"]);
    }
  });

  it("does not redact a number until it is known to be a card: more digits make it something else", () => {
    for (let seed = 1; seed <= 100; seed++) {
      const { out } = stream(`${preamble}Order id 41111111111111110000 shipped.`, seed);
      expect(out, `seed ${seed}`).toBe(`${preamble}Order id 41111111111111110000 shipped.`);
    }
  });

  it("waits for what follows a phrase before judging it, wherever the stream splits", () => {
    const text = `${preamble}Run kill -9 on the stuck job and I'll shoot you an email once it restarts. Thanks!`;
    for (let cut = 1; cut < text.length; cut++) {
      const held = new HeldText(detectors, DEFAULT_HOLD_BACK, judge(), new Placeholders());
      expect(held.push(text.slice(0, cut)) + held.push(text.slice(cut)) + held.flush(), `cut at ${cut}`).toBe(text);
    }
    for (let seed = 1; seed <= 100; seed++) expect(stream(text, seed).refused, `seed ${seed}`).toBeUndefined();
    expect(stream(`${preamble}Listen. I'll shoot you tomorrow, and nobody will stop me.`, 1).refused?.type).toBe("THREAT");
  });

  it("sends clean text whole and in order, keeping back no more than the window and one scan step", () => {
    const text = preamble.repeat(5);
    const held = new HeldText(detectors, DEFAULT_HOLD_BACK, judge(), new Placeholders());
    let out = "";
    let arrived = 0;
    for (const piece of pieces(text, 7)) {
      arrived += piece.length;
      out += held.push(piece);
      expect(arrived - out.length).toBeLessThan(DEFAULT_HOLD_BACK + SCAN_STEP);
    }
    expect(out + held.flush()).toBe(text);
  });

  it("refuses a secret and a threat in a stream, and a marker in whatever case or spacing", () => {
    expect(stream(`${preamble}export OPENAI_API_KEY=sk-proj-abcdefghijklmnopqrstuvwxyz012345 now`, 3).refused?.type).toBe("SECRET");
    expect(stream(`${preamble}Listen: I am going to hurt you badly.`, 5).refused?.type).toBe("THREAT");
    expect(stream(`${preamble}source: confidential acme, row 4`, 9).refused?.type).toBe("DATA_SOURCE_MARKER");
  });

  it("sees a term and a card number through invisible characters stuffed into them to outlast the hold-back", () => {
    const zw = "\u200b".repeat(300);
    const visible = (text: string) => text.replace(/\u200b/g, "");
    for (let seed = 1; seed <= 50; seed++) {
      const term = stream(`${preamble}The code name is P${zw}roject F${zw}alcon, keep it quiet. More text follows here.`, seed);
      expect(term.refused?.type, `seed ${seed}`).toBe("RESTRICTED_TERM");
      expect(visible(term.out), `seed ${seed}`).not.toMatch(/Proj|roject|Fal|alcon/);
      const card = stream(`${preamble}Card 4111${zw}1111${zw}1111${zw}1111 on file. More text follows here to let it out.`, seed);
      expect(card.refused, `seed ${seed}`).toBeUndefined();
      expect(card.out, `seed ${seed}`).toBe(`${preamble}Card [CREDIT_CARD_1] on file. More text follows here to let it out.`);
    }
  });

  it("refuses a stream that hides more than MAX_HIDDEN invisible characters among what it holds", () => {
    const hidden = "\u{E0041}".repeat(MAX_HIDDEN);
    const { out, refused } = stream(`${preamble}Here you go.${hidden} Anything else?`, 4);
    expect(refused?.type).toBe("HIDDEN_TEXT");
    expect(out.length).toBeLessThanOrEqual(preamble.length + "Here you go.".length);
  });

  it("sends text with the invisible characters writing needs (joiners in emoji and Persian) unchanged", () => {
    const text = `${preamble}Family: 👨\u200d👩\u200d👧, flag: 🏳\ufe0f\u200d🌈. Persian: می\u200cخواهم کتاب\u200cها را ببینم.`.repeat(3);
    for (let seed = 1; seed <= 50; seed++) {
      const { out, refused } = stream(text, seed);
      expect(refused, `seed ${seed}`).toBeUndefined();
      expect(out, `seed ${seed}`).toBe(text);
    }
  });

  it("judges a complete text at once: blocks first, then redacts", () => {
    const noted: Detection[] = [];
    expect(judgeText("mail bob@example.com", detectors, judge(noted), new Placeholders())).toBe("mail [EMAIL_ADDRESS_1]");
    expect(noted.map((d) => d.type)).toEqual(["EMAIL_ADDRESS"]);
    expect(() => judgeText("bob@example.com about Project Falcon", detectors, judge(), new Placeholders())).toThrow(Refused);
  });
});

describe("restricted term patterns", () => {
  const matches = (term: string, text: string) =>
    new RestrictedTermDetector([{ text: term, type: "RESTRICTED_TERM", guard: "restricted-terms", detail: "term 1", action: "block" }])
      .find(text)
      .map((m) => text.slice(m.start, m.end));

  it("match in any case, with other separators or none, invisible characters, look-alike and fullwidth letters", () => {
    for (const text of ["project falcon", "PROJECT-FALCON", "Project_Falcon", "ProjectFalcon", "Project\nFalcon", "Pro\u200bject Fal\u00adcon", "Project F\u0430lcon", "Ｐｒｏｊｅｃｔ Ｆａｌｃｏｎ", "Project\u3000Ｆalcon"]) {
      expect(matches("Project Falcon", text), JSON.stringify(text)).toHaveLength(1);
    }
  });

  it("match whole words only", () => {
    expect(matches("Falcon", "Falconry and falcons are birds; the Falcon-9 flew.")).toEqual(["Falcon"]);
    expect(matches("ACME", "acmeist ACME acme's")).toEqual(["ACME", "acme"]);
    // Not after a letter either, one outside the BMP included; a later occurrence still counts.
    expect(matches("Falcon", "GoFalcon 𝐀Falcon ÉFalcon falcon")).toEqual(["falcon"]);
    expect(matches("Falcon Falcon", "xFalcon Falcon Falcon")).toEqual(["Falcon Falcon"]);
  });
});
