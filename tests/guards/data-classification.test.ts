import { describe, expect, it } from "vitest";
import type { ModelCall } from "../../src/gateway/pipeline/model-call.js";
import { DataClassifier } from "../../src/guards/data-classification.js";
import type { MarkerSource } from "../../src/guards/output/content-guard.js";
import { ZW } from "../support/hidden-text.js";

const sources: MarkerSource = async (tenantId) =>
  tenantId === "acme"
    ? [
        { dataSource: "crm", sensitivity: "confidential", markers: ["CONFIDENTIAL-ACME"] },
        { dataSource: "payroll", sensitivity: "restricted", markers: ["ACME PAYROLL ONLY"] },
      ]
    : [{ dataSource: "ledger", sensitivity: "restricted", markers: ["GLOBEX-LEDGER"] }];

/** The part of a model call the classifier reads and writes. */
const callOf = (tenantId: string, content: string) =>
  ({ caller: { tenantId }, request: { messages: [{ role: "user", content }] }, inspection: { dataClasses: ["pii"], labels: ["contains_pii"] } }) as unknown as ModelCall;

describe("classifying input by the tenant's data-source markers", () => {
  const classifier = new DataClassifier(sources);

  it("labels a text holding a marker with its source's sensitivity, however the marker is written", async () => {
    expect(await classifier.labelsOf("acme", ["row 4 (CONFIDENTIAL-ACME): revenue"])).toEqual(["confidential"]);
    expect(await classifier.labelsOf("acme", [`confidential${ZW}-ａｃｍｅ export`, "acme payroll only"])).toEqual(["confidential", "restricted"]);
    const call = callOf("acme", "Summarise CONFIDENTIAL ACME figures");
    await classifier.inspect(call);
    expect(call.inspection).toEqual({ dataClasses: ["pii"], labels: ["confidential", "contains_pii"] });
  });

  it("leaves alone text that only mentions the words, and other tenants' markers", async () => {
    expect(await classifier.labelsOf("acme", ["This is confidential; ACME makes anvils; CONFIDENTIAL-ACMEIST"])).toEqual([]);
    expect(await classifier.labelsOf("acme", ["GLOBEX-LEDGER row 3"])).toEqual([]);
    expect(await classifier.labelsOf("globex", ["CONFIDENTIAL-ACME"])).toEqual([]);
  });

  it("refuses to go on when the tenant's data sources cannot be read", async () => {
    const broken = new DataClassifier(async () => {
      throw new Error("registry unavailable");
    });
    await expect(broken.inspect(callOf("acme", "CONFIDENTIAL-ACME"))).rejects.toThrow(/registry unavailable/);
  });
});
