import type { Command } from "commander";
import { loadConfig } from "../../config/config.js";
import { GuardChecker } from "../../guards/guard-check.js";
import { inputGuardPolicy } from "../../guards/guard-policy.js";
import { ContentGuard } from "../../guards/output/content-guard.js";

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export function guardCommands(program: Command): void {
  const guard = program.command("guard").description("the input and output guards, offline");
  guard
    .command("check")
    .description(
      "check the text on standard input as POST /v1/guard/check does (input: under the configuration's guard defaults; output: the output guards' default leak and abuse checks); prints the verdict as JSON, exits 1 when it is block",
    )
    .option("--direction <direction>", "input (to a model) or output (from one)", "input")
    .action(async (options: { direction: string }) => {
      if (options.direction !== "input" && options.direction !== "output") throw new Error("--direction must be input or output");
      const text = await readStdin();
      const result =
        options.direction === "input"
          ? new GuardChecker().check(text, inputGuardPolicy(loadConfig().guards.input))
          : await new ContentGuard(async () => []).review(undefined, undefined, text);
      console.log(JSON.stringify(result, null, 2));
      if (result.verdict === "block") process.exitCode = 1;
    });
}
