import { describe, expect, it } from "vitest";
import { toxicityFindings } from "../../src/guards/output/toxicity.js";
import { ZW } from "../support/hidden-text.js";

/** [type, text] of every finding. */
const found = (text: string) => toxicityFindings(text).map((f) => [f.type, text.slice(f.start, f.end)]);
const types = (text: string) => toxicityFindings(text).map((f) => f.type);

/** Slurs are kept out of the source as base64, like the lexicon keeps them out as hashes. */
const word = (base64: string) => Buffer.from(base64, "base64").toString("utf8");
const strongSlur = word("bmlnZ2Vy");
const targetedSlur = word("Y2hpbms=");

describe("toxicity check", () => {
  it("finds threats of violence against the person addressed", () => {
    expect(types("I'm going to kill you.")).toEqual(["THREAT"]);
    expect(types("We will find you and I will personally hurt your family")).toEqual(["THREAT"]);
    expect(types("I\u2019ll break your legs")).toEqual(["THREAT"]);
    expect(types("We are going to burn your house down.")).toEqual(["THREAT"]);
    expect(types("You deserve to die.")).toEqual(["THREAT"]);
    expect(types("I hope you get killed on the way home")).toEqual(["THREAT"]);
    expect(types("I know where you live.")).toEqual(["THREAT"]);
  });

  it("leaves alone violent words that threaten nobody", () => {
    for (const text of [
      "To kill the process, run kill -9 with its pid.",
      "How do I kill a child process in Node?",
      "This loop will kill your battery life.",
      "I'll shoot you an email with the details tomorrow.",
      "I will beat you at chess any day.",
      "We'll kill you at chess, says the club's captain.",
      "In the novel, the villain swears he will kill them all.",
      "This bug is killing me.",
      "The deadline is going to hurt your team's velocity.",
      "You will die in the game if you fall into lava.",
      "I'll shoot you guys a message when the build is green.",
      "Next, I'm going to break you down a plan in three steps.",
    ]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("finds encouragement of self-harm, but not its negations and idioms", () => {
    expect(types("Just kill yourself.")).toEqual(["SELF_HARM"]);
    expect(types("kys")).toEqual(["SELF_HARM"]);
    expect(types("Nobody cares. Go die.")).toEqual(["SELF_HARM"]);
    for (const text of ["Don't kill yourself over this deadline.", "Do not kill yourself trying to finish it tonight.", "You'll shoot yourself in the foot with that API."]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("finds insults aimed at the person addressed, not negated ones or praise", () => {
    expect(types("You are a worthless idiot.")).toEqual(["HARASSMENT"]);
    expect(types("Shut up, you stupid moron")).toContain("HARASSMENT");
    expect(types("you're so pathetic")).toEqual(["HARASSMENT"]);
    expect(types("Fuck off.")).toEqual(["HARASSMENT"]);
    expect(types("Nobody likes you.")).toEqual(["HARASSMENT"]);
    for (const text of [
      "You're not stupid for asking; it's a common question.",
      "You are a genius at this.",
      "Sugar doesn't make you dumb.",
      "The idiot light on the dashboard means low oil.",
      "Are you sure? It is a useless comparison.",
      "You are welcome to reuse the garbage collector settings.",
      "Shut up, you're kidding! That release went out already?",
      "When you prick your finger, the lancet draws a drop of blood.",
      "Did you idiot-proof the form before launch?",
    ]) {
      expect(found(text), text).toEqual([]);
    }
  });

  it("finds slurs, also in leet spelling and plural, without mistaking look-alike words", () => {
    expect(types(`They called him a ${strongSlur}.`)).toEqual(["IDENTITY_ATTACK"]);
    expect(types(`${strongSlur.replace("i", "1").replace("e", "3").toUpperCase()}S everywhere`)).toEqual(["IDENTITY_ATTACK"]);
    expect(types(`${strongSlur.replace("i", "iii")}`)).toEqual(["IDENTITY_ATTACK"]);
    // A country whose name is the slur with one letter fewer.
    expect(found("Niger borders Nigeria and Chad.")).toEqual([]);
  });

  it("counts words that have ordinary meanings only when they are aimed at someone", () => {
    expect(types(`you filthy ${targetedSlur}`)).toEqual(["IDENTITY_ATTACK"]);
    expect(found(`There is a ${targetedSlur} in the armour of this argument.`)).toEqual([]);
    expect(found("The dyke held back the North Sea; use a flame retardant coating.")).toEqual([]);
  });
});

describe("abuse written with invisible characters inside", () => {
  it("is found as a reader sees it", () => {
    const text = `I will k${ZW}ill you.`;
    expect(found(text)).toEqual([["THREAT", `I will k${ZW}ill you`]]);
  });

  it("is not made up where the joiners are writing's own", () => {
    expect(toxicityFindings("I will kill the process 🙂\u200d and restart it.")).toEqual([]);
  });
});
