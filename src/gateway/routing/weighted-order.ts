import type { Random } from "./random.js";

/**
 * Orders a pool by weighted random sampling without replacement: the first item is picked with
 * probability weight / total, the next among the rest, and so on. The first item takes the load
 * in proportion to its weight; the rest are the order to fail over in within the pool.
 */
export function weightedOrder<T extends { weight: number }>(pool: readonly T[], random: Random): T[] {
  const remaining = [...pool];
  const ordered: T[] = [];
  while (remaining.length > 0) {
    const total = remaining.reduce((sum, item) => sum + item.weight, 0);
    let point = random() * total;
    let index = remaining.findIndex((item) => (point -= item.weight) < 0);
    if (index < 0) index = remaining.length - 1;
    ordered.push(...remaining.splice(index, 1));
  }
  return ordered;
}
