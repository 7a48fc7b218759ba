import { base64url, calculateJwkThumbprint, CompactSign, exportJWK, generateKeyPair, importJWK, type JWK } from "jose";
import { PROOF_TYPE, type ProofClaims } from "../agents/identity/proof-format.js";

/** An Ed25519 private key as a JWK: {kty: "OKP", crv: "Ed25519", x, d}. Keep it secret. */
export interface PrivateAgentJwk extends JWK {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
  d: string;
}

/** The public half, which is what Gatehouse stores (PUT /admin/v1/agents/:name/keys). */
export interface PublicAgentJwk {
  kty: "OKP";
  crv: "Ed25519";
  x: string;
}

/** A new Ed25519 key pair for an agent. */
export async function generateAgentKey(): Promise<{ privateJwk: PrivateAgentJwk; publicJwk: PublicAgentJwk }> {
  const { privateKey } = await generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true });
  const jwk = await exportJWK(privateKey);
  if (jwk.kty !== "OKP" || jwk.crv !== "Ed25519" || !jwk.x || !jwk.d) throw new Error("the runtime did not produce an Ed25519 key");
  return { privateJwk: { kty: "OKP", crv: "Ed25519", x: jwk.x, d: jwk.d }, publicJwk: { kty: "OKP", crv: "Ed25519", x: jwk.x } };
}

/** The request a proof is made for. */
export interface SignedRequest {
  method: string;
  url: string;
  /** The exact bytes that will be sent (none for a request without a body). */
  body?: Uint8Array;
}

const encoder = new TextEncoder();

async function sha256(bytes: Uint8Array): Promise<string> {
  return base64url.encode(new Uint8Array(await globalThis.crypto.subtle.digest("SHA-256", bytes)));
}

/**
 * Signs proofs of possession for one agent (see proof-format.ts): one fresh proof per request,
 * bound to its method, URL, body, the time and a random nonce. Uses only jose and WebCrypto.
 */
export class ProofSigner {
  private constructor(
    private readonly key: Awaited<ReturnType<typeof importJWK>>,
    /** The key id Gatehouse knows the public key by (its RFC 7638 thumbprint). */
    readonly kid: string,
    readonly publicJwk: PublicAgentJwk,
    private readonly agent: { tenant: string; name: string },
    private readonly environment: string,
  ) {}

  static async create(privateJwk: PrivateAgentJwk, agent: { tenant: string; name: string }, environment: string): Promise<ProofSigner> {
    if (privateJwk.kty !== "OKP" || privateJwk.crv !== "Ed25519" || typeof privateJwk.d !== "string") {
      throw new Error("the agent key must be an Ed25519 private JWK (kty OKP, crv Ed25519, with d)");
    }
    const publicJwk: PublicAgentJwk = { kty: "OKP", crv: "Ed25519", x: privateJwk.x };
    const key = await importJWK(privateJwk, "EdDSA");
    return new ProofSigner(key, await calculateJwkThumbprint(publicJwk, "sha256"), publicJwk, agent, environment);
  }

  /** A proof for one request; `now` (ms) only for tests of the server's clock window. */
  async sign(request: SignedRequest, now: number = Date.now()): Promise<string> {
    const claims: ProofClaims = {
      htm: request.method.toUpperCase(),
      htu: request.url,
      bh: await sha256(request.body ?? new Uint8Array()),
      iat: Math.floor(now / 1000),
      jti: base64url.encode(globalThis.crypto.getRandomValues(new Uint8Array(18))),
      agent: this.agent,
      env: this.environment,
    };
    return new CompactSign(encoder.encode(JSON.stringify(claims))).setProtectedHeader({ alg: "EdDSA", typ: PROOF_TYPE, kid: this.kid }).sign(this.key);
  }
}
