import { Command, CommanderError } from "commander";
import { ConfigError } from "../config/config.js";
import { DirectoryError } from "../config-as-code/directory.js";
import { AdminApiError } from "./admin-client.js";
import { agentCommands, changeCommands, peopleCommands, registryCommands } from "./commands/admin.js";
import { agentKeyCommands, grantCommands } from "./commands/agent-access.js";
import { auditCommands } from "./commands/audit.js";
import { configAsCodeCommands } from "./commands/config-as-code.js";
import { guardCommands } from "./commands/guard.js";
import { policyCommands } from "./commands/policy.js";
import { serveCommands } from "./commands/serve.js";
import { storeCommands } from "./commands/store.js";
import { tenantCommands } from "./commands/tenant.js";
import { witnessCommands } from "./commands/witness.js";

const program = new Command()
  .name("gatehouse")
  .description("Gatehouse: the governed pathway for AI traffic")
  .option("--url <url>", "admin API base URL (GATEHOUSE_URL; default http://127.0.0.1:7800)")
  .option("--key <key>", "admin API key (GATEHOUSE_ADMIN_KEY)")
  .showHelpAfterError()
  .exitOverride();

serveCommands(program);
tenantCommands(program);
registryCommands(program);
const agents = program.commands.find((c) => c.name() === "agents") as Command;
agentCommands(agents);
agentKeyCommands(agents);
changeCommands(program);
grantCommands(program);
peopleCommands(program);
configAsCodeCommands(program);
auditCommands(program);
guardCommands(program);
policyCommands(program);
witnessCommands(program);
storeCommands(program);

try {
  await program.parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) process.exit(error.exitCode);
  // Expected failures (bad configuration, bad directory, refused API call) print their message only.
  const expected = error instanceof ConfigError || error instanceof DirectoryError || error instanceof AdminApiError;
  console.error(`gatehouse: ${expected ? (error as Error).message : String((error as Error).stack ?? error)}`);
  process.exit(1);
}
