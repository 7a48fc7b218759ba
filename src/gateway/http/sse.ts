import type { FastifyReply, FastifyRequest } from "fastify";

/**
 * A server-sent event stream on a hijacked reply. Writes wait for the socket to drain, and
 * `closed` turns true when the caller goes away, so the producer can stop.
 */
export class SseStream {
  private closedByPeer = false;

  constructor(
    request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {
    reply.hijack();
    reply.raw.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-request-id": request.id,
    });
    reply.raw.on("close", () => {
      if (!reply.raw.writableFinished) this.closedByPeer = true;
    });
  }

  get closed(): boolean {
    return this.closedByPeer || this.reply.raw.destroyed;
  }

  async send(data: string, event?: string): Promise<void> {
    if (this.closed) return;
    const text = `${event ? `event: ${event}\n` : ""}data: ${data}\n\n`;
    if (!this.reply.raw.write(text)) {
      await new Promise<void>((resolve) => {
        const done = () => {
          this.reply.raw.off("drain", done);
          this.reply.raw.off("close", done);
          resolve();
        };
        this.reply.raw.once("drain", done);
        this.reply.raw.once("close", done);
      });
    }
  }

  end(): void {
    if (!this.reply.raw.writableEnded) this.reply.raw.end();
  }
}
