import { sensitivityRank, type Sensitivity } from "../../registry/kinds.js";
import { isSensitivity } from "../flow/labels.js";
import type { ToolResult } from "./tool-transport.js";
import { isRecord } from "../../shared/json.js";

/** The clearance of an agent whose spec names none. */
export const DEFAULT_CLEARANCE: Sensitivity = "internal";

export interface RemovedDocument {
  id: string;
  sensitivity: Sensitivity;
}

export interface ClearedResult {
  result: ToolResult;
  removed: RemovedDocument[];
  /** The most sensitive document handed on (what the task's label takes from the source); undefined when none was. */
  sensitivity?: Sensitivity;
}


/**
 * Retrieval results, cut to the caller's clearance before they reach the agent (and so any
 * model it hands them to). A retrieval tool answers structuredContent.documents, each with an
 * id, its text and optionally its own sensitivity (the source's when absent; a value that
 * is not a sensitivity counts as restricted). Documents above the clearance are removed, and the
 * result's content is rebuilt from the documents kept: the tool's own text may restate what was
 * removed. A result without a documents list is one document at the source's sensitivity.
 */
export function clearRetrieval(result: ToolResult, source: { name: string; sensitivity: Sensitivity }, clearance: Sensitivity): ClearedResult {
  const limit = sensitivityRank(clearance);
  const documents = result.structuredContent?.documents;
  if (!Array.isArray(documents)) {
    if (sensitivityRank(source.sensitivity) <= limit) return { result, removed: [], sensitivity: source.sensitivity };
    return {
      result: { content: [{ type: "text", text: `the result of ${source.name} is above the agent's clearance (${clearance}) and was removed` }], isError: true },
      removed: [{ id: "(whole result)", sensitivity: source.sensitivity }],
    };
  }
  const kept: Record<string, unknown>[] = [];
  const removed: RemovedDocument[] = [];
  let highest: Sensitivity | undefined;
  documents.forEach((doc, i) => {
    const document = isRecord(doc) ? doc : { text: String(doc) };
    const declared = document.sensitivity;
    const sensitivity: Sensitivity = declared === undefined ? source.sensitivity : typeof declared === "string" && isSensitivity(declared) ? declared : "restricted";
    const id = typeof document.id === "string" || typeof document.id === "number" ? String(document.id) : `#${i + 1}`;
    if (sensitivityRank(sensitivity) > limit) {
      removed.push({ id, sensitivity });
      return;
    }
    kept.push({ ...document, sensitivity });
    if (highest === undefined || sensitivityRank(sensitivity) > sensitivityRank(highest)) highest = sensitivity;
  });
  const content = kept.map((d) => ({ type: "text" as const, text: typeof d.text === "string" ? d.text : JSON.stringify(d) }));
  return {
    result: { content, structuredContent: { ...result.structuredContent, documents: kept }, isError: result.isError },
    removed,
    ...(highest ? { sensitivity: highest } : {}),
  };
}
