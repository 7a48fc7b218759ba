import path from "node:path";
import type { Command } from "commander";
import { runPolicyTests } from "../../policy/policy-tests.js";

export function policyCommands(program: Command): void {
  const policy = program.command("policy").description("Cedar policies, offline");
  policy
    .command("test")
    .description("run the policy fixtures in DIR against a configuration directory's policies; exits 1 on any mismatch")
    .argument("<dir>", "directory of fixture files (*.yaml)")
    .option("--config <dir>", "the configuration directory holding the policies (default: the parent of DIR)")
    .action((dir: string, options: { config?: string }) => {
      const results = runPolicyTests(dir, options.config ?? path.dirname(path.resolve(dir)));
      for (const r of results) console.log(`${r.ok ? "ok  " : "FAIL"} ${path.basename(r.source)}: ${r.name}${r.problem ? ` — ${r.problem}` : ""}`);
      const failed = results.filter((r) => !r.ok).length;
      console.log(`${results.length - failed} passed, ${failed} failed`);
      if (failed > 0 || results.length === 0) process.exitCode = 1;
    });
}
