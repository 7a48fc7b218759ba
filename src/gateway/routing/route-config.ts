import { z } from "zod";
import { recordName } from "../../registry/kinds.js";

/**
 * A route: the name callers ask for, the primary pool it balances over and the ordered chain it
 * falls back along. Routes live in the tenant settings (`routing.routes`), so adding or changing
 * one is a governed, recorded change like any other settings change.
 */
export const routeSchema = z
  .object({
    /** What callers put in `model`; a route name wins over a model name or alias. */
    name: recordName,
    /** Task classes the route serves; when empty, every task class its models serve. */
    taskClasses: z.array(recordName).default([]),
    /** Environments the route is approved in; empty: every environment. */
    environments: z.array(recordName).default([]),
    primary: z
      .array(z.object({ model: recordName, weight: z.number().int().min(1).max(1000).default(1) }).strict())
      .min(1, "must name at least one model"),
    /** Tried in order once the whole primary pool has failed. */
    fallbacks: z.array(recordName).default([]),
  })
  .strict()
  .superRefine((route, ctx) => {
    const models = [...route.primary.map((p) => p.model), ...route.fallbacks];
    const repeated = models.find((m, i) => models.indexOf(m) !== i);
    if (repeated) ctx.addIssue({ code: "custom", path: ["fallbacks"], message: `names model '${repeated}' more than once` });
  });

export const routingSettingsSchema = z
  .object({
    routes: z
      .array(routeSchema)
      .max(500)
      .default([])
      .superRefine((routes, ctx) => {
        const names = routes.map((r) => r.name);
        const repeated = names.find((n, i) => names.indexOf(n) !== i);
        if (repeated) ctx.addIssue({ code: "custom", message: `route '${repeated}' is defined more than once` });
      }),
  })
  .strict();

export type RouteDefinition = z.output<typeof routeSchema>;
export type RoutingSettings = z.output<typeof routingSettingsSchema>;
