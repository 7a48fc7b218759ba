import { chmodSync, writeFileSync } from "node:fs";
import path from "node:path";
import { actionContext, type ActionContext } from "../audit/recorder.js";
import { systemActor } from "../audit/actor.js";
import { isTenantDocument, kindOf, type RecordDocument } from "../config-as-code/documents.js";
import { readDirectory } from "../config-as-code/directory.js";
import type { Gatehouse } from "../gatehouse.js";
import type { LifecycleEvent } from "../lifecycle/agent-states.js";
import type { Executor } from "../store/database.js";
import { GatehouseError } from "../shared/errors.js";
import { packageRoot } from "../shared/package-root.js";

export const demoDirectory = path.join(packageRoot(), "examples/demo");

export interface BootstrapCredentials {
  tenant: string;
  admin_key: string;
  app_key: string;
  admin_principal: string;
  app_principal: string;
  app_environment: string;
}

/**
 * On first start with an empty store, loads the demo workspace and writes the credentials
 * to bootstrap-credentials.json (mode 0600) in the data directory. The file is the only
 * place the plain keys ever exist; they are never logged.
 */
export async function bootstrapDemo(
  gatehouse: Gatehouse,
  options: { dataDir: string; directory?: string },
): Promise<{ credentialsFile: string } | undefined> {
  if ((await gatehouse.tenants.count()) > 0) return undefined;
  const documents = readDirectory(options.directory ?? demoDirectory);
  const tenantDoc = documents.find(isTenantDocument);
  if (!tenantDoc) throw new Error("the demo workspace has no Tenant document");

  let credentials: BootstrapCredentials;
  try {
    credentials = await gatehouse.transaction(async (trx) => {
      const ctx = actionContext(systemActor("bootstrap"));
      const tenant = await gatehouse.tenants.create(trx, ctx, {
        name: tenantDoc.name,
        settings: tenantDoc.spec.settings,
        environments: tenantDoc.spec.environments,
      });
      const owner = await gatehouse.principals.create(trx, ctx, tenant.id, {
        kind: "user",
        name: `owner@${tenant.name}`,
        role: "owner",
      });
      const adminKey = await gatehouse.apiKeys.issue(trx, ctx, tenant.id, {
        principal: owner,
        kind: "admin",
        environmentId: null,
        label: "bootstrap",
      });
      const production = (await gatehouse.tenants.environments(tenant.id, trx)).find((e) => e.production);
      if (!production) throw new Error("the demo tenant needs a production environment");
      const app = await gatehouse.principals.create(trx, ctx, tenant.id, { kind: "application", name: "demo-app" });
      const appKey = await gatehouse.apiKeys.issue(trx, ctx, tenant.id, {
        principal: app,
        kind: "app",
        environmentId: production.id,
        label: "bootstrap",
      });
      for (const doc of documents) {
        if (isTenantDocument(doc)) continue;
        await gatehouse.registry.write(trx, ctx, { tenantId: tenant.id, kind: kindOf(doc), name: doc.name, owner: doc.owner, spec: doc.spec });
        if (doc.lifecycle) await seedLifecycle(gatehouse, trx, ctx, tenant.id, doc);
      }
      return {
        tenant: tenant.name,
        admin_key: adminKey.plain,
        app_key: appKey.plain,
        admin_principal: owner.name,
        app_principal: app.name,
        app_environment: production.name,
      };
    });
  } catch (error) {
    // Another Gatehouse process sharing the store bootstrapped first.
    if (error instanceof GatehouseError && error.code === "conflict") return undefined;
    throw error;
  }
  const credentialsFile = path.join(options.dataDir, "bootstrap-credentials.json");
  writeFileSync(credentialsFile, JSON.stringify(credentials, null, 2) + "\n", { mode: 0o600 });
  chmodSync(credentialsFile, 0o600);
  return { credentialsFile };
}

/** Drives a demo agent through the lifecycle to the state its document names. */
async function seedLifecycle(gatehouse: Gatehouse, trx: Executor, ctx: ActionContext, tenantId: string, doc: RecordDocument) {
  const target = doc.lifecycle;
  if (!target || target.state === "draft") return;
  if (target.state === "pending_approval") {
    await gatehouse.agents.submit(trx, ctx, tenantId, doc.name, "demo workspace");
    return;
  }
  const events: LifecycleEvent[] = [{ type: "submit" }, { type: "approve" }];
  for (const environment of target.environments) events.push({ type: "activate", environment });
  if (target.state === "suspended") events.push({ type: "suspend" });
  if (target.state === "retired") events.push({ type: "retire" });
  for (const event of events) {
    const agent = await gatehouse.registry.get(tenantId, "agent", doc.name, trx);
    await gatehouse.lifecycle.apply(trx, ctx, agent, event, { reason: "demo workspace" });
  }
}
