import type { FastifyRequest } from "fastify";
import type { AgentCredential } from "../../agents/identity/agent-identity.js";
import { PROOF_HEADER, TOKEN_PREFIX } from "../../agents/identity/proof-format.js";
import { apiKeyOf } from "../../gateway/http/call-headers.js";
import { GatehouseError } from "../../shared/errors.js";
import { requestBodyHash } from "./raw-body.js";

/**
 * The agent credential a request carries, if any: a proof header, or an agent token where an
 * application key would go. A request that carries a proof and a key as well is refused: which
 * one speaks for it would be a guess.
 */
export function agentCredentialOf(request: FastifyRequest): AgentCredential | undefined {
  const proof = request.headers[PROOF_HEADER];
  const key = apiKeyOf(request);
  if (proof !== undefined) {
    if (typeof proof !== "string" || proof.length === 0) throw new GatehouseError("unauthenticated", `send one ${PROOF_HEADER} header`);
    if (key !== undefined || request.headers.authorization !== undefined) {
      throw new GatehouseError("unauthenticated", `send either an agent proof (${PROOF_HEADER}) or a key, not both`);
    }
    return { kind: "proof", proof, method: request.method, host: request.headers.host ?? "", url: request.url, bodyHash: requestBodyHash(request) };
  }
  if (key?.startsWith(TOKEN_PREFIX)) return { kind: "token", token: key };
  return undefined;
}

/** What a model call presents: an application key, or an agent's credential in its place. */
export function callCredentialsOf(request: FastifyRequest): { apiKey: string | undefined; agent?: AgentCredential } {
  const agent = agentCredentialOf(request);
  return agent ? { apiKey: undefined, agent } : { apiKey: apiKeyOf(request) };
}
