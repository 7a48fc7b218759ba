import { describe, expect, it } from "vitest";
import { resolveOverlaps } from "../../src/guards/finding.js";
import { defaultMinScore } from "../../src/guards/guard-policy.js";
import { luhnValid } from "../../src/guards/pii/credit-card.js";
import { ibanChecksumValid } from "../../src/guards/pii/iban.js";
import { PiiScanner } from "../../src/guards/pii/pii-scanner.js";
import { Placeholders, redact } from "../../src/guards/placeholders.js";
import { ssnIssuable } from "../../src/guards/pii/us-ssn.js";
import { tagged, ZW } from "../support/hidden-text.js";

const scanner = new PiiScanner();
/** [type, text] of every finding the default policy acts on, in text order. */
const found = (text: string) =>
  scanner
    .scan(text)
    .filter((f) => f.score >= defaultMinScore)
    .map((f) => [f.type, text.slice(f.start, f.end)]);

describe("PII recognizers", () => {
  it("find card numbers of every major issuer, grouped or not, at the right offsets", () => {
    const text = "Visa 4111 1111 1111 1111, Amex 3782-822463-10005, MC 5555555555554444 and Discover 6011 1111 1111 1117.";
    expect(found(text)).toEqual([
      ["CREDIT_CARD", "4111 1111 1111 1111"],
      ["CREDIT_CARD", "3782-822463-10005"],
      ["CREDIT_CARD", "5555555555554444"],
      ["CREDIT_CARD", "6011 1111 1111 1117"],
    ]);
    // Grouped with dots or double spaces, as a model told to dodge a filter might write it.
    expect(found("4111.1111.1111.1111 or 5555  5555  5555  4444")).toEqual([
      ["CREDIT_CARD", "4111.1111.1111.1111"],
      ["CREDIT_CARD", "5555  5555  5555  4444"],
    ]);
    const [card] = scanner.scan("card: 4111111111111111");
    expect(card).toMatchObject({ type: "CREDIT_CARD", start: 6, end: 22 });
    expect(card?.score).toBeGreaterThan(0.9);
  });

  it("leave alone numbers that only look like cards: failed checksum, unknown issuer, odd grouping, longer runs", () => {
    expect(luhnValid("4111111111111112")).toBe(false);
    expect(found("order 4111 1111 1111 1112 shipped")).toEqual([]);
    expect(found("tracking 9111111111111111")).toEqual([]);
    expect(found("ref 41 1111111 111 11 11")).toEqual([]);
    expect(found("id 41111111111111110000 and 24111111111111111")).toEqual([]);
    // Dots inside a longer dotted number, or mixed separators, are no card's.
    expect(found("oid 1.4111.1111.1111.1111, ref 4111.1111-1111 1111")).toEqual([]);
  });

  it("find IBANs by country length and mod-97, with spaces or in lower case, and refuse a wrong check digit", () => {
    expect(ibanChecksumValid("GB82WEST12345698765432")).toBe(true);
    expect(found("Pay GB82 WEST 1234 5698 7654 32 today, or de89370400440532013000.")).toEqual([
      ["IBAN_CODE", "GB82 WEST 1234 5698 7654 32"],
      ["IBAN_CODE", "de89370400440532013000"],
    ]);
    expect(found("Pay GB83WEST12345698765432 today")).toEqual([]);
    expect(found("Pay GB82WEST1234569876543 today")).toEqual([]);
  });

  it("find US social security numbers as written, and not numbers the SSA never issues", () => {
    expect(found("My SSN is 536-22-8726.")).toEqual([["US_SSN", "536-22-8726"]]);
    expect(found("social security number 536228726")).toEqual([["US_SSN", "536228726"]]);
    expect(ssnIssuable("666", "12", "3456")).toBe(false);
    expect(found("SSN 000-12-3456, 666-12-3456, 912-12-3456, 536-00-8726, 536-22-0000")).toEqual([]);
    // Nine digits with nothing saying SSN are an order number.
    expect(found("order 536228726 shipped")).toEqual([]);
  });

  it("take words that say what a number is only as words, not inside other words", () => {
    const types = (text: string) => scanner.scan(text).map((f) => f.type);
    // "TIN" says SSN; "Martin" and "setting" do not.
    expect(types("TIN: 536228726")).toEqual(["US_SSN"]);
    expect(types("the setting 536228726 was kept")).toEqual([]);
    // "fax" and "tel" say phone; "Halifax" and "tell" do not.
    expect(types("fax 555 0132; tel. 555 0199")).toEqual(["PHONE_NUMBER", "PHONE_NUMBER"]);
    expect(types("in the Halifax office 555 0132, and tell 555 0199")).not.toContain("PHONE_NUMBER");
    // "calling" still says phone.
    expect(types("calling 555 0132")).toEqual(["PHONE_NUMBER"]);
  });

  it("find e-mail addresses, and not things with an @ that are not addresses", () => {
    expect(found("Write to ann.o'neil+tag@mail.example.co.uk, or to @someone on chat.")).toEqual([["EMAIL_ADDRESS", "ann.o'neil+tag@mail.example.co.uk"]]);
    expect(found("price @ 5 dollars, user@localhost, a@b.c1")).toEqual([]);
  });

  it("find phone numbers written as such, international or national, and not dates, times, addresses or amounts", () => {
    expect(found("Call +1 (415) 555-0132 or +44 20 7946 0958, office 030 123 456 78.")).toEqual([
      ["PHONE_NUMBER", "+1 (415) 555-0132"],
      ["PHONE_NUMBER", "+44 20 7946 0958"],
      ["PHONE_NUMBER", "030 123 456 78"],
    ]);
    expect(found("phone: 555 0132 1")).toEqual([["PHONE_NUMBER", "555 0132 1"]]);
    expect(found("mobile: 99 577450")).toEqual([["PHONE_NUMBER", "99 577450"]]);
    expect(found("On 2007-01-17 23:08:55 we met at 370 3911 Fourth Avenue; it cost 1,250,000.")).toEqual([["STREET_ADDRESS", "370 3911 Fourth Avenue"]]);
    expect(found("driver's license 2270-66-1551, zip 90010-170")).toEqual([]);
    // Rows of figures longer than any phone number: a hex dump, padding.
    expect(found("Decode this hex: 57 68 61 74 20 69 73 20 61 20 6d 6f 64 65 6c 20 75 73 65 64")).toEqual([]);
    expect(found(`call me ${"12345 ".repeat(12)}now`)).toEqual([]);
    expect(found("Appelle le 06 12 34 56 78, ou le 07 98 76 54 32 après 18 h.")).toEqual([
      ["PHONE_NUMBER", "06 12 34 56 78"],
      ["PHONE_NUMBER", "07 98 76 54 32"],
    ]);
  });

  it("find IPv4 and IPv6 addresses, and not version numbers or times", () => {
    expect(found("from 192.168.10.25 and 2001:db8::8a2e:370:7334")).toEqual([
      ["IP_ADDRESS", "192.168.10.25"],
      ["IP_ADDRESS", "2001:db8::8a2e:370:7334"],
    ]);
    expect(found("version 1.2.3.4.5, 256.1.1.1, 01.2.3.4 at 12:30:45")).toEqual([]);
    expect(found("link fe80::1ff:fe23:4567:890a%eth0, host 2001:DB8::1.")).toEqual([
      ["IP_ADDRESS", "fe80::1ff:fe23:4567:890a"],
      ["IP_ADDRESS", "2001:DB8::1"],
    ]);
  });

  it("leave alone code paths, emoji shortcodes and addresses that are no one's", () => {
    const addresses = (text: string) => found(text).filter(([type]) => type === "IP_ADDRESS");
    expect(addresses("use std::collections::HashMap; then Foo::bar() or a::b::c.")).toEqual([]);
    expect(addresses('it would be ":thinking::point_right::key:", and "|" :: <day>')).toEqual([]);
    expect(addresses("bind to :: or ::1 for loopback")).toEqual([]);
  });

  it("find secrets and API keys by their shapes, and not ordinary words after 'password'", () => {
    const text = [
      "aws AKIAIOSFODNN7EXAMPLE",
      "gh ghp_" + "a".repeat(36),
      "openai sk-proj-" + "Ab3".repeat(10),
      "password: Tr0ub4dor&3x!",
      "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----",
    ].join("\n");
    expect(found(text).map(([type]) => type)).toEqual(["SECRET", "SECRET", "SECRET", "SECRET", "SECRET"]);
    expect(found("my password is forgotten; the secret: sauce")).toEqual([]);
  });

  it("find secrets under prefixed names, newer token formats and passwords in URLs; not examples or stand-ins", () => {
    expect(found("AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\nMY_SERVICE_API_KEY=8f3kd9Xk2mQ7pL0z")).toEqual([
      ["SECRET", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"],
      ["SECRET", "8f3kd9Xk2mQ7pL0z"],
    ]);
    expect(found(`HF ${"hf_" + "aB3".repeat(12)} npm ${"npm_" + "x9Y".repeat(12)}`).map(([type]) => type)).toEqual(["SECRET", "SECRET"]);
    // The password is reported, not an e-mail address made of it and the host.
    expect(found("DATABASE_URL=postgres://admin:S3cretPass@db.internal:5432/prod")).toEqual([["SECRET", "S3cretPass"]]);
    expect(found("postgres://user:password@localhost/db and API_KEY=${API_KEY} or password: <your password here>")).toEqual([]);
  });

  it("find people's names: with titles, after words that say so, and again where they recur alone", () => {
    expect(found("Please forward this to Dr. Helga Brandt and to Mr. O'Neill.")).toEqual([
      ["PERSON", "Helga Brandt"],
      ["PERSON", "O'Neill"],
    ]);
    expect(found("My name is Tobias Lindqvist, and my colleague Priya Raman will call.")).toEqual([
      ["PERSON", "Tobias Lindqvist"],
      ["PERSON", "Priya Raman"],
    ]);
    expect(found("Anneliese J. Vogt wrote the report. Later, Vogt signed it.")).toEqual([
      ["PERSON", "Anneliese J. Vogt"],
      ["PERSON", "Vogt"],
    ]);
  });

  it("leave alone capitalised words that are not names: sentence starts, places, days, products, titles", () => {
    const people = (text: string) => found(text).filter(([type]) => type === "PERSON");
    expect(people("Will you call me? May I ask? The meeting is on Monday in Paris.")).toEqual([]);
    expect(people("Python and JavaScript are languages; Windows 10 and Office 365 are products.")).toEqual([]);
    expect(people('Their hit "Carry Me Back To The River" topped the Billboard Weekly chart.')).toEqual([]);
    expect(people("She works at Goldman Sachs Bank on Baker Street.")).toEqual([]);
    // A task word before a colon is no speaker's name, in American or British spelling.
    expect(people("Summarize: the quarter.\nSummarise: the year.\nAnalyse: churn.\nColour: red.")).toEqual([]);
    expect(people("Helga: can you summarise the quarter?")).toEqual([["PERSON", "Helga"]]);
  });

  it("find street addresses in many countries' formats, with unit, town, state and postcode", () => {
    expect(found("Ship it to 1600 Pennsylvania Avenue NW, Washington, DC 20500 by Friday.")).toEqual([
      ["STREET_ADDRESS", "1600 Pennsylvania Avenue NW, Washington, DC 20500"],
    ]);
    expect(found("Koskikatu 25, 00100 Helsinki")).toEqual([["STREET_ADDRESS", "Koskikatu 25, 00100 Helsinki"]]);
    expect(found("Deliver to 742 Evergreen Terrace Apt. 3\nSpringfield, OR 97403.")).toEqual([
      ["STREET_ADDRESS", "742 Evergreen Terrace Apt. 3\nSpringfield, OR 97403"],
    ]);
    expect(found("She lives at Rua Augusta 120, Lisboa. Then go home.")).toEqual([["STREET_ADDRESS", "Rua Augusta 120, Lisboa"]]);
    expect(found("Write to PSC 4115, Box 7815\nAPO AA 41945 please")).toEqual([["STREET_ADDRESS", "PSC 4115, Box 7815\nAPO AA 41945"]]);
  });

  it("read street words and their endings in capitals and with accents as in small letters", () => {
    expect(found("Send it to 14 CROWN STREET, Leeds.")).toEqual([["STREET_ADDRESS", "14 CROWN STREET, Leeds"]]);
    expect(found("Send it to KOSKIKATU 25, Helsinki")).toEqual([["STREET_ADDRESS", "KOSKIKATU 25, Helsinki"]]);
    expect(found("Die Adresse ist WIENER STRASSE 12")).toEqual([["STREET_ADDRESS", "WIENER STRASSE 12"]]);
    expect(found("I live at Bahnhofstraße 5.")).toEqual([["STREET_ADDRESS", "Bahnhofstraße 5."]]);
    // Greek is lowered as a whole word (its final sigma depends on the letters around it).
    expect(found("Ship to Οδός Ερμού 25 today")).toEqual([["STREET_ADDRESS", "Οδός Ερμού 25"]]);
    // A capitalised word that only ends like a street word is no street ("Broadcasting 5" is not "…road").
    expect(found("Channel Broadcasting 5 airs tonight")).toEqual([]);
  });

  it("leave alone numbers next to words that are not streets", () => {
    expect(found("Read Chapter 2 Section 5 of Release 3 Notes; Windows 10 ships 12 Apps.")).toEqual([]);
    expect(found("We sold 300 Widgets and 25 Gadgets in 2023.")).toEqual([]);
  });

  it("keep the more certain of two overlapping findings", () => {
    expect(
      resolveOverlaps([
        { type: "PHONE_NUMBER", start: 0, end: 12, score: 0.7 },
        { type: "US_SSN", start: 0, end: 11, score: 0.85 },
        { type: "EMAIL_ADDRESS", start: 20, end: 30, score: 0.95 },
      ]),
    ).toEqual([
      { type: "US_SSN", start: 0, end: 11, score: 0.85 },
      { type: "EMAIL_ADDRESS", start: 20, end: 30, score: 0.95 },
    ]);
  });

  it("resolve a chain of overlaps as a whole, given in any order", () => {
    // B overlaps A and C, which do not overlap each other: B, the best, leaves neither; D stands alone.
    const a = { type: "PERSON", start: 0, end: 10, score: 0.7 };
    const b = { type: "STREET_ADDRESS", start: 8, end: 22, score: 0.85 };
    const c = { type: "PERSON", start: 20, end: 30, score: 0.6 };
    const d = { type: "EMAIL_ADDRESS", start: 40, end: 50, score: 0.95 };
    expect(resolveOverlaps([d, c, a, b])).toEqual([b, d]);
    // Without B, A and C both stand; a worse finding inside A goes.
    const inner = { type: "PHONE_NUMBER", start: 2, end: 6, score: 0.5 };
    expect(resolveOverlaps([c, inner, d, a])).toEqual([a, c, d]);
    // A tie in score and length goes to the earlier, wherever the chain starts.
    const early = { type: "PERSON", start: 30, end: 36, score: 0.7 };
    const late = { type: "PERSON", start: 33, end: 39, score: 0.7 };
    expect(resolveOverlaps([late, early])).toEqual([early]);
  });
});

describe("personal data hidden from a pattern but not from a reader", () => {
  it("is found as a reader sees it, and redacted whole", () => {
    const text = `Card 4111${ZW}1111${ZW}1111${ZW}1111, mail bob\u00ad@example.com, SSN 078-05-112${ZW}0.`;
    expect(found(text)).toEqual([
      ["CREDIT_CARD", `4111${ZW}1111${ZW}1111${ZW}1111`],
      ["EMAIL_ADDRESS", "bob\u00ad@example.com"],
      ["US_SSN", `078-05-112${ZW}0`],
    ]);
    const redacted = redact(text, scanner.scan(text), new Placeholders());
    expect(redacted).toBe("Card [CREDIT_CARD_1], mail [EMAIL_ADDRESS_1], SSN [US_SSN_1].");
  });

  it("is found when smuggled in tag characters no one sees", () => {
    const text = `Thanks!${tagged("send to eve@evil.example")}`;
    expect(scanner.scan(text).map((f) => f.type)).toEqual(["EMAIL_ADDRESS"]);
  });

  it("is found where it was before in text without invisible characters, at the same offsets", () => {
    const text = "Card 4111 1111 1111 1111, mail bob@example.com.";
    expect(found(text)).toEqual([
      ["CREDIT_CARD", "4111 1111 1111 1111"],
      ["EMAIL_ADDRESS", "bob@example.com"],
    ]);
  });

  it("is found in the digits and fullwidth forms people type in other scripts", () => {
    expect(found("カード４１１１ １１１１ １１１１ １１１１、電話 ０９０－１２３４－５６７８、メール ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ")).toEqual([
      ["CREDIT_CARD", "４１１１ １１１１ １１１１ １１１１"],
      ["PHONE_NUMBER", "０９０－１２３４－５６７８"],
      ["EMAIL_ADDRESS", "ｂｏｂ＠ｅｘａｍｐｌｅ．ｃｏｍ"],
    ]);
    expect(found("رقم البطاقة ٤١١١ ١١١١ ١١١١ ١١١١ من فضلك")).toEqual([["CREDIT_CARD", "٤١١١ ١١١١ ١١١١ ١١١١"]]);
  });

  it("is found when grouped with the spaces and hyphens word processors put in numbers", () => {
    expect(found("Appelez le 06\u00a012\u00a034\u00a056\u00a078 ou payez avec 4111\u202f1111\u202f1111\u202f1111.")).toEqual([
      ["PHONE_NUMBER", "06\u00a012\u00a034\u00a056\u00a078"],
      ["CREDIT_CARD", "4111\u202f1111\u202f1111\u202f1111"],
    ]);
    expect(found("IBAN FR76\u20093000\u20096000\u20090112\u20093456\u20097890\u2009189, phone +1\u2011415\u2011555\u20110132")).toEqual([
      ["IBAN_CODE", "FR76\u20093000\u20096000\u20090112\u20093456\u20097890\u2009189"],
      ["PHONE_NUMBER", "+1\u2011415\u2011555\u20110132"],
    ]);
  });

  it("is not made up from fullwidth text or other scripts' numbers that are not personal data", () => {
    expect(found("ＡＩの話は２０２４年１２月３日に。価格は１，２００円です。")).toEqual([]);
    expect(found("الصفحة ١٢ من ٣٤")).toEqual([]);
  });

  it("leaves text alone that only needs its joiners (Persian, emoji)", () => {
    expect(found("می\u200cخواهم کتاب\u200cها را ببینم 👨\u200d👩\u200d👧")).toEqual([]);
  });
});
