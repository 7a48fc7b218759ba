import { ephemeralSecretBox } from "../../src/secrets/secret-box.js";
import type { FastifyInstance, InjectOptions } from "fastify";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import { ephemeralLogSigner } from "../../src/audit/log/signing-key.js";
import { createGatehouse, type Gatehouse } from "../../src/gatehouse.js";
import { buildServer } from "../../src/http/server.js";
import type { ModelGatewayOptions } from "../../src/gateway/model-gateway.js";
import type { WebhookOptions } from "../../src/agents/messages/message-webhooks.js";
import { roles, type Role } from "../../src/tenancy/roles.js";
import { defaultTenantSettings, type TenantSettings } from "../../src/tenancy/settings.js";
import type { StoreTarget } from "./stores.js";

export interface Response<T = any> {
  status: number;
  body: T;
  headers: Record<string, unknown>;
}

/** A tenant with one user per role, each with an admin key, plus a second approver and an app key. */
export interface TestTenant {
  id: string;
  name: string;
  keys: Record<Role | "approver2" | "serviceAccount", string>;
  principalIds: Record<Role | "approver2" | "serviceAccount" | "app", string>;
  appKey: string;
}

export interface Harness {
  gatehouse: Gatehouse;
  /** The database it runs on (another harness may share it: options.sameDatabaseAs). */
  database: { databaseUrl: string; schema?: string };
  app: FastifyInstance;
  /** Calls the admin API in-process (Fastify inject): path is relative to /admin/v1. */
  admin<T = any>(key: string | undefined, method: InjectOptions["method"], path: string, body?: unknown): Promise<Response<T>>;
  createTenant(name: string, settings?: Partial<TenantSettings["approvals"]>): Promise<TestTenant>;
  close(): Promise<void>;
}

export async function startHarness(
  target: StoreTarget,
  options: { bodyLimitBytes?: number; gateway?: ModelGatewayOptions; guardWorkers?: number; messageWebhooks?: WebhookOptions; /** Run as a second process on this harness's database (left to it to remove). */ sameDatabaseAs?: Harness } = {},
): Promise<Harness> {
  const shared = options.sameDatabaseAs?.database;
  const db = shared ? { ...shared, dispose: async () => undefined } : await target.fresh();
  const gatehouse = await createGatehouse({
    databaseUrl: db.databaseUrl,
    schema: db.schema,
    logSigner: ephemeralLogSigner(),
    secrets: ephemeralSecretBox(),
    gateway: options.gateway,
    guardWorkers: options.guardWorkers,
    ...(options.messageWebhooks ? { messageWebhooks: options.messageWebhooks } : {}),
  });
  const app = await buildServer(gatehouse, {
    config: { bodyLimitBytes: options.bodyLimitBytes ?? 1024 * 1024, logLevel: "silent" },
  });

  const admin: Harness["admin"] = async (key, method, path, body) => {
    const response = await app.inject({
      method,
      url: `/admin/v1${path}`,
      headers: {
        ...(key ? { authorization: `Bearer ${key}` } : {}),
        ...(body !== undefined ? { "content-type": "application/json" } : {}),
      },
      payload: body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body),
    });
    return {
      status: response.statusCode,
      body: response.body ? JSON.parse(response.body) : undefined,
      headers: response.headers,
    };
  };

  const createTenant: Harness["createTenant"] = async (name, approvals = {}) =>
    gatehouse.transaction(async (trx) => {
      const ctx = actionContext(systemActor("test"));
      const settings = defaultTenantSettings();
      settings.approvals = { ...settings.approvals, ...approvals };
      const tenant = await gatehouse.tenants.create(trx, ctx, {
        name,
        settings,
        environments: [
          { name: "staging", production: false },
          { name: "production", production: true },
        ],
      });
      const keys = {} as TestTenant["keys"];
      const principalIds = {} as TestTenant["principalIds"];
      const people: [keyof TestTenant["keys"], "user" | "service_account", Role][] = [
        ...roles.map((role) => [role, "user", role] as [Role, "user", Role]),
        ["approver2", "user", "approver"],
        ["serviceAccount", "service_account", "approver"],
      ];
      for (const [label, kind, role] of people) {
        const principal = await gatehouse.principals.create(trx, ctx, tenant.id, { kind, name: `${label}@${name}`, role });
        const issued = await gatehouse.apiKeys.issue(trx, ctx, tenant.id, { principal, kind: "admin", environmentId: null, label });
        keys[label] = issued.plain;
        principalIds[label] = principal.id;
      }
      const app = await gatehouse.principals.create(trx, ctx, tenant.id, { kind: "application", name: `app@${name}` });
      const production = await gatehouse.tenants.environment(tenant.id, "production", trx);
      const appKey = await gatehouse.apiKeys.issue(trx, ctx, tenant.id, { principal: app, kind: "app", environmentId: production.id, label: "app" });
      principalIds.app = app.id;
      return { id: tenant.id, name, keys, principalIds, appKey: appKey.plain };
    });

  return {
    gatehouse,
    database: { databaseUrl: db.databaseUrl, ...(db.schema ? { schema: db.schema } : {}) },
    app,
    admin,
    createTenant,
    async close() {
      await app.close();
      await gatehouse.close();
      await db.dispose();
    },
  };
}

/** Specs that pass validation, for tests that need a record of each kind. */
export const sampleSpecs = {
  agent: {
    purpose: "answers questions",
    capabilities: { tools: ["lookup"], dataSources: ["kb"], models: ["demo"] },
    environments: ["staging", "production"],
    limits: { concurrency: 2, tokensPerDay: 1000 },
  },
  tool: {
    kind: "http",
    endpoint: "https://tools.example.test/lookup",
    sideEffect: "read",
    argumentsSchema: { type: "object", properties: { id: { type: "string" } } },
    dataSources: ["kb"],
  },
  data_source: { kind: "database", sensitivity: "confidential", region: "eu", retentionDays: 30 },
  model: {
    provider: "openai",
    upstreamModel: "gpt-4o-mini",
    endpoint: "https://api.example.test/v1",
    region: "us",
    external: true,
    pricing: { inputPer1k: 0.1, outputPer1k: 0.2 },
    taskClasses: ["chat"],
  },
  prompt_template: { text: "Hello {{name}}", variables: ["name"], maxSensitivity: "internal" },
  policy: { text: 'permit (principal, action, resource);', environments: [] },
  policy_test: {
    fixtures: [
      {
        name: "an application may call an internal model",
        principal: { type: "Application", id: "app", attrs: { environment: "production" } },
        action: "invoke_model",
        resource: { type: "Model", id: "internal", attrs: { provider: "vllm", region: "eu", external: false, task_classes: ["chat"], owner: "platform" } },
        expect: "allow",
      },
    ],
  },
} as const;
