import type { Command } from "commander";
import { loadConfig } from "../../config/config.js";
import { bootstrapDemo } from "../../demo/bootstrap.js";
import { openGatehouse } from "../open-gatehouse.js";
import { buildServer } from "../../http/server.js";

export function serveCommands(program: Command): void {
  program
    .command("start")
    .description("run the gateway (embedded SQLite store and demo workspace by default)")
    .action(async () => {
      const config = loadConfig();
      const gatehouse = await openGatehouse(config);
      const app = await buildServer(gatehouse, { config });
      if (config.demo) {
        const boot = await bootstrapDemo(gatehouse, { dataDir: config.dataDir });
        if (boot) app.log.info({ credentialsFile: boot.credentialsFile }, "demo workspace created; credentials written (mode 0600)");
      }
      const address = await app.listen({ port: config.port, host: config.host });
      gatehouse.retention.start();
      app.log.info({ address, store: gatehouse.store.dialect }, `Gatehouse listening on ${address}`);
      const resumed = await gatehouse.agentAccess.messages.resumeWebhooks();
      if (resumed > 0) app.log.info({ messages: resumed }, "resumed webhook deliveries of messages between agents");
      const stop = async (signal: string) => {
        app.log.info({ signal }, "shutting down");
        await app.close();
        await gatehouse.close();
        process.exit(0);
      };
      process.once("SIGINT", () => void stop("SIGINT"));
      process.once("SIGTERM", () => void stop("SIGTERM"));
    });

  program
    .command("migrate")
    .description("bring the store's schema up to date and exit")
    .action(async () => {
      const config = loadConfig();
      const gatehouse = await openGatehouse(config);
      await gatehouse.close();
      console.log(`store ${gatehouse.store.dialect} is up to date`);
    });
}
