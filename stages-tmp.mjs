import { spawn, fork } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { Pool } from "undici";
const dir = mkdtempSync("/tmp/stg-");
const port = 9455, upPort = 9456;
const up = fork("/work/main/dist-bench/bench/chat-upstream.js", [], { stdio: ["ignore", "ignore", "ignore", "ipc"] });
const upPortReal = await new Promise((r) => up.once("message", (m) => r(typeof m === "object" ? m.port : m)));
const child = spawn(process.execPath, ["/work/main/bin/gatehouse.js", "start"], { env: { ...process.env, GATEHOUSE_DATA_DIR: dir, GATEHOUSE_PORT: String(port), GATEHOUSE_LOG_LEVEL: "warn", GATEHOUSE_DEMO: "true" }, stdio: "inherit" });
const base = `http://127.0.0.1:${port}`;
for (;;) { try { if ((await fetch(`${base}/readyz`)).status === 200) break; } catch {} await new Promise((r) => setTimeout(r, 20)); }
const cred = JSON.parse(readFileSync(`${dir}/bootstrap-credentials.json`, "utf8"));
const admin = (m, p, b) => fetch(`${base}/admin/v1${p}`, { method: m, headers: { authorization: `Bearer ${cred.admin_key}`, "content-type": "application/json" }, body: b && JSON.stringify(b) }).then((r) => r.json());
await admin("POST", "/models", { name: "bench-upstream", owner: "platform-team", spec: { provider: "openai-compatible", upstreamModel: "bench-model", endpoint: `http://127.0.0.1:${upPortReal}/v1`, region: "us", external: false, pricing: { inputPer1k: 0.0001, outputPer1k: 0.0002 }, taskClasses: ["chat"], aliases: [] }, justification: "x" });
await admin("PUT", "/models/bench-upstream/credential", { secret: "sk-bench-upstream-credential" });
const pool = new Pool(base, { connections: 4 });
const body = JSON.stringify({ model: "bench-upstream", messages: [{ role: "system", content: "You are a helpful assistant." }, { role: "user", content: "Say hello in one short sentence." }], max_tokens: 32 });
const lat = [];
for (let i = 0; i < Number(process.env.N ?? 1500); i++) {
  const s = performance.now();
  const r = await pool.request({ method: "POST", path: "/v1/chat/completions", headers: { authorization: `Bearer ${cred.app_key}`, "content-type": "application/json" }, body });
  await r.body.text();
  lat.push(performance.now() - s);
  await new Promise((r) => setTimeout(r, 2));
}
lat.sort((a, b) => a - b);
console.log("sequential latency p50", lat[lat.length >> 1].toFixed(3), "p90", lat[Math.floor(lat.length * 0.9)].toFixed(3), "p99", lat[Math.floor(lat.length * 0.99)].toFixed(3));
const events = await admin("GET", "/events?limit=200&action=model.invoke");
const rows = (events.events ?? events.items ?? events).filter?.((e) => e.payload?.stageMs) ?? [];
const sums = {}; for (const e of rows) for (const [k, v] of Object.entries(e.payload.stageMs)) (sums[k] ??= []).push(v);
for (const [k, v] of Object.entries(sums)) { v.sort((a, b) => a - b); console.log(k.padEnd(16), "p50", v[v.length >> 1], "p90", v[Math.floor(v.length * 0.9)]); }
if (!rows.length) console.log(JSON.stringify(events).slice(0, 500));
child.kill("SIGTERM"); up.kill();
