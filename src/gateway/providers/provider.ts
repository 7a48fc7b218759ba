import type { ChatRequest, ChatResponse, StreamEvent } from "../chat.js";

/** Where one model record's calls go: what a provider needs to reach the upstream. */
export interface UpstreamTarget {
  /** The model record's name; UpstreamErrors name it as the upstream. */
  name: string;
  upstreamModel: string;
  /** Base URL of the upstream API (the simulator has none). */
  endpoint?: string;
  /** The provider credential, opened from its sealed form for this call only. */
  credential?: string;
  signal?: AbortSignal;
}

/**
 * A provider speaks one upstream wire format. It throws UpstreamError
 * (src/gateway/routing/upstream-error.ts) and nothing else for every upstream failure.
 */
export interface Provider {
  complete(target: UpstreamTarget, request: ChatRequest): Promise<ChatResponse>;
  /** Resolves once the upstream has accepted the call; the events follow. */
  stream(target: UpstreamTarget, request: ChatRequest): Promise<AsyncIterable<StreamEvent>>;
}
