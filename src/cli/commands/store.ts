import type { Command } from "commander";
import { loadConfig } from "../../config/config.js";
import { grantAppRole } from "../../store/postgres-roles.js";
import { openGatehouse } from "../open-gatehouse.js";

/** Operator commands on the store itself. */
export function storeCommands(program: Command): void {
  const store = program.command("store").description("operator commands on the store (run as the schema owner)");
  store
    .command("grant-app-role <role>")
    .description("PostgreSQL: let ROLE run Gatehouse with only INSERT and SELECT on the audit log tables")
    .action(async (role: string) => {
      const config = loadConfig();
      const gatehouse = await openGatehouse(config);
      try {
        if (gatehouse.store.dialect !== "postgres") throw new Error("grant-app-role is for PostgreSQL stores");
        await grantAppRole(gatehouse.store.db, role, config.databaseSchema);
        console.log(`granted ${role} the application's rights on schema ${config.databaseSchema}; the log tables are insert-only for it`);
      } finally {
        await gatehouse.close();
      }
    });
}
