import type { Command } from "commander";
import { actionContext } from "../../audit/recorder.js";
import { systemActor } from "../../audit/actor.js";
import { loadConfig } from "../../config/config.js";
import { openGatehouse } from "../open-gatehouse.js";
import { defaultTenantSettings, environmentSpecSchema } from "../../tenancy/settings.js";
import { parseInput } from "../../shared/validation.js";
import { printJson } from "../output.js";

/** Operator commands that work on the store directly: tenants exist before anyone has a key. */
export function tenantCommands(program: Command): void {
  const tenant = program.command("tenant").description("create tenants (works on the store directly)");
  tenant
    .command("create <name>")
    .description("create a tenant with its environments and an owner; prints the owner's admin key once")
    .option("--environments <list>", "comma-separated environments; mark production ones with :production", "staging,production:production")
    .option("--owner <name>", "name of the owner user", "owner")
    .action(async (name: string, options: { environments: string; owner: string }) => {
      const config = loadConfig();
      const gatehouse = await openGatehouse(config);
      try {
        const environments = options.environments.split(",").map((entry, i) => {
          const [envName, flag] = entry.trim().split(":");
          return parseInput(environmentSpecSchema, { name: envName, production: flag === "production" }, `environments[${i}]`);
        });
        const result = await gatehouse.transaction(async (trx) => {
          const ctx = actionContext(systemActor("cli"));
          const created = await gatehouse.tenants.create(trx, ctx, { name, settings: defaultTenantSettings(), environments });
          const owner = await gatehouse.principals.create(trx, ctx, created.id, { kind: "user", name: options.owner, role: "owner" });
          const key = await gatehouse.apiKeys.issue(trx, ctx, created.id, { principal: owner, kind: "admin", environmentId: null, label: "tenant-create" });
          return { tenant: created.name, owner: owner.name, admin_key: key.plain };
        });
        printJson({ ...result, note: "the admin key is shown once and stored only as a hash" });
      } finally {
        await gatehouse.close();
      }
    });
}
