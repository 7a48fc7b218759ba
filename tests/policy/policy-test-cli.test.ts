import { cpSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { runCli } from "../support/service.js";

const demo = fileURLToPath(new URL("../../examples/demo", import.meta.url));

describe("gatehouse policy test", () => {
  const cwd = mkdtempSync(path.join(tmpdir(), "gatehouse-policy-test-"));

  it("passes the demo's fixtures against the demo's policies", async () => {
    const run = await runCli(["policy", "test", path.join(demo, "policy-tests")], { cwd, env: {} });
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^10 passed, 0 failed$/m);
  });

  it("fails, naming the fixture, when a fixture expects the wrong decision or the wrong deciding policy", async () => {
    const config = path.join(cwd, "config");
    cpSync(demo, config, { recursive: true });
    writeFileSync(
      path.join(config, "policy-tests", "wrong.yaml"),
      [
        "- name: expects a card number to reach an external model",
        "  principal: { type: Application, id: app, attrs: { environment: production } }",
        "  action: invoke_model",
        "  resource: { type: Model, id: gpt, attrs: { provider: openai, region: us, external: true, task_classes: [chat], owner: p } }",
        "  context: { data_classes: [pii] }",
        "  expect: allow",
        "- name: names the wrong policy",
        "  principal: { type: Application, id: app, attrs: { environment: production } }",
        "  action: invoke_model",
        "  resource: { type: Model, id: gpt, attrs: { provider: openai, region: us, external: true, task_classes: [chat], owner: p } }",
        "  context: { data_classes: [pii] }",
        "  expect: deny",
        "  policies: [eu-data-stays-in-eu]",
      ].join("\n"),
    );
    const run = await runCli(["policy", "test", path.join(config, "policy-tests")], { cwd, env: {} });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("FAIL wrong.yaml: expects a card number to reach an external model — expected allow, got deny (decided by pii-never-external)");
    expect(run.stdout).toContain("FAIL wrong.yaml: names the wrong policy — expected the decision of eu-data-stays-in-eu, got pii-never-external");
    expect(run.stdout).toMatch(/^10 passed, 2 failed$/m);
  });

  it("refuses a malformed fixture, naming the file and the field", async () => {
    const dir = path.join(cwd, "bad", "policy-tests");
    cpSync(demo, path.join(cwd, "bad"), { recursive: true });
    writeFileSync(path.join(dir, "broken.yaml"), "- name: no action\n  principal: { type: User, id: u }\n  resource: { type: Model, id: m }\n  expect: maybe\n");
    const run = await runCli(["policy", "test", dir], { cwd, env: {} });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/broken\.yaml: fixture 1: action/);
  });
});
