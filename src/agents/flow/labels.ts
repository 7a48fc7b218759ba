import { sensitivities, sensitivityRank, type Sensitivity } from "../../registry/kinds.js";

export type Integrity = "trusted" | "untrusted";

/**
 * Where a label came from: a data source (read through a tool, or retrieved), a tool's result
 * itself, or a message from another agent (whose task's label travels with it).
 */
export interface LabelOrigin {
  kind: "data_source" | "tool" | "agent";
  name: string;
  /** The tool the data came through, for a data source. */
  via?: string;
  sensitivity: Sensitivity;
  region?: string;
  integrity: Integrity;
  /** The injection detector flagged this content. */
  injection?: boolean;
}

/**
 * What a task has read, joined: the highest sensitivity, every tenant and region the data came
 * from, untrusted once anything untrusted was read, and whether an injection was found in it.
 * The origins say where each part came from, so a refusal can name them.
 */
export interface FlowLabel {
  sensitivity: Sensitivity;
  tenants: string[];
  regions: string[];
  integrity: Integrity;
  injection: boolean;
  origins: LabelOrigin[];
}

/** A task that has read nothing. */
export const bottomLabel = (tenantId: string): FlowLabel => ({
  sensitivity: "public",
  tenants: [tenantId],
  regions: [],
  integrity: "trusted",
  injection: false,
  origins: [],
});

/** The label one read contributes. */
export const labelOf = (tenantId: string, origin: LabelOrigin): FlowLabel => ({
  sensitivity: origin.sensitivity,
  tenants: [tenantId],
  regions: origin.region ? [origin.region] : [],
  integrity: origin.integrity,
  injection: origin.injection === true,
  origins: [origin],
});

const union = (a: string[], b: string[]) => [...new Set([...a, ...b])].sort();
const sameOrigin = (a: LabelOrigin, b: LabelOrigin) => JSON.stringify(a) === JSON.stringify(b);

/** The least label above both (the lattice join). */
export function join(a: FlowLabel, b: FlowLabel): FlowLabel {
  return {
    sensitivity: sensitivityRank(a.sensitivity) >= sensitivityRank(b.sensitivity) ? a.sensitivity : b.sensitivity,
    tenants: union(a.tenants, b.tenants),
    regions: union(a.regions, b.regions),
    integrity: a.integrity === "untrusted" || b.integrity === "untrusted" ? "untrusted" : "trusted",
    injection: a.injection || b.injection,
    origins: [...a.origins, ...b.origins.filter((o) => !a.origins.some((p) => sameOrigin(o, p)))],
  };
}

const originText = (o: LabelOrigin) =>
  o.kind === "data_source" ? `data source ${o.name}${o.via ? ` via tool ${o.via}` : ""}` : o.kind === "agent" ? `a message from agent ${o.name}` : `tool ${o.name}`;

/** Where the label's sensitivity (or, when asked, its injection) came from, in words: "data source crm via tool read_crm". */
export function describeOrigin(label: FlowLabel, what: "sensitivity" | "injection" = "sensitivity"): string {
  const origins = what === "injection" ? label.origins.filter((o) => o.injection) : label.origins.filter((o) => o.sensitivity === label.sensitivity);
  return origins.length > 0 ? origins.map(originText).join(", ") : "nothing read yet";
}

/** The label as Cedar sees it (context.task_label, see src/policy/schema.ts). */
export const cedarLabel = (label: FlowLabel) => ({
  sensitivity: label.sensitivity,
  sensitivity_rank: sensitivityRank(label.sensitivity),
  tenants: label.tenants,
  regions: label.regions,
  integrity: label.integrity,
  injection: label.injection,
  sources: [...new Set(label.origins.map((o) => `${o.kind}:${o.name}`))].sort(),
});

export const isSensitivity = (value: string): value is Sensitivity => (sensitivities as readonly string[]).includes(value);
