import { createHash } from "node:crypto";

/**
 * The Merkle tree of RFC 9162 §2.1: leaf hash = SHA-256(0x00 ‖ entry), node hash =
 * SHA-256(0x01 ‖ left ‖ right), a tree of n leaves splits at the largest power of two below n.
 * Proof generation works over any source of subtree hashes; verification needs only hashes.
 */
export type Hash = Buffer;

const LEAF = Buffer.from([0x00]);
const NODE = Buffer.from([0x01]);

export const emptyRoot = (): Hash => createHash("sha256").digest();
export const leafHash = (entry: Uint8Array): Hash => createHash("sha256").update(LEAF).update(entry).digest();
export const nodeHash = (left: Hash, right: Hash): Hash => createHash("sha256").update(NODE).update(left).update(right).digest();

/** The largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** Hash of the leaves [start, end); supplied by whoever stores the tree. */
export type RangeHash = (start: number, end: number) => Hash | Promise<Hash>;

/** RFC 9162 §2.1.3.1 PATH(m, D[start:end]): the audit path of leaf m. */
export async function inclusionProof(index: number, size: number, range: RangeHash): Promise<Hash[]> {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  const path: Hash[] = [];
  let start = 0;
  let end = size;
  // Walk down from the root, collecting the sibling subtree at each split (root first), then reverse.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (index < start + k) {
      path.push(await range(start + k, end));
      end = start + k;
    } else {
      path.push(await range(start, start + k));
      start += k;
    }
  }
  return path.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]): proves the tree of size m is a prefix of the tree of size n. */
export async function consistencyProof(m: number, n: number, range: RangeHash): Promise<Hash[]> {
  if (!(m >= 0 && m <= n)) throw new RangeError(`cannot prove size ${m} against size ${n}`);
  if (m === 0 || m === n) return [];
  const proof: Hash[] = [];
  // SUBPROOF(m, D[start:end], b), unrolled; suffix nodes are collected and reversed at the end.
  let start = 0;
  let end = n;
  let complete = true;
  let mm = m;
  const tail: Hash[] = [];
  while (true) {
    const size = end - start;
    if (mm === size) {
      if (!complete) proof.push(await range(start, end));
      break;
    }
    const k = splitPoint(size);
    if (mm <= k) {
      tail.push(await range(start + k, end));
      end = start + k;
    } else {
      tail.push(await range(start, start + k));
      start += k;
      mm -= k;
      complete = false;
    }
  }
  return [...proof, ...tail.reverse()];
}

/** RFC 9162 §2.1.3.2: recomputes the root from a leaf hash and its audit path. */
export function rootFromInclusionProof(index: number, size: number, leaf: Hash, proof: Hash[]): Hash {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of size ${size}`);
  let fn = index;
  let sn = size - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) throw new Error("inclusion proof is too long");
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  if (sn !== 0) throw new Error("inclusion proof is too short");
  return r;
}

export function verifyInclusion(index: number, size: number, leaf: Hash, proof: Hash[], root: Hash): boolean {
  try {
    return rootFromInclusionProof(index, size, leaf, proof).equals(root);
  } catch {
    return false;
  }
}

/** RFC 9162 §2.1.4.2: checks that firstRoot (size m) and secondRoot (size n) are consistent. */
export function verifyConsistency(m: number, n: number, firstRoot: Hash, secondRoot: Hash, proof: Hash[]): boolean {
  if (m > n || m < 0) return false;
  if (m === n) return proof.length === 0 && firstRoot.equals(secondRoot);
  if (m === 0) return proof.length === 0;
  const path = [...proof];
  if (isPowerOfTwo(m)) path.unshift(firstRoot);
  if (path.length === 0) return false;
  let fn = m - 1;
  let sn = n - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Hash;
  let sr = path[0] as Hash;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && fr.equals(firstRoot) && sr.equals(secondRoot);
}

const isPowerOfTwo = (x: number): boolean => x > 0 && (x & (x - 1)) === 0;

/** The root hash of the perfect subtree at (level, index): leaves [index·2^level, (index+1)·2^level). */
export interface CompletedNode {
  level: number;
  index: number;
  hash: Hash;
}

/**
 * The right edge of a tree: the roots of its perfect subtrees, largest first (one per set bit
 * of the size). Appending a leaf merges equal-sized subtrees; the root folds them right to left.
 */
export class Frontier {
  constructor(
    private size_ = 0,
    private readonly nodes: Hash[] = [],
  ) {}

  get size(): number {
    return this.size_;
  }

  /** Appends a leaf and returns the perfect subtrees it completed (level ≥ 1), smallest first. */
  append(leaf: Hash): CompletedNode[] {
    let hash = leaf;
    let size = this.size_;
    let level = 0;
    const completed: CompletedNode[] = [];
    // Each trailing 1-bit of the old size is a perfect subtree that the new leaf completes.
    while (size % 2 === 1) {
      hash = nodeHash(this.nodes.pop() as Hash, hash);
      size = Math.floor(size / 2);
      level += 1;
      completed.push({ level, index: Math.floor((this.size_ + 1) / 2 ** level) - 1, hash });
    }
    this.nodes.push(hash);
    this.size_ += 1;
    return completed;
  }

  root(): Hash {
    if (this.nodes.length === 0) return emptyRoot();
    let hash = this.nodes[this.nodes.length - 1] as Hash;
    for (let i = this.nodes.length - 2; i >= 0; i--) hash = nodeHash(this.nodes[i] as Hash, hash);
    return hash;
  }

  /** The perfect-subtree roots, for persisting the frontier between restarts. */
  snapshot(): Hash[] {
    return [...this.nodes];
  }

  clone(): Frontier {
    return new Frontier(this.size_, [...this.nodes]);
  }
}

/** Hash of leaves [start, end) computed from leaf hashes in memory (verifier and tests). */
export function rangeHashFromLeaves(leaves: Hash[]): (start: number, end: number) => Hash {
  const memo = new Map<string, Hash>();
  const hash = (start: number, end: number): Hash => {
    if (end - start === 1) return leaves[start] as Hash;
    if (end === start) return emptyRoot();
    const key = `${start}:${end}`;
    const cached = memo.get(key);
    if (cached) return cached;
    const k = splitPoint(end - start);
    const h = nodeHash(hash(start, start + k), hash(start + k, end));
    memo.set(key, h);
    return h;
  };
  return hash;
}
