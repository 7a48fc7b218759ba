import { request } from "undici";
import type { RegistryRecord } from "../../registry/registry.js";
import type { ToolContent, ToolResult, ToolTransport } from "./tool-transport.js";
import { isRecord } from "../../shared/json.js";

/** A tool's answer larger than this is cut off and reported as an error (it would only be refused further on). */
export const MAX_TOOL_RESULT_BYTES = 1024 * 1024;


const isContent = (v: unknown): v is ToolContent => isRecord(v) && typeof v.type === "string" && (v.type !== "text" || typeof v.text === "string");

/**
 * HTTP tools: the arguments are POSTed as JSON to the tool's endpoint. A 2xx answer is the
 * result: an answer already shaped as a tool result ({ content: [...] }) passes as it is, any
 * other JSON object becomes its structuredContent (and its text), anything else its text. A
 * non-2xx answer is a result with isError. Redirects are not followed (undici does not unless told; the endpoint is what the
 * registry approved).
 */
export class HttpToolTransport implements ToolTransport {
  async call(tool: RegistryRecord<"tool">, args: Record<string, unknown>, options: { signal: AbortSignal }): Promise<ToolResult> {
    const response = await request(tool.spec.endpoint, {
      method: "POST",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(args),
      signal: options.signal,
    });
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_TOOL_RESULT_BYTES) {
        response.body.destroy();
        return { content: [{ type: "text", text: `tool ${tool.name} answered more than ${MAX_TOOL_RESULT_BYTES} bytes` }], isError: true };
      }
      chunks.push(chunk as Buffer);
    }
    const text = Buffer.concat(chunks).toString("utf8");
    if (response.statusCode < 200 || response.statusCode > 299) {
      return { content: [{ type: "text", text: `tool ${tool.name} answered ${response.statusCode}: ${text.slice(0, 2000)}` }], isError: true };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { content: [{ type: "text", text }], isError: false };
    }
    if (isRecord(parsed) && Array.isArray(parsed.content) && parsed.content.every(isContent)) {
      return {
        content: parsed.content,
        ...(isRecord(parsed.structuredContent) ? { structuredContent: parsed.structuredContent } : {}),
        isError: parsed.isError === true,
      };
    }
    return { content: [{ type: "text", text }], ...(isRecord(parsed) ? { structuredContent: parsed } : {}), isError: false };
  }
}
