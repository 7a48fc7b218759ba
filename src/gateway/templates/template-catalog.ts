import type { Registry } from "../../registry/registry.js";
import { GatehouseError, invalid } from "../../shared/errors.js";
import type { TemplateRef } from "../pipeline/model-call.js";

export interface RenderedTemplate {
  name: string;
  version: number;
  text: string;
}

const placeholder = /\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}/g;

/**
 * Prompt templates for calls. Only approved versions are served: a template's versions reach
 * the registry only through change control, so every stored version that is not a deletion was
 * approved; a deleted template serves nothing.
 */
export class TemplateCatalog {
  constructor(private readonly registry: Registry) {}

  async render(tenantId: string, ref: TemplateRef): Promise<RenderedTemplate> {
    const missing = () => new GatehouseError("not_found", `prompt template '${ref.name}'${ref.version ? ` version ${ref.version}` : ""} is not an approved version`, "gatehouse_template");
    const live = await this.registry.find(tenantId, "prompt_template", ref.name);
    if (!live || live.deleted) throw missing();
    const version = ref.version ?? live.version;
    const stored = (await this.registry.versions(tenantId, "prompt_template", ref.name)).find((v) => v.version === version);
    if (!stored || stored.change === "delete") throw missing();

    const declared = new Set(stored.spec.variables);
    for (const name of Object.keys(ref.variables)) {
      if (!declared.has(name)) throw invalid(`gatehouse_template.variables.${name}`, `gatehouse_template.variables.${name}: template ${ref.name} v${version} has no such variable`);
    }
    for (const name of declared) {
      if (ref.variables[name] === undefined) throw invalid(`gatehouse_template.variables.${name}`, `gatehouse_template.variables.${name}: required by template ${ref.name} v${version}`);
    }
    const text = stored.spec.text.replace(placeholder, (_, name: string) => ref.variables[name] ?? "");
    return { name: ref.name, version, text };
  }
}
