import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { createHash, generateKeyPairSync } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sql } from "kysely";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Actor } from "../../src/audit/actor.js";
import { actionContext } from "../../src/audit/recorder.js";
import { scanEntryNumbers } from "../../src/audit/log/entry-scan.js";
import { exportLogToFile } from "../../src/audit/log/export.js";
import { checkpointLine, entryLine, EntryLineReader, headerLine, payloadLine } from "../../src/audit/log/export-format.js";
import { Frontier, leafHash } from "../../src/audit/log/merkle.js";
import {
  checkpointText,
  formatNote,
  keyTypes,
  parseCheckpointText,
  parseNote,
  parseVerifierKey,
  seedOf,
  signatureFor,
  signerFromSeed,
  type NoteSigner,
} from "../../src/audit/log/note.js";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { StreamingRoot } from "../../src/audit/log/streaming-root.js";
import { verifyLog, verifyLogFile, type VerifyOptions } from "../../src/audit/log/verifier.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { storeTargets } from "../support/stores.js";
import { canonicalJson } from "../../src/shared/json.js";

const ORIGIN = "gatehouse.test/log";
const EVENTS = 400;

interface Line {
  type: "log" | "entry" | "checkpoint" | "payload";
  seq?: number;
  size?: number;
  entry?: string;
  leaf?: string;
  note?: string;
  origin?: string;
  key?: string;
}

const parse = (lines: string[]): Line[] => lines.map((l) => JSON.parse(l) as Line);
const verify = (lines: string[], options: VerifyOptions) => verifyLog([Buffer.from(lines.join("\n") + "\n", "utf8")], options);

/** Payloads that exercise the verifier's byte scanner: escapes, non-ASCII, and nested "seq"/"at"/"tenant" keys. */
function payloadOf(i: number): Record<string, unknown> {
  return {
    i,
    label: `label-${i}`,
    text: ['quote " and backslash \\ and \\" together', "line\nbreak\ttab", "é 漢字 😀", "\u0001\u2028", '","seq":9,"tenant":null}'][i % 5],
    nested: { seq: i + 1000, at: 0, tenant: "nested", list: [{ at: 1 }, "]}{["] },
  };
}

const coveringCheckpoint = (sizes: number[], seq: number) => sizes.find((s) => s > seq) as number;

describe.each(storeTargets)("exporting and verifying the audit log on $name", (target) => {
  let fresh: Awaited<ReturnType<typeof target.fresh>>;
  let gatehouse: Gatehouse;
  let dir: string;
  let lines: string[];
  let sizes: number[];
  const signer = ephemeralLogSigner(ORIGIN);
  const key = { key: parseVerifierKey(signer.text) };

  const exportLines = async (name: string) => {
    const file = path.join(dir, name);
    await exportLogToFile(gatehouse.store.db, gatehouse.auditLog, file);
    return readFileSync(file, "utf8").split("\n").slice(0, -1);
  };
  const indexOfEntry = (ls: string[], seq: number) => parse(ls).findIndex((l) => l.type === "entry" && l.seq === seq);
  const indexOfCheckpoint = (ls: string[], size: number) => parse(ls).findIndex((l) => l.type === "checkpoint" && l.size === size);
  const indexOfPayload = (ls: string[], seq: number) => parse(ls).findIndex((l) => l.type === "payload" && l.seq === seq);
  /** Changes one byte of the payload body (a letter of its label) inside the exported line. */
  const tamperPayload = (line: string) => {
    const at = line.indexOf('"label":"label-') + '"label":"'.length;
    expect(at).toBeGreaterThan(20);
    return line.slice(0, at) + "L" + line.slice(at + 1);
  };
  /** Changes one byte of the entry itself (a letter of its resource's name) inside the exported line. */
  const tamperEntry = (line: string) => {
    const at = line.indexOf('\\"name\\":\\"item-') + '\\"name\\":\\"'.length;
    expect(at).toBeGreaterThan(20);
    return line.slice(0, at) + "I" + line.slice(at + 1);
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-export-"));
    fresh = await target.fresh();
    gatehouse = await createGatehouse({ databaseUrl: fresh.databaseUrl, schema: fresh.schema, logSigner: signer, secrets: ephemeralSecretBox() });
    const people: Actor[] = [
      { type: "system", id: "system:test", name: "test", tenantId: null, role: null },
      { type: "user", id: "u-1", name: "ann@acme", tenantId: "tenant-acme", role: "admin" },
    ];
    for (let batch = 0; batch < EVENTS / 100; batch++) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) => {
          const i = batch * 100 + j;
          const actor = people[i % 2] as Actor;
          return gatehouse.recorder.record(gatehouse.store.db, actionContext(actor, `req-${i}`), {
            action: "test.event",
            resource: { kind: "test", name: `item-${i}` },
            decision: { outcome: i % 7 === 0 ? "refused" : "allowed", reasons: i % 7 === 0 ? ["because"] : [] },
            context: { taskId: `task-${i % 3}` },
            payload: payloadOf(i),
          });
        }),
      );
      await gatehouse.auditLog.flush();
    }
    lines = await exportLines("log.jsonl");
    sizes = parse(lines)
      .filter((l) => l.type === "checkpoint")
      .map((l) => l.size as number);
  });

  afterAll(async () => {
    await gatehouse?.close();
    await fresh?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("exports the log key, then each checkpoint right before the entries it adds, every entry text and payload body exactly as stored", async () => {
    const parsed = parse(lines);
    expect(parsed[0]).toEqual({ type: "log", origin: ORIGIN, key: signer.text });
    expect(sizes.length).toBeGreaterThanOrEqual(4);
    expect(sizes).toEqual(expect.arrayContaining([100, 200, 300, 400]));
    const stored = await gatehouse.store.db.selectFrom("log_entries").select(["seq", "entry", "leaf_hash", "payload"]).orderBy("seq").execute();
    const entries = parsed.filter((l) => l.type === "entry");
    expect(entries.map((e) => e.seq)).toEqual(stored.map((r) => r.seq));
    expect(entries.map((e) => e.entry)).toEqual(stored.map((r) => r.entry));
    expect(entries.map((e) => e.leaf)).toEqual(stored.map((r) => r.leaf_hash));
    // Each body is written byte for byte, on the line right before its entry.
    lines.forEach((line, i) => {
      const l = parsed[i] as Line;
      if (l.type !== "payload") return;
      expect(parsed[i + 1]).toMatchObject({ type: "entry", seq: l.seq });
      expect(line).toBe(`{"type":"payload","seq":${l.seq},"body":${stored[l.seq as number]?.payload}}`);
    });
    expect(parsed.filter((l) => l.type === "payload")).toHaveLength(EVENTS);
    let previous = 0;
    parsed.forEach((line, i) => {
      if (line.type !== "checkpoint") return;
      const next = parsed[i + 1];
      expect(next?.type === "payload" && next.seq).toBe(previous);
      previous = line.size as number;
    });
  });

  it("verifies the export with the log's public key alone, from the file and from memory", async () => {
    const latest = (await gatehouse.auditLog.latestCheckpoint())!;
    const result = await verifyLogFile(path.join(dir, "log.jsonl"), key);
    expect(result).toMatchObject({ ok: true, origin: ORIGIN, entries: EVENTS, checkpoints: sizes.length, verifiedSize: EVENTS, warnings: [] });
    expect(result.root).toBe(Buffer.from(latest.root, "hex").toString("base64"));
    expect((await verify(lines, key)).ok).toBe(true);
  });

  it("reads every entry line's text, seq and at exactly as JSON.parse does, without parsing them", () => {
    const reader = new EntryLineReader();
    for (const raw of lines.slice(1)) {
      const line = JSON.parse(raw) as Line;
      if (line.type !== "entry") continue;
      const bytes = Buffer.from(raw, "utf8");
      const read = reader.readFast(bytes, 0, bytes.length);
      expect(read?.buffer.toString("utf8", 1, 1 + read.length)).toBe(line.entry);
      const text = Buffer.from(line.entry as string, "utf8");
      const { seq, at } = JSON.parse(line.entry as string) as { seq: number; at: number };
      expect(scanEntryNumbers(text, 0, text.length)).toEqual({ seq, at });
    }
  });

  it("verifies lines in any JSON form, without the leaf field, more slowly", async () => {
    const reformatted = parse(lines).map((l, i) => {
      if (l.type !== "entry") return JSON.stringify(l, null, i % 2 ? 1 : undefined).replace(/\n/g, "");
      return i % 2 ? JSON.stringify({ entry: l.entry, seq: l.seq, type: "entry" }) : JSON.stringify({ leaf: l.leaf, entry: l.entry, type: "entry", seq: l.seq });
    });
    expect(await verify(reformatted, key)).toMatchObject({ ok: true, entries: EVENTS });
  });

  it("trusts the file's own key only when no key is given, and says that this proves nothing", async () => {
    const result = await verify(lines, {});
    expect(result.ok).toBe(true);
    expect(result.warnings.join("\n")).toMatch(/proves only that the file is self-consistent/);
  });

  it("names the entry whose payload body changed by one byte", async () => {
    const tampered = [...lines];
    const i = indexOfPayload(tampered, 137);
    tampered[i] = tamperPayload(tampered[i] as string);
    const result = await verify(tampered, key);
    expect(result.ok).toBe(false);
    expect(result.divergence).toMatchObject({ seq: 137, message: "entry 137: payload body does not hash to the entry's payloadHash" });
  });

  it("names the entry whose own text changed by one byte", async () => {
    const tampered = [...lines];
    const i = indexOfEntry(tampered, 137);
    tampered[i] = tamperEntry(tampered[i] as string);
    const result = await verify(tampered, key);
    const checkpoint = coveringCheckpoint(sizes, 137);
    expect(result.divergence).toMatchObject({ seq: 137, checkpoint, message: `entry 137: leaf hash does not match checkpoint ${checkpoint}'s root` });
  });

  it("refuses a payload body that is missing without a retention run to account for it, or that has no entry", async () => {
    const pruned = lines.filter((_, i) => i !== indexOfPayload(lines, 137));
    expect((await verify(pruned, key)).divergence).toMatchObject({ seq: 137, message: "entry 137: payload body missing, and no retention run of its tenant covers it" });
    const orphan = lines.filter((_, i) => i !== indexOfEntry(lines, 137));
    expect((await verify(orphan, key)).divergence).toMatchObject({ seq: 137 });
  });

  it("names a changed entry even when its leaf field was rewritten to match, by the checkpoints around it", async () => {
    const tampered = [...lines];
    const i = indexOfEntry(tampered, 137);
    const line = JSON.parse(tamperEntry(tampered[i] as string)) as Line;
    tampered[i] = JSON.stringify({ ...line, leaf: leafHash(Buffer.from(line.entry as string, "utf8")).toString("hex") });
    const checkpoint = coveringCheckpoint(sizes, 137);
    const from = sizes[sizes.indexOf(checkpoint) - 1] ?? 0;
    const result = await verify(tampered, key);
    expect(result.divergence?.message).toBe(`checkpoint ${checkpoint}: root does not match entries ${from}..${checkpoint - 1} of the file`);
  });

  it("names a deleted entry, two swapped entries, a duplicated one and a renumbered one", async () => {
    const deleted = lines.filter((_, i) => i !== indexOfEntry(lines, 55) && i !== indexOfPayload(lines, 55));
    expect((await verify(deleted, key)).divergence).toMatchObject({ seq: 55, message: "entry 55 missing" });

    // Swapped rows: each entry with its payload body.
    const swapped = [...lines];
    const [a, b] = [indexOfPayload(lines, 70), indexOfPayload(lines, 71)];
    swapped.splice(a, 4, ...lines.slice(b, b + 2), ...lines.slice(a, a + 2));
    expect((await verify(swapped, key)).divergence).toMatchObject({ seq: 70, message: "entry 70: out of order, found after entry 71" });

    const duplicated = [...lines];
    duplicated.splice(indexOfEntry(lines, 30) + 1, 0, lines[indexOfEntry(lines, 30)] as string);
    expect((await verify(duplicated, key)).divergence).toMatchObject({ seq: 31, message: "entry 30 appears again where entry 31 belongs" });

    const renumbered = [...lines];
    const nine = indexOfEntry(lines, 9);
    renumbered[nine] = (lines[nine] as string).replace('\\"seq\\":9,', '\\"seq\\":10,');
    expect((await verify(renumbered, key)).divergence).toMatchObject({ seq: 9, message: "entry 9: seq field says 10" });
  });

  it("names an entry whose time goes backwards", async () => {
    const tampered = [...lines];
    const i = indexOfEntry(lines, 20);
    tampered[i] = (lines[i] as string).replace(/\\"at\\":\d+,/, '\\"at\\":1,');
    expect((await verify(tampered, key)).divergence?.message).toMatch(/^entry 20: timestamp 1 is earlier than entry 19's \d+$/);
  });

  it("notices a cut-off tail: after the last checkpoint and below an earlier one", async () => {
    const tail = lines.slice(0, -20);
    expect((await verify(tail, key)).divergence).toMatchObject({ seq: 390, checkpoint: 400, message: "file ends at entry 390 but checkpoint 400 covers more" });

    const below = lines.slice(0, indexOfEntry(lines, 150) + 1);
    const checkpoint = coveringCheckpoint(sizes, 150);
    expect((await verify(below, key)).divergence).toMatchObject({ seq: 151, message: `file ends at entry 151 but checkpoint ${checkpoint} covers more` });

    const middle = lines.filter((_, i) => i < indexOfPayload(lines, 120) || i > indexOfEntry(lines, 129));
    expect((await verify(middle, key)).divergence).toMatchObject({ seq: 120, message: "entry 120 missing" });
  });

  it("refuses entries that no checkpoint covers", async () => {
    const last = JSON.parse(lines.at(-1) as string) as Line;
    const forged = JSON.stringify({ ...JSON.parse(last.entry as string), seq: EVENTS });
    const appended = [...lines, JSON.stringify({ type: "entry", seq: EVENTS, leaf: leafHash(Buffer.from(forged)).toString("hex"), entry: forged })];
    expect((await verify(appended, key)).divergence).toMatchObject({ seq: EVENTS, message: `entries ${EVENTS}..${EVENTS} are not covered by any checkpoint` });
  });

  it("refuses a checkpoint whose root was changed, signed or not", async () => {
    const i = indexOfCheckpoint(lines, 200);
    const line = JSON.parse(lines[i] as string) as Line;
    const note = parseNote(line.note as string);
    const forgedText = checkpointText({ ...parseCheckpointText(note.text), root: Buffer.alloc(32, 7) });

    const unsigned = [...lines];
    unsigned[i] = JSON.stringify({ ...line, note: formatNote({ text: forgedText, signatures: note.signatures }) });
    expect((await verify(unsigned, key)).divergence).toMatchObject({ checkpoint: 200, message: "checkpoint 200: signature invalid" });

    // A log that signs a wrong root (a fork, or a stolen key): the recomputed root shows it.
    const signed = [...lines];
    signed[i] = JSON.stringify({ ...line, note: formatNote({ text: forgedText, signatures: [signatureFor(signer, forgedText)] }) });
    const from = sizes[sizes.indexOf(200) - 1] ?? 0;
    expect((await verify(signed, key)).divergence).toMatchObject({ checkpoint: 200, message: `checkpoint 200: root does not match entries ${from}..199 of the file` });
  });

  it("refuses a log rebuilt under another key, though it is self-consistent", async () => {
    const mallory = signerFromSeed(ORIGIN, seedOf(generateKeyPairSync("ed25519").privateKey));
    const rebuilt = rebuild(parse(lines), mallory, (seq, entry) => (seq === 10 ? entry.replace('"item-10"', '"item-XX"') : entry));
    expect((await verify(rebuilt, { key: parseVerifierKey(mallory.text) })).ok).toBe(true);
    expect((await verify(rebuilt, {})).ok).toBe(true);
    const result = await verify(rebuilt, key);
    expect(result.ok).toBe(false);
    expect(result.divergence).toMatchObject({ checkpoint: sizes[0], message: `checkpoint ${sizes[0]}: not signed by the log key ${signer.text}` });
    expect(result.warnings.join("\n")).toContain(`the file names the log key ${mallory.text}`);
  });

  it("counts witness cosignatures against the threshold", async () => {
    const witness = signerFromSeed("witness.test/w1", seedOf(generateKeyPairSync("ed25519").privateKey), keyTypes.cosignatureV1);
    const other = signerFromSeed("witness.test/w2", seedOf(generateKeyPairSync("ed25519").privateKey), keyTypes.cosignatureV1);
    const checkpoint = (await gatehouse.auditLog.latestCheckpoint())!;
    const text = parseNote(checkpoint.note).text;
    const line = formatNote({ text, signatures: [signatureFor(witness, text)] }).split("\n").at(-2) as string;
    await gatehouse.store.db.insertInto("log_cosignatures").values({ size: checkpoint.size, witness: witness.name, signature: line, created_at: Date.now() }).execute();
    const cosigned = await exportLines("cosigned.jsonl");
    const w1 = parseVerifierKey(witness.text);
    const w2 = parseVerifierKey(other.text);

    const one = await verify(cosigned, { ...key, witnesses: [w1] });
    expect(one).toMatchObject({ ok: true, witnessedSize: EVENTS, warnings: [] });
    const two = await verify(cosigned, { ...key, witnesses: [w1, w2], threshold: 2 });
    expect(two.divergence?.message).toBe("no checkpoint carries 2 valid witness cosignatures");
    expect((await verify(cosigned, { ...key, witnesses: [w1, w2], threshold: 1 })).ok).toBe(true);

    const broken = cosigned.map((l) => {
      if (!l.includes(witness.name)) return l;
      const parsed = JSON.parse(l) as Line;
      const note = parseNote(parsed.note as string);
      const signatures = note.signatures.map((s) => (s.name === witness.name ? { ...s, blob: Buffer.concat([s.blob.subarray(0, 12), Buffer.alloc(64)]) } : s));
      return JSON.stringify({ ...parsed, note: formatNote({ text: note.text, signatures }) });
    });
    expect((await verify(broken, { ...key, witnesses: [w1] })).divergence?.message).toBe(`checkpoint ${EVENTS}: cosignature of witness witness.test/w1 invalid`);
  });

  it.runIf(target.name === "sqlite")("names the entry and the payload body changed directly in the store", async () => {
    await sql`update log_entries set payload = replace(payload, '"label-41"', '"label-4X"') where seq = 41`.execute(gatehouse.store.db);
    expect((await verify(await exportLines("tampered-body.jsonl"), key)).divergence).toMatchObject({
      seq: 41,
      message: "entry 41: payload body does not hash to the entry's payloadHash",
    });
    await sql`update log_entries set entry = replace(entry, '"item-40"', '"item-4X"') where seq = 40`.execute(gatehouse.store.db);
    // Entry 40 comes first, so it is named, though the verifier stopped at entry 41's body.
    const result = await verify(await exportLines("tampered.jsonl"), key);
    expect(result.divergence).toMatchObject({ seq: 40, message: "entry 40: does not hash to the leaf hash the log stored for it" });
  });

  it.runIf(target.name === "postgres")("cannot have an entry or a payload body changed directly in the store; a body set to NULL shows", async () => {
    await expect(sql`update log_entries set entry = replace(entry, '"item-42"', '"item-4X"') where seq = 42`.execute(gatehouse.store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`update log_entries set payload = replace(payload, '"label-42"', '"label-4X"') where seq = 42`.execute(gatehouse.store.db)).rejects.toThrow(
      /append-only/,
    );
    await expect(sql`delete from log_entries where seq = 42`.execute(gatehouse.store.db)).rejects.toThrow(/append-only/);
    expect((await verify(await exportLines("untouched.jsonl"), key)).ok).toBe(true);
    // Forgetting a body is the one change allowed (retention does it), and without a retention run it shows.
    await sql`update log_entries set payload = null where seq = 42`.execute(gatehouse.store.db);
    expect((await verify(await exportLines("forgotten.jsonl"), key)).divergence).toMatchObject({
      seq: 42,
      message: "entry 42: payload body missing, and no retention run of its tenant covers it",
    });
  });
});

/** What an attacker with the store but not the key can do: rewrite entries, recompute the tree, sign anew. */
function rebuild(parsed: Line[], signer: NoteSigner, change: (seq: number, entry: string) => string): string[] {
  const frontier = new Frontier();
  const roots = new Map<number, Buffer>();
  const entries = parsed.filter((l) => l.type === "entry").map((l) => ({ ...l, entry: change(l.seq as number, l.entry as string) }));
  for (const e of entries) {
    e.leaf = leafHash(Buffer.from(e.entry, "utf8")).toString("hex");
    frontier.append(Buffer.from(e.leaf, "hex"));
    roots.set(frontier.size, frontier.root());
  }
  let next = 0;
  return parsed.map((l) => {
    if (l.type === "log") return JSON.stringify({ ...l, key: signer.text });
    if (l.type === "entry") return JSON.stringify(entries[next++]);
    if (l.type === "payload") return JSON.stringify(l);
    const text = checkpointText({ origin: ORIGIN, size: l.size as number, root: roots.get(l.size as number) as Buffer });
    return JSON.stringify({ ...l, note: formatNote({ text, signatures: [signatureFor(signer, text)] }) });
  });
}

describe("the verifier's streaming root", () => {
  it("gives Frontier's root at every size", () => {
    const frontier = new Frontier();
    const streaming = new StreamingRoot();
    expect(streaming.root().equals(frontier.root())).toBe(true);
    for (let i = 0; i < 300; i++) {
      const leaf = leafHash(Buffer.from(`leaf ${i}`));
      frontier.append(leaf);
      streaming.append(leaf);
      expect(streaming.root().equals(frontier.root()), `size ${i + 1}`).toBe(true);
    }
  });
});

describe("the verifier's reading of lines", () => {
  const signer = ephemeralLogSigner(ORIGIN);
  /** A log of the given entry texts with one checkpoint over all of them, as export writes it. */
  const logOf = (entries: string[]) => {
    const frontier = new Frontier();
    const leaves = entries.map((e) => leafHash(Buffer.from(e, "utf8")));
    leaves.forEach((leaf) => frontier.append(leaf));
    const text = checkpointText({ origin: ORIGIN, size: entries.length, root: frontier.root() });
    const note = formatNote({ text, signatures: [signatureFor(signer, text)] });
    return [headerLine(ORIGIN, signer.text), checkpointLine(entries.length, note), ...entries.map((e, i) => entryLine(i, leaves[i]!.toString("hex"), e))].map((l) => l.slice(0, -1));
  };
  const entry = (seq: number, payload: Record<string, unknown>) => JSON.stringify({ action: "a", at: 1, payload, seq, tenant: null });
  const key = { key: parseVerifierKey(signer.text) };

  it("refuses a line whose bare quotes make a JSON reader see another entry than the one hashed", async () => {
    const genuine = entry(0, { a: "x", entry: "what a JSON reader would be shown" });
    const lines = logOf([genuine]);
    expect((await verify(lines, key)).ok).toBe(true);
    // Unescaping the quotes around ,"entry": keeps the bytes the fast reader unescapes, but not their meaning.
    const forged = (lines[2] as string).replace('\\",\\"entry\\":\\"', '","entry":"');
    expect(forged).not.toBe(lines[2]);
    expect((JSON.parse(forged) as Line).entry).not.toBe(genuine);
    const result = await verify([lines[0]!, lines[1]!, forged], key);
    expect(result.ok).toBe(false);
    expect(result.divergence?.seq).toBe(0);
  });

  it("refuses an entry string that never ends, and a line that is not JSON", async () => {
    const lines = logOf([entry(0, { s: "x" })]);
    const unterminated = (lines[2] as string).slice(0, -2) + '\\"}';
    expect((await verify([lines[0]!, lines[1]!, unterminated], key)).divergence?.message).toBe("line 3: not valid JSON");
    expect((await verify([lines[0]!, lines[1]!, "{"], key)).divergence?.message).toBe("line 3: not valid JSON");
    expect((await verify([], key)).divergence?.message).toBe("the file has no log header line");
  });

  it("reads a file in chunks that split lines anywhere", async () => {
    const text = Buffer.from(logOf(Array.from({ length: 50 }, (_, i) => entry(i, { i, s: "é".repeat(i) }))).join("\n") + "\n");
    for (const size of [1, 7, 64, 1000]) {
      const chunks = Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.subarray(i * size, (i + 1) * size));
      expect(await verifyLog(chunks, key), `chunks of ${size}`).toMatchObject({ ok: true, entries: 50 });
    }
  });

  it("checks each body against its entry's own payloadHash, whatever nested payloadHash keys an entry holds", async () => {
    const bodyOf = (i: number) => canonicalJson({ data: { i }, salt: `salt-${i}` });
    const sha = (text: string) => createHash("sha256").update(text).digest("hex");
    const texts = [0, 1, 2].map((i) =>
      canonicalJson({
        action: "a",
        at: 1,
        context: { copied: { payloadHash: sha("something else"), resource: { kind: "x" } } },
        decision: { outcome: "allowed", reasons: [] },
        payloadHash: sha(bodyOf(i)),
        resource: { kind: "test", name: `r-${i}` },
        seq: i,
        tenant: "t",
      }),
    );
    const lines = logOf(texts);
    const withBodies = [lines[0]!, lines[1]!, ...texts.flatMap((_, i) => [payloadLine(i, bodyOf(i)).slice(0, -1), lines[2 + i]!])];
    expect(await verify(withBodies, key)).toMatchObject({ ok: true, entries: 3, prunedPayloads: 0 });
    const changed = withBodies.map((l) => l.replace('"salt":"salt-1"', '"salt":"salt-X"'));
    expect((await verify(changed, key)).divergence).toMatchObject({ seq: 1, message: "entry 1: payload body does not hash to the entry's payloadHash" });
  });
});
