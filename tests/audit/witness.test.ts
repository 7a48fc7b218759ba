import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { checkpointText, formatNote, parseNote, parseVerifierKey, signatureFor, verifySignature } from "../../src/audit/log/note.js";
import { formatAddCheckpoint } from "../../src/audit/witness/add-checkpoint.js";
import type { StoredCheckpoint } from "../../src/audit/log/audit-log.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { storeTargets, type StoreTarget } from "../support/stores.js";
import { capturingLogger, forkAlerts, postAddCheckpoint, recordEvents, startWitness, type CapturingLogger, type TestWitness } from "../support/witnesses.js";

/**
 * The witness (C2SP tlog-witness add-checkpoint) against real logs: it cosigns what is consistent
 * with what it cosigned before, refuses everything else with the spec's status codes, and a log
 * that forked or was rebuilt under the same origin and key is refused and raises an alert.
 */
const signer = ephemeralLogSigner("gatehouse.test/witnessed");
const logVerifier = parseVerifierKey(signer.text);

describe.each(storeTargets)("a witness in front of logs on $name", (target) => {
  const opened: { gatehouse: Gatehouse; dispose(): Promise<void> }[] = [];
  let witness: TestWitness;
  let log: Gatehouse;

  /** A fresh log with this test file's origin and key, asking the given witnesses (threshold 1). */
  const openLog = async (witnesses: TestWitness[] = [], logger: CapturingLogger = capturingLogger(), store: StoreTarget = target) => {
    const fresh = await store.fresh();
    const gatehouse = await createGatehouse({
      databaseUrl: fresh.databaseUrl,
      schema: fresh.schema,
      logSigner: signer,
      secrets: ephemeralSecretBox(),
      logger,
      witnessing: { witnesses: witnesses.map((w) => w.endpoint), threshold: witnesses.length === 0 ? 0 : 1, timeoutMs: 5000 },
    });
    opened.push({ gatehouse, dispose: fresh.dispose });
    return gatehouse;
  };
  const checkpointAfter = async (gatehouse: Gatehouse, events: number, label: string): Promise<StoredCheckpoint> => {
    await recordEvents(gatehouse, events, label);
    await gatehouse.auditLog.flush();
    return (await gatehouse.auditLog.latestCheckpoint())!;
  };
  const add = async (gatehouse: Gatehouse, old: number, checkpoint: StoredCheckpoint, url = witness.url) =>
    postAddCheckpoint(url, formatAddCheckpoint({ oldSize: old, proof: old === 0 ? [] : await gatehouse.auditLog.consistencyProof(old, checkpoint.size), checkpoint: checkpoint.note }));
  const cosignatureVerifies = (checkpoint: StoredCheckpoint, body: string) => {
    const note = parseNote(`${parseNote(checkpoint.note).text}\n${body}`);
    return verifySignature(note, witness.verifier);
  };

  let first: StoredCheckpoint;
  let second: StoredCheckpoint;

  beforeAll(async () => {
    witness = await startWitness("witness.test/w1", [logVerifier]);
    log = await openLog();
  });
  afterAll(async () => {
    for (const o of opened) {
      await o.gatehouse.close();
      await o.dispose();
    }
    await witness?.dispose();
  });

  it("cosigns a log's first checkpoint and then each consistent extension, with a verifiable cosignature/v1", async () => {
    first = await checkpointAfter(log, 5, "a");
    const r1 = await add(log, 0, first);
    expect(r1.status, r1.body).toBe(200);
    expect(r1.body).toMatch(/^\u2014 witness\.test\/w1 [A-Za-z0-9+/=]+\n$/);
    const v1 = cosignatureVerifies(first, r1.body);
    expect(v1.ok).toBe(true);
    expect(Number(v1.timestamp)).toBeGreaterThan(Date.now() / 1000 - 60);
    // The cosignature covers exactly this checkpoint: moved onto another one, it does not verify.
    expect(verifySignature(parseNote(`${checkpointText({ origin: signer.name, size: 5, root: Buffer.alloc(32) })}\n${r1.body}`), witness.verifier).ok).toBe(false);

    second = await checkpointAfter(log, 7, "a2");
    expect(second.size).toBe(12);
    const r2 = await add(log, first.size, second);
    expect(r2.status, r2.body).toBe(200);
    expect(cosignatureVerifies(second, r2.body).ok).toBe(true);
    // The same checkpoint again, from the size the witness holds: cosigned again.
    const again = await add(log, second.size, second);
    expect(again.status).toBe(200);
    expect(witness.state().get(signer.name)).toMatchObject({ size: 12, root: Buffer.from(second.root, "hex"), verifierKey: signer.text });
  });

  it("refuses a log it was not told to witness (404) and a checkpoint not signed by the log's key (403)", async () => {
    const stranger = ephemeralLogSigner("gatehouse.test/stranger");
    const text = checkpointText({ origin: stranger.name, size: 1, root: Buffer.alloc(32, 1) });
    const unknown = await postAddCheckpoint(witness.url, `old 0\n\n${formatNote({ text, signatures: [signatureFor(stranger, text)] })}`);
    expect(unknown.status).toBe(404);

    const impostor = ephemeralLogSigner(signer.name);
    const forged = checkpointText({ origin: signer.name, size: 20, root: Buffer.alloc(32, 2) });
    const res = await postAddCheckpoint(witness.url, `old 12\n\n${formatNote({ text: forged, signatures: [signatureFor(impostor, forged)] })}`);
    expect(res.status).toBe(403);
    expect(witness.state().get(signer.name)?.size).toBe(12);
  });

  it("refuses a stale old size and a smaller checkpoint with 409 and its own size as text/x.tlog.size", async () => {
    const third = await checkpointAfter(log, 3, "a3");
    const stale = await add(log, first.size, third);
    expect(stale).toEqual({ status: 409, body: "12\n", contentType: "text/x.tlog.size" });
    for (const old of [0, first.size]) {
      const smaller = await add(log, old, first);
      expect(smaller).toEqual({ status: 409, body: "12\n", contentType: "text/x.tlog.size" });
    }
    expect(witness.state().get(signer.name)?.size).toBe(12);
    const fine = await add(log, 12, third);
    expect(fine.status).toBe(200);
  });

  it("answers 400 to a malformed request and to an old size above the checkpoint's, 413 to an oversized one", async () => {
    const latest = (await log.auditLog.latestCheckpoint())!;
    for (const body of ["", "old 1\n", `old x\n\n${latest.note}`, `old 01\n\n${latest.note}`, `old 15\nnot-base64\n\n${latest.note}`, "old 0\n\nnot a note"]) {
      expect((await postAddCheckpoint(witness.url, body)).status, JSON.stringify(body)).toBe(400);
    }
    expect((await postAddCheckpoint(witness.url, `old ${latest.size + 1}\n\n${latest.note}`)).status).toBe(400);
    expect((await postAddCheckpoint(witness.url, `old 0\n${"A".repeat(70_000)}\n\n${latest.note}`)).status).toBe(413);
    expect((await fetch(`${witness.url}/add-checkpoint`)).status).toBe(405);
    expect((await fetch(`${witness.url}/other`, { method: "POST" })).status).toBe(404);
  });

  it("refuses a forked log (same origin and key, other entries) with 422, keeps the evidence, and the log records the fork", async () => {
    const witnessed = witness.state().get(signer.name)!;
    const logger = capturingLogger();
    const forked = await openLog([witness], logger);
    // One checkpoint over the whole fork: a background one part-way would be refused for another reason first.
    await forked.auditLog.stop();
    forked.recorder.onCommitted = () => undefined;
    const fork = await checkpointAfter(forked, witnessed.size + 6, "b");
    // Straight from the size the witness holds, the fork's own proof does not lead to the witnessed root.
    const direct = await add(forked, witnessed.size, fork);
    expect(direct.status).toBe(422);

    await forked.cosigner.cosignNow();
    expect(witness.state().get(signer.name)?.size).toBe(witnessed.size);
    expect(witness.state().evidence(signer.name).length).toBeGreaterThanOrEqual(1);
    expect(witness.logger.errors().length).toBeGreaterThanOrEqual(1);

    const alerts = await forkAlerts(forked);
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert.decision.outcome).toBe("refused");
    expect(alert.resource).toEqual({ kind: "audit_log", name: signer.name });
    const reason = alert.decision.reasons[0] as string;
    expect(reason).toContain(`size ${fork.size}`);
    expect(reason).toContain(`size ${witnessed.size}`);
    expect(reason).toContain(Buffer.from(fork.root, "hex").toString("base64"));
    const forkRootAtWitnessed = (await forked.auditLog.rangeHash(0, witnessed.size)).toString("base64");
    expect(reason).toContain(forkRootAtWitnessed);
    expect(forkRootAtWitnessed).not.toBe(witnessed.root.toString("base64"));
    expect(logger.errors().map((l) => l.message)).toContain("audit log fork detected");
    expect(await forked.cosigner.latestWitnessed()).toBeUndefined();

    // Asking again raises no second alert: the witness is set aside until an operator looks.
    await forked.cosigner.cosignNow();
    expect(await forkAlerts(forked)).toHaveLength(1);
  });

  it("refuses a rewritten history of the same size (another root for the size it cosigned) and the log records it", async () => {
    const witnessed = witness.state().get(signer.name)!;
    const logger = capturingLogger();
    const rewritten = await openLog([witness], logger);
    // No checkpoint may be issued part-way (a smaller one would be reported as a rollback first).
    await rewritten.auditLog.stop();
    rewritten.recorder.onCommitted = () => undefined;
    await checkpointAfter(rewritten, witnessed.size, "c");
    // The cosigner may already have offered it to the witness and logged the alert (a later entry): take the one of the size.
    const checkpoint = (await rewritten.auditLog.checkpoints()).find((c) => c.size === witnessed.size) as StoredCheckpoint;
    expect(checkpoint?.size).toBe(witnessed.size);
    const direct = await add(rewritten, witnessed.size, checkpoint);
    expect(direct).toEqual({ status: 409, body: `${witnessed.size}\n`, contentType: "text/x.tlog.size" });

    await rewritten.cosigner.cosignNow();
    const [alert] = await forkAlerts(rewritten);
    expect(alert?.decision.reasons[0]).toContain(`another root for size ${witnessed.size}`);
    expect(alert?.decision.reasons[0]).toContain(Buffer.from(checkpoint.root, "hex").toString("base64"));
    expect(witness.state().get(signer.name)?.root.equals(witnessed.root)).toBe(true);
  });

  it("flags a log rebuilt shorter than what the witness cosigned (rolled back, or restored from an old backup)", async () => {
    const witnessed = witness.state().get(signer.name)!;
    const rebuilt = await openLog([witness]);
    await checkpointAfter(rebuilt, 3, "d");
    await rebuilt.cosigner.cosignNow();
    const [alert] = await forkAlerts(rebuilt);
    expect(alert?.decision.reasons[0]).toContain(`cosigned size ${witnessed.size}`);
    expect(alert?.decision.reasons[0]).toContain("latest checkpoint is size 3");
  });

  it("compares a checkpoint seen elsewhere with its own history, and records a fork when the roots differ", async () => {
    const own = (await log.auditLog.latestCheckpoint())!;
    expect(await log.forks.check(own.note)).toBe("consistent");
    const stranger = ephemeralLogSigner(signer.name);
    const text = checkpointText({ origin: signer.name, size: 4, root: Buffer.alloc(32, 9) });
    expect(await log.forks.check(formatNote({ text, signatures: [signatureFor(stranger, text)] }))).toBe("not this log");
    // Signed with this log's key but another root for size 4: two histories under one key.
    expect(await log.forks.check(formatNote({ text, signatures: [signatureFor(signer, text)] }))).toBe("fork");
    const [alert] = await forkAlerts(log);
    expect(alert.decision.reasons[0]).toContain(Buffer.alloc(32, 9).toString("base64"));
    expect(alert.decision.reasons[0]).toContain((await log.auditLog.rangeHash(0, 4)).toString("base64"));
  });
});
