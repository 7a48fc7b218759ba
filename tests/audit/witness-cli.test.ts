import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseNote, parseSignerKey, parseVerifierKey, verifySignature } from "../../src/audit/log/note.js";
import { ephemeralLogSigner, loadLogSigner } from "../../src/audit/log/signing-key.js";
import { formatAddCheckpoint } from "../../src/audit/witness/add-checkpoint.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { openStore } from "../../src/store/database.js";
import { freePort, runCli, startService } from "../support/service.js";
import { storeTargets } from "../support/stores.js";
import { capturingLogger, postAddCheckpoint, recordEvents, startWitnessProcess, type WitnessProcess } from "../support/witnesses.js";

/** `gatehouse witness` as a real process from the built CLI (`npm run build` first), and `gatehouse start` using it. */
describe("gatehouse witness (the built CLI)", () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-witness-cli-"));
  });
  afterAll(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it("refuses to start without a log to witness, without a name for a new key, and with a name that is not its key's", async () => {
    const logKey = parseVerifierKey(ephemeralLogSigner("gatehouse.test/cli-refusals").text).text;
    const wdir = path.join(dir, "refusals");
    const noLog = await runCli(["witness", "--dir", wdir, "--name", "w.test/a", "--port", "0"], { env: {}, cwd: dir });
    expect(noLog.code).not.toBe(0);
    expect(noLog.stderr).toMatch(/--log/);
    const noName = await runCli(["witness", "--dir", wdir, "--log", logKey, "--port", "0"], { env: {}, cwd: dir });
    expect(noName.code).not.toBe(0);
    expect(noName.stderr).toMatch(/give the witness a name/);
    const badLog = await runCli(["witness", "--dir", wdir, "--name", "w.test/a", "--log", "not-a-key", "--port", "0"], { env: {}, cwd: dir });
    expect(badLog.code).not.toBe(0);
    expect(badLog.stderr).toMatch(/--log not-a-key/);

    const started = await startWitnessProcess(["--dir", wdir, "--name", "w.test/a", "--log", logKey, "--port", "0"], { cwd: dir });
    expect((await started.stop()).code).toBe(0);
    const renamed = await runCli(["witness", "--dir", wdir, "--name", "w.test/b", "--log", logKey, "--port", "0"], { env: {}, cwd: dir });
    expect(renamed.code).not.toBe(0);
    expect(renamed.stderr).toMatch(/named w\.test\/a, not w\.test\/b/);
  });

  describe.each(storeTargets)("cosigning for a log on $name", (target) => {
    const signer = ephemeralLogSigner(`gatehouse.test/cli-${target.name}`);
    let wdir: string;
    let port: number;
    let witness: WitnessProcess;
    let gatehouse: Gatehouse;
    let dispose: () => Promise<void>;

    beforeAll(async () => {
      wdir = path.join(dir, `w-${target.name}`);
      port = await freePort();
      const fresh = await target.fresh();
      dispose = fresh.dispose;
      witness = await startWitnessProcess(
        ["--dir", wdir, "--name", `witness.test/cli-${target.name}`, "--port", String(port), "--log", parseVerifierKey(signer.text).text],
        { cwd: dir },
      );
      gatehouse = await createGatehouse({
        databaseUrl: fresh.databaseUrl,
        schema: fresh.schema,
        logSigner: signer,
        secrets: ephemeralSecretBox(),
        logger: capturingLogger(),
        witnessing: { witnesses: [{ name: `witness.test/cli-${target.name}`, url: witness.url, verifier: parseVerifierKey(witness.verifierKey) }], threshold: 1 },
      });
    });
    afterAll(async () => {
      await gatehouse?.close();
      await witness?.stop();
      await dispose?.();
    });

    it("makes its key on first start (mode 0600), prints its verifier key, and cosigns the log's checkpoints", async () => {
      const keyFile = path.join(wdir, "witness.key");
      expect(statSync(keyFile).mode & 0o777).toBe(0o600);
      expect(parseSignerKey(readFileSync(keyFile, "utf8")).text).toBe(witness.verifierKey);
      expect(witness.url).toBe(`http://127.0.0.1:${port}`);

      await recordEvents(gatehouse, 9, "cli");
      await gatehouse.auditLog.flush();
      await gatehouse.cosigner.cosignNow();
      const latest = (await gatehouse.auditLog.latestCheckpoint())!;
      const witnessed = (await gatehouse.cosigner.latestWitnessed())!;
      expect(witnessed.size).toBe(latest.size);
      expect(verifySignature(parseNote(witnessed.cosignedNote), parseVerifierKey(witness.verifierKey)).ok).toBe(true);
    });

    it("keeps its state across a restart: an older checkpoint is refused with the size it cosigned", async () => {
      const cosigned = (await gatehouse.cosigner.latestWitnessed())!;
      expect((await witness.stop()).code).toBe(0);
      witness = await startWitnessProcess(["--dir", wdir, "--port", String(port), "--log", parseVerifierKey(signer.text).text], { cwd: dir });
      const fromZero = await postAddCheckpoint(witness.url, formatAddCheckpoint({ oldSize: 0, proof: [], checkpoint: cosigned.note }));
      expect(fromZero).toEqual({ status: 409, body: `${cosigned.size}\n`, contentType: "text/x.tlog.size" });

      await recordEvents(gatehouse, 4, "after-restart");
      await gatehouse.auditLog.flush();
      await gatehouse.cosigner.cosignNow();
      expect((await gatehouse.cosigner.latestWitnessed())?.size).toBe(cosigned.size + 4);
    });
  });
});

describe.each(storeTargets)("gatehouse start with GATEHOUSE_WITNESSES on $name", (target) => {
  it("asks the configured witness to cosign its checkpoints", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "gatehouse-witnessed-start-"));
    const fresh = await target.fresh();
    const dataDir = path.join(dir, "data");
    const origin = `gatehouse.test/start-${target.name}`;
    // The operator makes the log key first, so the witness can be told the log's verifier key.
    const logSigner = loadLogSigner({ keyFile: path.join(dataDir, "log-signing.key"), origin });
    const witness = await startWitnessProcess(["--dir", path.join(dir, "witness"), "--name", "witness.test/start", "--port", "0", "--log", parseVerifierKey(logSigner.text).text], { cwd: dir });
    const port = await freePort();
    const service = await startService({
      cwd: dir,
      env: {
        GATEHOUSE_PORT: String(port),
        GATEHOUSE_DATA_DIR: dataDir,
        GATEHOUSE_DATABASE_URL: fresh.databaseUrl,
        ...(fresh.schema ? { GATEHOUSE_DATABASE_SCHEMA: fresh.schema } : {}),
        GATEHOUSE_LOG_ORIGIN: origin,
        GATEHOUSE_LOG_LEVEL: "warn",
        GATEHOUSE_WITNESSES: JSON.stringify([{ name: "witness.test/start", url: witness.url, key: witness.verifierKey }]),
        GATEHOUSE_WITNESS_THRESHOLD: "1",
      },
    });
    const store = await openStore({ databaseUrl: fresh.databaseUrl, schema: fresh.schema });
    try {
      // The demo bootstrap records events; their checkpoint gets cosigned shortly after.
      let row: { size: number; signature: string } | undefined;
      for (let i = 0; i < 200 && !row; i++) {
        row = await store.db.selectFrom("log_cosignatures").select(["size", "signature"]).where("witness", "=", "witness.test/start").executeTakeFirst();
        if (!row) await new Promise((r) => setTimeout(r, 50));
      }
      expect(row, service.stdout() + service.stderr()).toBeDefined();
      const checkpoint = await store.db.selectFrom("log_checkpoints").select("note").where("size", "=", row!.size).executeTakeFirstOrThrow();
      const note = parseNote(`${parseNote(checkpoint.note).text}\n${row!.signature}\n`);
      expect(verifySignature(note, parseVerifierKey(witness.verifierKey)).ok).toBe(true);
    } finally {
      await store.close();
      expect((await service.stop()).code).toBe(0);
      await witness.stop();
      await fresh.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
