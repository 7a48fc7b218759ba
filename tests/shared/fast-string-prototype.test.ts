import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

/**
 * ioredis's `class VerbatimString extends String` leaves String.prototype a dictionary in V8,
 * which makes every string method call in optimised code slow. shared/redis.ts, which loads
 * ioredis, makes it fast again. Checked in a child process (V8's natives syntax is off here), on
 * the built modules (`npm test` builds them first), resolved from the project's root.
 */
const fastAfter = (specifier: string, then = ""): boolean => {
  const script = `const loaded = await import(${JSON.stringify(specifier)}); ${then} console.log(%HasFastProperties(String.prototype));`;
  const out = execFileSync(process.execPath, ["--allow-natives-syntax", "--input-type=module", "-e", script], { cwd: fileURLToPath(new URL("../..", import.meta.url)), encoding: "utf8" });
  return out.trim() === "true";
};

describe("String.prototype stays fast", () => {
  it("is slowed by ioredis alone (what the fix is for)", () => {
    expect(fastAfter("ioredis")).toBe(false);
  });

  it("is fast once the gateway is loaded", () => {
    expect(fastAfter("./dist/gatehouse.js")).toBe(true);
  });

  it("is fast again once a process has loaded ioredis to connect to Redis", () => {
    // Nothing listens on port 1: the connection fails at once, after ioredis is loaded.
    expect(fastAfter("./dist/shared/redis.js", `await loaded.connectRedis("redis://127.0.0.1:1").catch(() => undefined);`)).toBe(true);
  });
});
