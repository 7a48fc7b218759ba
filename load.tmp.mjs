import { Pool } from "undici";
import { readFileSync } from "node:fs";
const key = JSON.parse(readFileSync("/tmp/gh-data/bootstrap-credentials.json", "utf8")).app_key;
const pool = new Pool("http://127.0.0.1:7800", { connections: 16 });
const rate = Number(process.argv[2] ?? 500), secs = Number(process.argv[3] ?? 10);
const body = JSON.stringify({ model: "demo", messages: [{ role: "user", content: "Summarise the quarterly report for the team in three bullet points please." }] });
const lat = [];
const start = performance.now();
let sent = 0;
const inflight = new Set();
while (performance.now() - start < secs * 1000) {
  const due = Math.floor(((performance.now() - start) / 1000) * rate);
  while (sent < due) {
    sent++;
    const t0 = performance.now();
    const p = pool.request({ path: "/v1/chat/completions", method: "POST", headers: { "content-type": "application/json", authorization: `Bearer ${key}` }, body }).then(async (r) => { await r.body.text(); lat.push(performance.now() - t0); });
    inflight.add(p); p.finally(() => inflight.delete(p));
  }
  await new Promise((r) => setTimeout(r, 1));
}
await Promise.all(inflight);
lat.sort((a, b) => a - b);
console.log(`n ${lat.length} p50 ${lat[Math.floor(lat.length / 2)].toFixed(2)} p99 ${lat[Math.floor(lat.length * 0.99)].toFixed(2)}`);
await pool.close();
