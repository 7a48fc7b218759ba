/** A zero-width space: invisible, and enough to break a pattern. */
export const ZW = "\u200b";

/** The tag characters (invisible "ASCII smuggling") that stand for an ASCII text. */
export const tagged = (ascii: string): string => [...ascii].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join("");
