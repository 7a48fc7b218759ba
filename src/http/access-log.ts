import { LogController, type FastifyReply, type FastifyRequest } from "fastify";

/**
 * One access line per request, written when it is answered, instead of Fastify's two (incoming
 * and completed): each line is a write to stdout on the request path, and the audit log, not this
 * one, is the record of governed calls.
 */
export class AccessLog extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    const line = { method: request.method, url: request.url, remoteAddress: request.ip, statusCode: reply.statusCode, responseTime: reply.elapsedTime };
    if (error) reply.log.error({ ...line, err: error }, "request errored");
    else reply.log.info(line, "request completed");
  }
}
