import type { NumberRun } from "./text-index.js";

/** A run of digits alone, with no separator, "+" or parenthesis: one start, and a number as long as the run. */
export const isDigitsOnly = (run: NumberRun): boolean => run.end - run.start === run.digits;

/** How many dots the run holds. */
export function dotsIn(text: string, run: NumberRun): number {
  let dots = 0;
  for (let i = run.start; i < run.end; i++) if (text.charCodeAt(i) === 0x2e) dots++;
  return dots;
}
