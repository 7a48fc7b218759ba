import { expect } from "vitest";
import { generateAgentKey, ProofSigner, type PrivateAgentJwk } from "../../src/sdk/proof-signer.js";
import { PROOF_HEADER } from "../../src/agents/identity/proof-format.js";
import { actionContext } from "../../src/audit/recorder.js";
import { systemActor } from "../../src/audit/actor.js";
import type { Kind } from "../../src/registry/kinds.js";
import { agentIn } from "../support/admin-fixtures.js";
import type { Harness, Response, TestTenant } from "../support/harness.js";

/** The host agent requests are addressed to in-process (Fastify inject). */
export const HOST = "gatehouse.test";

export interface TestAgent {
  name: string;
  privateJwk: PrivateAgentJwk;
  signer: ProofSigner;
}

/** Registers a fresh key for an agent through the admin API (as the tenant's admin); returns the private key. */
export async function registerKey(h: Harness, t: TestTenant, name: string, overlapSeconds?: number): Promise<PrivateAgentJwk> {
  const { privateJwk, publicJwk } = await generateAgentKey();
  const res = await h.admin(t.keys.admin, "PUT", `/agents/${name}/keys`, { publicKey: publicJwk, ...(overlapSeconds !== undefined ? { overlapSeconds } : {}) });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return privateJwk;
}

/** An agent active in staging (sampleSpecs.agent unless a spec is given) with a registered key and a signer for `environment`. */
export async function activeAgent(h: Harness, t: TestTenant, name: string, options: { environment?: string; spec?: unknown } = {}): Promise<TestAgent> {
  const environment = options.environment ?? "staging";
  await agentIn(h, t, name, "active", options.spec);
  const privateJwk = await registerKey(h, t, name);
  return { name, privateJwk, signer: await ProofSigner.create(privateJwk, { tenant: t.name, name }, environment) };
}

/** A request to the /v1 API in-process, signed by `signer` unless a proof or headers say otherwise. */
export async function agentCall<T = any>(
  h: Harness,
  signer: ProofSigner | null,
  method: "GET" | "POST" | "DELETE",
  path: string,
  options: { body?: unknown; /** Sent as is instead of body (JSON that JSON.stringify cannot write, e.g. nested too deep). */ raw?: string; headers?: Record<string, string>; proof?: string; now?: number } = {},
): Promise<Response<T> & { proof?: string }> {
  const payload = options.raw ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  const bytes = payload === undefined ? undefined : new TextEncoder().encode(payload);
  const proof = options.proof ?? (signer ? await signer.sign({ method, url: `https://${HOST}${path}`, body: bytes }, options.now) : undefined);
  const res = await h.app.inject({
    method,
    url: path,
    headers: {
      host: HOST,
      ...(payload !== undefined ? { "content-type": "application/json" } : {}),
      ...(proof ? { [PROOF_HEADER]: proof } : {}),
      ...options.headers,
    },
    payload,
  });
  return { status: res.statusCode, body: res.body ? JSON.parse(res.body) : undefined, headers: res.headers, proof };
}

/** Writes a registry record of the tenant as the test's system actor (so it is live at once, as if approved). */
export const writeRecord = (h: Harness, t: Pick<TestTenant, "id">, kind: Kind, name: string, spec: unknown) =>
  h.gatehouse.transaction((trx) => h.gatehouse.registry.write(trx, actionContext(systemActor("test", t.id)), { tenantId: t.id, kind, name, owner: "platform", spec }));

/** Opens a task for the agent through the API and returns it (201 expected). */
export async function openTaskOf(h: Harness, agent: TestAgent, purpose = "answer a customer"): Promise<{ id: string }> {
  const res = await agentCall(h, agent.signer, "POST", "/v1/tasks", { body: { purpose } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
}
