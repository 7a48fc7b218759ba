import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { existsSync } from "node:fs";
import path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { parseNote, parseVerifierKey, verifySignature } from "../../src/audit/log/note.js";
import { formatAddCheckpoint } from "../../src/audit/witness/add-checkpoint.js";
import { createGatehouse, type Gatehouse, type GatehouseOptions } from "../../src/gatehouse.js";
import { storeTargets } from "../support/stores.js";
import { capturingLogger, forkAlerts, postAddCheckpoint, recordEvents, startHangingWitness, startWitness, type TestWitness } from "../support/witnesses.js";

/** The log side: k-of-n witnessing, witnesses that are down or hang, and learning a witness's size from a 409. */
describe.each(storeTargets)("cosigning checkpoints with witnesses on $name", (target) => {
  const signer = ephemeralLogSigner(`gatehouse.test/cosigned-${target.name}`);
  const cleanup: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const step of cleanup.splice(0).reverse()) await step();
  });

  const open = async (witnessing: GatehouseOptions["witnessing"]) => {
    const fresh = await target.fresh();
    const logger = capturingLogger();
    const gatehouse = await createGatehouse({ databaseUrl: fresh.databaseUrl, schema: fresh.schema, logSigner: signer, secrets: ephemeralSecretBox(), logger, witnessing });
    cleanup.push(async () => {
      await gatehouse.close();
      await fresh.dispose();
    });
    return { gatehouse, logger };
  };
  const witnessesFor = async (count: number): Promise<TestWitness[]> => {
    const witnesses: TestWitness[] = [];
    for (let i = 1; i <= count; i++) witnesses.push(await startWitness(`witness.test/w${i}`, [parseVerifierKey(signer.text)]));
    cleanup.push(async () => {
      for (const w of witnesses) await w.dispose();
    });
    return witnesses;
  };
  const grow = async (gatehouse: Gatehouse, events: number, label: string) => {
    await recordEvents(gatehouse, events, label);
    await gatehouse.auditLog.flush();
    await gatehouse.cosigner.cosignNow();
    return (await gatehouse.auditLog.latestCheckpoint())!;
  };

  it("with 4 witnesses and k=3 a checkpoint is witnessed with one down, and not with two down until they return", async () => {
    const witnesses = await witnessesFor(4);
    const { gatehouse, logger } = await open({ witnesses: witnesses.map((w) => w.endpoint), threshold: 3, timeoutMs: 5000 });

    const all = await grow(gatehouse, 8, "all");
    const witnessed = (await gatehouse.cosigner.latestWitnessed())!;
    expect(witnessed.size).toBe(all.size);
    expect(witnessed.witnesses).toEqual(witnesses.map((w) => w.name));
    const note = parseNote(witnessed.cosignedNote);
    expect(verifySignature(note, signer).ok).toBe(true);
    for (const w of witnesses) expect(verifySignature(note, w.verifier).ok, w.name).toBe(true);

    await witnesses[3]!.stop();
    const oneDown = await grow(gatehouse, 5, "one-down");
    expect(oneDown.size).toBeGreaterThan(all.size);
    expect((await gatehouse.cosigner.latestWitnessed())?.size).toBe(oneDown.size);
    expect((await gatehouse.cosigner.latestWitnessed())?.witnesses).toEqual(witnesses.slice(0, 3).map((w) => w.name));
    expect(logger.lines.some((l) => l.level === "warn" && l.fields.witness === "witness.test/w4")).toBe(true);

    await witnesses[2]!.stop();
    const twoDown = await grow(gatehouse, 5, "two-down");
    expect(twoDown.size).toBeGreaterThan(oneDown.size);
    // Still the earlier one: two cosignatures are not three.
    expect((await gatehouse.cosigner.latestWitnessed())?.size).toBe(oneDown.size);
    const stored = await gatehouse.store.db.selectFrom("log_cosignatures").select("witness").where("size", "=", twoDown.size).execute();
    expect(stored.map((r) => r.witness).sort()).toEqual(["witness.test/w1", "witness.test/w2"]);

    // A down witness only delays witnessing: back, it is asked from the size it last cosigned.
    await witnesses[2]!.restart();
    await witnesses[3]!.restart();
    await gatehouse.cosigner.cosignNow();
    const back = (await gatehouse.cosigner.latestWitnessed())!;
    expect(back.size).toBe(twoDown.size);
    expect(back.witnesses).toHaveLength(4);
    expect(witnesses[3]!.state().get(signer.name)?.size).toBe(twoDown.size);
    expect(await forkAlerts(gatehouse)).toEqual([]);
  });

  it("does not make appends wait for a witness that hangs, and closes without waiting for it", async () => {
    const hanging = await startHangingWitness();
    cleanup.push(() => hanging.dispose());
    const [good] = await witnessesFor(1);
    const hangingEndpoint = { ...good!.endpoint, name: "witness.test/hangs", url: hanging.url };
    // The hanging witness's key does not matter: it never answers.
    hangingEndpoint.verifier = { ...good!.verifier, name: "witness.test/hangs" };
    const { gatehouse } = await open({ witnesses: [hangingEndpoint], threshold: 1, timeoutMs: 120_000 });

    await recordEvents(gatehouse, 3, "first");
    await gatehouse.auditLog.flush();
    for (let i = 0; i < 50 && hanging.requests() === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(hanging.requests()).toBeGreaterThan(0);

    const ctx = actionContext(systemActor("test"));
    const started = performance.now();
    for (let i = 0; i < 40; i++) {
      await gatehouse.recorder.record(gatehouse.store.db, ctx, { action: "test.event", resource: { kind: "test", name: `r-${i}` }, decision: { outcome: "allowed" } });
    }
    await gatehouse.auditLog.flush();
    const elapsed = performance.now() - started;
    expect(elapsed).toBeLessThan(5000);
    expect(await gatehouse.auditLog.size()).toBe(43);
    expect((await gatehouse.auditLog.latestCheckpoint())?.size).toBe(43);
    expect(await gatehouse.cosigner.latestWitnessed()).toBeUndefined();

    const closing = performance.now();
    await cleanup.pop()!();
    expect(performance.now() - closing).toBeLessThan(5000);
  });

  it("learns a witness's size from a 409 and asks again once from it", async () => {
    const [witness] = await witnessesFor(1);
    const { gatehouse, logger } = await open({ witnesses: [witness!.endpoint], threshold: 1, timeoutMs: 5000 });
    const first = await grow(gatehouse, 4, "first");
    expect((await gatehouse.cosigner.latestWitnessed())?.size).toBe(first.size);

    // Someone (another process, or a request whose answer was lost) got the next checkpoint cosigned behind this process's back.
    const before = gatehouse.auditLog.onCheckpoint;
    gatehouse.auditLog.onCheckpoint = () => undefined;
    await recordEvents(gatehouse, 6, "second");
    await gatehouse.auditLog.flush();
    const second = (await gatehouse.auditLog.latestCheckpoint())!;
    gatehouse.auditLog.onCheckpoint = before;
    const proof = await gatehouse.auditLog.consistencyProof(first.size, second.size);
    const direct = await postAddCheckpoint(witness!.url, formatAddCheckpoint({ oldSize: first.size, proof, checkpoint: second.note }));
    expect(direct.status).toBe(200);

    const third = await grow(gatehouse, 2, "third");
    const witnessed = (await gatehouse.cosigner.latestWitnessed())!;
    expect(witnessed.size).toBe(third.size);
    expect(witness!.state().get(signer.name)?.size).toBe(third.size);
    expect(await forkAlerts(gatehouse)).toEqual([]);
    expect(logger.errors()).toEqual([]);
  });

  it("is inert without witnesses: nothing is asked and nothing counts as witnessed", async () => {
    const { gatehouse } = await open(undefined);
    await grow(gatehouse, 3, "none");
    expect(await gatehouse.cosigner.latestWitnessed()).toBeUndefined();
    expect(await gatehouse.store.db.selectFrom("log_cosignatures").selectAll().execute()).toEqual([]);
  });
});

describe("witness settings", () => {
  const signer = ephemeralLogSigner("gatehouse.test/settings");
  let witness: TestWitness;
  beforeAll(async () => {
    witness = await startWitness("witness.test/settings", [parseVerifierKey(signer.text)]);
  });
  afterAll(async () => {
    await witness.dispose();
  });

  it("refuses a threshold outside 1..n, duplicate names and a non-witness key before opening the store", async () => {
    const file = path.join(witness.dir, "never-opened.db");
    const refuse = (witnessing: GatehouseOptions["witnessing"], message: RegExp) =>
      expect(createGatehouse({ databaseUrl: `sqlite:${file}`, logSigner: signer, secrets: ephemeralSecretBox(), witnessing })).rejects.toThrow(message);
    await refuse({ witnesses: [witness.endpoint], threshold: 2 }, /between 1 and 1/);
    await refuse({ witnesses: [witness.endpoint], threshold: 0 }, /between 1 and 1/);
    await refuse({ witnesses: [witness.endpoint, witness.endpoint], threshold: 1 }, /unique/);
    await refuse({ witnesses: [{ ...witness.endpoint, verifier: parseVerifierKey(signer.text), name: signer.name }], threshold: 1 }, /cosignature/);
    expect(existsSync(file)).toBe(false);
  });
});
