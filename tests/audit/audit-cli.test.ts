import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { freePort, runCli, startService } from "../support/service.js";
import { storeTargets } from "../support/stores.js";

/**
 * The audit commands as an operator uses them: the built service runs on a fresh data directory
 * and takes a few admin calls; then `gatehouse audit …` works on the same store.
 */
describe.each(storeTargets)("gatehouse audit on $name", (target) => {
  let dir: string;
  let env: Record<string, string>;
  let dispose: (() => Promise<void>) | undefined;
  let logKey: string;
  let liveExport: Awaited<ReturnType<typeof runCli>>;
  const file = (name: string) => path.join(dir, name);
  const cli = (...args: string[]) => runCli(["audit", ...args], { env, cwd: dir, timeoutMs: 30_000 });

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "gatehouse-audit-cli-"));
    env = { GATEHOUSE_DATA_DIR: path.join(dir, "data"), GATEHOUSE_LOG_LEVEL: "silent" };
    if (target.name === "postgres") {
      const fresh = await target.fresh();
      env = { ...env, GATEHOUSE_DATABASE_URL: fresh.databaseUrl, GATEHOUSE_DATABASE_SCHEMA: fresh.schema ?? "public" };
      dispose = () => fresh.dispose();
    }
    const service = await startService({ cwd: dir, env: { ...env, GATEHOUSE_PORT: String(await freePort()) } });
    try {
      const { admin_key: adminKey } = JSON.parse(readFileSync(file("data/bootstrap-credentials.json"), "utf8")) as { admin_key: string };
      const call = async (method: string, urlPath: string, body?: unknown) => {
        const res = await fetch(`${service.baseUrl}/admin/v1${urlPath}`, {
          method,
          headers: { authorization: `Bearer ${adminKey}`, ...(body ? { "content-type": "application/json" } : {}) },
          body: body ? JSON.stringify(body) : undefined,
        });
        expect(res.status, await res.text()).toBeLessThan(300);
      };
      await call("GET", "/whoami");
      await call("GET", "/agents");
      await call("POST", "/principals", { kind: "user", name: "audrey", role: "auditor" });
      await call("GET", "/principals");
      liveExport = await cli("export", "--out", file("live.jsonl"));
    } finally {
      // Stopping flushes the log; the export would flush it too.
      expect((await service.stop()).code).toBe(0);
    }
  });

  afterAll(async () => {
    await dispose?.();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("prints the log's verifier key", async () => {
    const key = await cli("key");
    expect(key.code, key.stderr).toBe(0);
    logKey = key.stdout.trim();
    expect(logKey).toMatch(/^gatehouse\.local\/audit\+[0-9a-f]{8}\+[A-Za-z0-9+/]{44}$/);
  });

  it("exports the log, and the export verifies with that key", async () => {
    const exported = await cli("export", "--out", file("log.jsonl"));
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^exported \d+ entries and \d+ checkpoints/);
    expect(statSync(file("log.jsonl")).mode & 0o777).toBe(0o600);
    const lines = readFileSync(file("log.jsonl"), "utf8").trim().split("\n");
    expect(JSON.parse(lines[0] as string)).toEqual({ type: "log", origin: "gatehouse.local/audit", key: logKey });
    expect(lines.some((l) => l.includes('\\"action\\":\\"principal.create\\"'))).toBe(true);

    const verified = await cli("verify", file("log.jsonl"), "--key", logKey);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^ok: \d+ entries and \d+ checkpoints of gatehouse\.local\/audit verified/);
    expect(verified.stderr).toBe("");
  });

  it("exports while the service runs, every acknowledged event included", async () => {
    expect(liveExport.code, liveExport.stderr).toBe(0);
    const lines = readFileSync(file("live.jsonl"), "utf8").trim().split("\n");
    expect(lines.some((l) => l.includes('\\"action\\":\\"principal.create\\"') && l.includes('\\"name\\":\\"audrey\\"'))).toBe(true);
    const verified = await cli("verify", file("live.jsonl"), "--key", logKey);
    expect(verified.code, verified.stderr).toBe(0);
  });

  it("verifies with the file's own key only with a warning that this proves nothing", async () => {
    const verified = await cli("verify", file("log.jsonl"));
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stderr).toMatch(/warning: no log key given: trusting the key named in the file itself/);
  });

  it("exits 1 naming the entry whose payload lost or gained one byte", async () => {
    const lines = readFileSync(file("log.jsonl"), "utf8").split("\n");
    const i = lines.findIndex((l) => l.includes('\\"action\\":\\"principal.create\\"') && l.includes('\\"name\\":\\"audrey\\"'));
    const seq = (JSON.parse(lines[i] as string) as { seq: number }).seq;
    const at = (lines[i] as string).indexOf('\\"name\\":\\"audrey\\"', (lines[i] as string).indexOf('\\"payload\\"')) + '\\"name\\":\\"'.length;
    expect(at).toBeGreaterThan(100);
    lines[i] = (lines[i] as string).slice(0, at) + "A" + (lines[i] as string).slice(at + 1);
    writeFileSync(file("tampered.jsonl"), lines.join("\n"));

    const verified = await cli("verify", file("tampered.jsonl"), "--key", logKey);
    expect(verified.code).toBe(1);
    expect(verified.stdout).toBe("");
    expect(verified.stderr).toMatch(new RegExp(`verification failed: entry ${seq}: leaf hash does not match checkpoint \\d+'s root`));
  });

  it("refuses the export under another log's key", async () => {
    const verified = await cli("verify", file("log.jsonl"), "--key", ephemeralLogSigner("gatehouse.local/audit").text);
    expect(verified.code).toBe(1);
    expect(verified.stderr).toMatch(/checkpoint \d+: not signed by the log key/);
  });

  it("proves one entry's inclusion, and the proof checks offline", async () => {
    const proof = await cli("proof", "--seq", "3");
    expect(proof.code, proof.stderr).toBe(0);
    const bundle = JSON.parse(proof.stdout) as { index: number; entry: string; checkpoint: string; proof: string[] };
    expect(bundle.index).toBe(3);
    expect((JSON.parse(bundle.entry) as { seq: number }).seq).toBe(3);
    expect(bundle.proof.length).toBeGreaterThan(0);
    writeFileSync(file("proof.json"), proof.stdout);

    const verified = await cli("verify-proof", file("proof.json"), "--key", logKey);
    expect(verified.code, verified.stderr).toBe(0);
    expect(verified.stdout).toMatch(/^ok: entry 3 is in the log gatehouse\.local\/audit at checkpoint size \d+/);

    writeFileSync(file("forged-proof.json"), JSON.stringify({ ...bundle, entry: bundle.entry.replace('"seq":3', '"seq":3 ') }));
    const forged = await cli("verify-proof", file("forged-proof.json"), "--key", logKey);
    expect(forged.code).toBe(1);
    expect(forged.stderr).toMatch(/proof verification failed: entry 3: the inclusion proof does not lead to checkpoint \d+'s root/);

    const beyond = await cli("proof", "--seq", "999999");
    expect(beyond.code).toBe(1);
    expect(beyond.stderr).toMatch(/entry 999999 is not in the log/);
  });

  it("refuses to open a store that has no log", async () => {
    const res = await runCli(["audit", "export", "--out", file("nothing.jsonl")], { env: { GATEHOUSE_DATA_DIR: file("empty") }, cwd: dir });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no audit log key at/);
  });
});
