import { describe, expect, it } from "vitest";
import {
  consistencyProof,
  emptyRoot,
  Frontier,
  inclusionProof,
  leafHash,
  rangeHashFromLeaves,
  verifyConsistency,
  verifyInclusion,
} from "../../src/audit/log/merkle.js";

// The RFC 6962 / RFC 9162 reference tree used by Certificate Transparency implementations.
const inputs = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"].map(
  (hex) => Buffer.from(hex, "hex"),
);
const roots = [
  "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
  "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
  "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
  "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
  "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
  "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
  "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
  "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
];
const inclusionVectors: [number, number, string[]][] = [
  [0, 1, []],
  [0, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [5, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [2, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"]],
  [1, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];
const consistencyVectors: [number, number, string[]][] = [
  [1, 1, []],
  [1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7", "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"]],
  [6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a", "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0", "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"]],
  [2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e", "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"]],
];

const leaves = inputs.map(leafHash);
const hex = (hashes: Buffer[]) => hashes.map((h) => h.toString("hex"));
const root = (size: number) => Buffer.from(roots[size - 1] as string, "hex");

describe("RFC 9162 Merkle tree", () => {
  it("the empty tree's root is SHA-256 of nothing", () => {
    expect(emptyRoot().toString("hex")).toBe("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    expect(new Frontier().root().toString("hex")).toBe(emptyRoot().toString("hex"));
  });

  it("the frontier yields the reference root at every size", () => {
    const frontier = new Frontier();
    leaves.forEach((leaf, i) => {
      frontier.append(leaf);
      expect(frontier.root().toString("hex"), `size ${i + 1}`).toBe(roots[i]);
    });
  });

  it.each(inclusionVectors)("inclusion proof of leaf %i in a tree of %i matches the reference", async (index, size, expected) => {
    const proof = await inclusionProof(index, size, rangeHashFromLeaves(leaves.slice(0, size)));
    expect(hex(proof)).toEqual(expected);
    expect(verifyInclusion(index, size, leaves[index] as Buffer, proof, root(size))).toBe(true);
  });

  it.each(consistencyVectors)("consistency proof from %i to %i matches the reference", async (m, n, expected) => {
    const proof = await consistencyProof(m, n, rangeHashFromLeaves(leaves.slice(0, n)));
    expect(hex(proof)).toEqual(expected);
    expect(verifyConsistency(m, n, root(m), root(n), proof)).toBe(true);
  });

  it("every inclusion and consistency proof of trees up to 40 leaves verifies, and tampered ones do not", async () => {
    const many = Array.from({ length: 40 }, (_, i) => leafHash(Buffer.from(`entry ${i}`)));
    const roots: Buffer[] = [];
    const frontier = new Frontier();
    for (const leaf of many) {
      frontier.append(leaf);
      roots.push(frontier.root());
    }
    const range = rangeHashFromLeaves(many);
    for (let n = 1; n <= many.length; n++) {
      const rootN = roots[n - 1] as Buffer;
      for (let i = 0; i < n; i++) {
        const proof = await inclusionProof(i, n, range);
        expect(verifyInclusion(i, n, many[i] as Buffer, proof, rootN)).toBe(true);
        expect(verifyInclusion(i, n, many[(i + 1) % many.length] as Buffer, proof, rootN)).toBe(false);
      }
      for (let m = 1; m <= n; m++) {
        const proof = await consistencyProof(m, n, range);
        expect(verifyConsistency(m, n, roots[m - 1] as Buffer, rootN, proof), `${m}→${n}`).toBe(true);
        if (m < n) {
          const forged = leafHash(Buffer.from("forged"));
          expect(verifyConsistency(m, n, forged, rootN, proof)).toBe(false);
          if (proof.length > 0) expect(verifyConsistency(m, n, roots[m - 1] as Buffer, rootN, [forged, ...proof.slice(1)])).toBe(false);
        }
      }
    }
  });
});

describe("frontier", () => {
  it("reports every perfect subtree it completes with its level and index", () => {
    const many = Array.from({ length: 70 }, (_, i) => leafHash(Buffer.from(`leaf ${i}`)));
    const range = rangeHashFromLeaves(many);
    const frontier = new Frontier();
    const seen: string[] = [];
    for (const leaf of many) {
      for (const node of frontier.append(leaf)) {
        const start = node.index * 2 ** node.level;
        expect(node.hash.equals(range(start, start + 2 ** node.level))).toBe(true);
        seen.push(`${node.level}:${node.index}`);
      }
    }
    // 70 leaves: 35 nodes at level 1, 17 at level 2, 8 at level 3, 4 at level 4, 2 at level 5, 1 at level 6.
    expect(seen).toHaveLength(35 + 17 + 8 + 4 + 2 + 1);
    expect(seen).toContain("6:0");
  });
});
