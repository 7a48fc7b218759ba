/** A small client for the admin API, used by the CLI commands that act through the server. */
export class AdminApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
    this.name = "AdminApiError";
  }
}

export interface AdminClientOptions {
  url: string;
  key: string | undefined;
}

export class AdminClient {
  constructor(private readonly options: AdminClientOptions) {}

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    if (!this.options.key) throw new AdminApiError(401, "no admin key: set GATEHOUSE_ADMIN_KEY or pass --key");
    let response: Response;
    try {
      response = await fetch(new URL(`/admin/v1${path}`, this.options.url), {
        method,
        headers: {
          authorization: `Bearer ${this.options.key}`,
          ...(body === undefined ? {} : { "content-type": "application/json" }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (error) {
      throw new AdminApiError(0, `cannot reach Gatehouse at ${this.options.url}: ${(error as Error).message}`);
    }
    const text = await response.text();
    const parsed: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ?? response.statusText;
      throw new AdminApiError(response.status, `${response.status}: ${message}`);
    }
    return parsed as T;
  }
}
