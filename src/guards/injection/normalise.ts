/**
 * Views of a text with smuggling undone, for detectors that look for instructions: NFKC,
 * invisible characters removed, Unicode tag characters (invisible "ASCII smuggling") decoded,
 * look-alike letters folded to Latin, and decoded variants — leetspeak, rot13, base64, binary
 * and hex — that a model would read but a keyword filter would not.
 */

/** Zero-width, joiner, direction-control, variation-selector and filler characters: invisible, but read by tokenizers. */
export const INVISIBLE = /\u00AD|\u034F|\u061C|\u115F|\u1160|\u17B4|\u17B5|\u180E|[\u200B-\u200F]|[\u202A-\u202E]|[\u2060-\u2064]|[\u206A-\u206F]|\u3164|[\uFE00-\uFE0F]|\uFEFF|\uFFA0/g;
const TAGS = /[\u{E0000}-\u{E007F}]/gu;

/** Cyrillic and Greek letters that look like Latin ones. */
export const HOMOGLYPHS: Record<string, string> = {
  а: "a", в: "b", е: "e", ё: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x", ѕ: "s", і: "i", ї: "i", ј: "j", ԁ: "d", ԛ: "q", ԝ: "w", ɡ: "g",
  А: "A", В: "B", Е: "E", К: "K", М: "M", Н: "H", О: "O", Р: "P", С: "C", Т: "T", У: "Y", Х: "X", Ѕ: "S", І: "I", Ј: "J",
  α: "a", ο: "o", ρ: "p", ν: "v", ι: "i", κ: "k", τ: "t", υ: "u", χ: "x", ε: "e",
  Α: "A", Β: "B", Ε: "E", Ζ: "Z", Η: "H", Ι: "I", Κ: "K", Μ: "M", Ν: "N", Ο: "O", Ρ: "P", Τ: "T", Υ: "Y", Χ: "X",
};
const HOMOGLYPH = new RegExp(`[${Object.keys(HOMOGLYPHS).join("")}]`, "g");

const LEET: Record<string, string> = { "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", $: "s", "!": "i", "|": "l" };
/** A word of letters with digits or symbols standing in for some of them. */
const LEET_WORD = /\b(?=[A-Za-z0-9@$!|]*[A-Za-z])(?=[A-Za-z0-9@$!|]*[013457@$!|])[A-Za-z0-9@$!|]{3,}\b/g;

const BASE64_RUN = /[A-Za-z0-9+/]{16,}={0,2}/g;
const BINARY_RUN = /(?:[01]{8}[\s,]*){4,}/g;
const HEX_RUN = /(?:\b[0-9a-fA-F]{2}\b[\s,]*){6,}|\b(?:[0-9a-fA-F]{2}){8,}\b/g;

/** The text as a reader sees it: NFKC, invisible characters gone, tag characters decoded, homoglyphs folded. */
export function normalise(text: string): string {
  return text
    .normalize("NFKC")
    .replace(TAGS, (c) => {
      const code = (c.codePointAt(0) as number) - 0xe0000;
      return code >= 0x20 && code < 0x7f ? String.fromCharCode(code) : "";
    })
    .replace(INVISIBLE, "")
    .replace(HOMOGLYPH, (c) => HOMOGLYPHS[c] ?? c);
}

const ROT13_HINT = /\b(gur|naq|lbh|vtaber|vafgehpgvbaf|cebzcg)\b/i;
const rot13 = (text: string) => text.replace(/[A-Za-z]/g, (c) => String.fromCharCode(((c.charCodeAt(0) & 31) + 12) % 26 + (c.charCodeAt(0) & 96) + 1));

const mostlyText = (s: string) => s.length >= 4 && /^[\x20-\x7e\t\r\n]*$/.test(s) && /[A-Za-z]{3}/.test(s);

function decodedRuns(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(BASE64_RUN)) {
    if (!/[A-Z]/.test(m[0]) || !/[a-z]/.test(m[0])) continue;
    const decoded = Buffer.from(m[0], "base64").toString("utf8");
    if (mostlyText(decoded)) out.push(decoded);
  }
  for (const m of text.matchAll(BINARY_RUN)) {
    const bytes = m[0].match(/[01]{8}/g) ?? [];
    const decoded = String.fromCharCode(...bytes.map((b) => parseInt(b, 2)));
    if (mostlyText(decoded)) out.push(decoded);
  }
  for (const m of text.matchAll(HEX_RUN)) {
    const decoded = Buffer.from(m[0].replace(/[^0-9a-fA-F]/g, ""), "hex").toString("latin1");
    if (mostlyText(decoded)) out.push(decoded);
  }
  return out;
}

/** Every view worth scanning: the normalised text, its leetspeak and rot13 readings, and what its encoded runs decode to. */
export function readings(text: string): string[] {
  const normal = normalise(text);
  const views = [normal];
  const deleeted = normal.replace(LEET_WORD, (w) => w.replace(/[013457@$!|]/g, (c) => LEET[c] ?? c));
  if (deleeted !== normal) views.push(deleeted);
  // rot13 is read only when the text has rot13'd common words ("the", "and", "you", "ignore").
  if (ROT13_HINT.test(normal)) views.push(rot13(normal));
  views.push(...decodedRuns(normal).map(normalise));
  return views;
}
