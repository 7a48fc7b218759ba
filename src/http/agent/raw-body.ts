import type { FastifyInstance, FastifyRequest } from "fastify";
import { bodyHash } from "../../agents/identity/proof.js";

const rawBodies = new WeakMap<FastifyRequest, Buffer>();

/**
 * Keeps each JSON body's bytes as received, because an agent's proof signs a hash of exactly
 * those bytes; parsing is Fastify's own JSON parser (same limits and prototype-poisoning checks).
 * Registered once on the /v1 scope.
 */
export function keepRawJsonBodies(app: FastifyInstance): void {
  const parse = app.getDefaultJsonParser("error", "error");
  app.addContentTypeParser("application/json", { parseAs: "buffer" }, (request, body, done) => {
    const bytes = body as Buffer;
    rawBodies.set(request, bytes);
    parse(request, bytes.toString("utf8"), done);
  });
}

/** base64url SHA-256 of the request's body as received (of no bytes when it had none). */
export const requestBodyHash = (request: FastifyRequest): string => bodyHash(rawBodies.get(request));
