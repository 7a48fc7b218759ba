import { formatAddCheckpoint, type AddCheckpointRequest } from "./add-checkpoint.js";

export interface WitnessReply {
  status: number;
  body: string;
}

/** Sends one add-checkpoint request to a witness (base URL = its submission prefix). */
export async function requestCosignature(baseUrl: string, request: AddCheckpointRequest, signal: AbortSignal): Promise<WitnessReply> {
  const res = await fetch(`${baseUrl.replace(/\/+$/, "")}/add-checkpoint`, {
    method: "POST",
    headers: { "content-type": "text/plain; charset=utf-8" },
    body: formatAddCheckpoint(request),
    signal,
  });
  return { status: res.status, body: await res.text() };
}
