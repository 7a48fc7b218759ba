import type { Migration, MigrationProvider } from "kysely";
import type { Dialect } from "../dialect.js";
import { foundation } from "./0001-foundation.js";
import { auditLog } from "./0002-audit-log.js";
import { auditRetention } from "./0003-audit-retention.js";
import { gatewayUsage } from "./0004-gateway-usage.js";
import { providerCredentials } from "./0005-provider-credentials.js";
import { storeGeneration } from "./0006-store-generation.js";
import { agents } from "./0007-agents.js";
import { taskLabels } from "./0008-task-labels.js";
import { agentMessages } from "./0009-agent-messages.js";
import { agentMessageIndexes } from "./0010-agent-message-indexes.js";

/** Migrations live in code (not loaded from disk) so the built package and the tests run the same list. */
export function migrationProvider(dialect: Dialect): MigrationProvider {
  return {
    async getMigrations(): Promise<Record<string, Migration>> {
      return {
        "0001-foundation": foundation(dialect),
        "0002-audit-log": auditLog(dialect),
        "0003-audit-retention": auditRetention(dialect),
        "0004-gateway-usage": gatewayUsage(dialect),
        "0005-provider-credentials": providerCredentials(),
        "0006-store-generation": storeGeneration(dialect),
        "0007-agents": agents(),
        "0008-task-labels": taskLabels(),
        "0009-agent-messages": agentMessages(),
        "0010-agent-message-indexes": agentMessageIndexes(),
      };
    },
  };
}
