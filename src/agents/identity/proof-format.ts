/**
 * The wire format of an agent's proof of possession, shared by the server and the SDK (so it
 * imports nothing of either).
 *
 * A proof is a compact JWS signed with the agent's Ed25519 key:
 *   header  {alg: "EdDSA", typ: "gatehouse-agent-proof+jwt", kid: <RFC 7638 thumbprint of the public key>}
 *   claims  {htm, htu, bh, iat, jti, agent: {tenant, name}, env}
 * htm and htu are the request's method and URL, bh the base64url SHA-256 of its body (of no
 * bytes when it has none), iat the signing time in seconds, jti a fresh random nonce, agent the
 * tenant's and the agent's names, env the environment the agent acts in.
 */
export const PROOF_HEADER = "x-gatehouse-agent-proof";
export const PROOF_TYPE = "gatehouse-agent-proof+jwt";
/** A proof is accepted this many seconds either side of the server's clock, and its nonce remembered as long. */
export const PROOF_WINDOW_SECONDS = 60;
/** Agent tokens (POST /v1/agents/token) start with this, so they are told apart from application keys. */
export const TOKEN_PREFIX = "gh_agt_";
/** The longest an agent token lives. */
export const MAX_TOKEN_SECONDS = 300;
/** The header that names the task a model call belongs to. */
export const TASK_HEADER = "x-gatehouse-task-id";

export interface ProofClaims {
  htm: string;
  htu: string;
  bh: string;
  iat: number;
  jti: string;
  agent: { tenant: string; name: string };
  env: string;
}
