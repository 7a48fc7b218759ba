/** The tokeniser for estimates and the simulator: words, numbers and single punctuation marks. Deterministic and cheap. */
const tokenPattern = /[A-Za-z0-9_]+|[^\sA-Za-z0-9_]/g;

export const countTokens = (text: string): number => text.match(tokenPattern)?.length ?? 0;

/** Splits text into stream pieces, each one token plus the whitespace before it, so joining them gives the text back. */
export function tokenPieces(text: string): string[] {
  const pieces: string[] = text.match(/\s*([A-Za-z0-9_]+|[^\sA-Za-z0-9_])/g) ?? [];
  const joined = pieces.join("");
  if (joined.length < text.length) pieces.push(text.slice(joined.length));
  return pieces;
}

/** A request's input size in tokens, by the estimate tokeniser (for admission and the prompt size limit). */
export function estimateInputTokens(messages: readonly { content: string; toolCalls?: readonly { arguments: string }[] }[]): number {
  let sum = 0;
  for (const m of messages) {
    sum += countTokens(m.content);
    for (const call of m.toolCalls ?? []) sum += countTokens(call.arguments);
  }
  return sum;
}
