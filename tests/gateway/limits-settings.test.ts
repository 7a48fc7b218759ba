import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startHarness, type Harness, type TestTenant } from "../support/harness.js";
import { storeTargets } from "../support/stores.js";

describe.each(storeTargets)("gateway limits and routes in the tenant settings on $name", (target) => {
  let h: Harness;
  let t: TestTenant;
  beforeAll(async () => {
    h = await startHarness(target);
    t = await h.createTenant("gateway-settings");
  });
  afterAll(async () => h?.close());

  it("are stored and read back through the admin API", async () => {
    const settings = {
      limits: { perKey: { requestsPerMinute: 60 }, businessUnits: { finance: { costPerDayUsd: 25 } } },
      routing: { routes: [{ name: "chat", environments: ["production"], primary: [{ model: "demo", weight: 2 }], fallbacks: [] }] },
    };
    const res = await h.admin(t.keys.admin, "PUT", "/tenant/settings", settings);
    expect(res.status).toBe(200);
    const read = (await h.admin(t.keys.viewer, "GET", "/tenant")).body.settings;
    expect(read.limits.perKey).toEqual({ requestsPerMinute: 60 });
    expect(read.limits.businessUnits).toEqual({ finance: { costPerDayUsd: 25 } });
    expect(read.routing.routes[0]).toMatchObject({ name: "chat", primary: [{ model: "demo", weight: 2 }] });
  });

  it("bad values are refused with 400 naming the field", async () => {
    const negative = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { limits: { perKey: { requestsPerMinute: -5 } } });
    expect(negative.status).toBe(400);
    expect(negative.body.error.field).toBe("limits.perKey.requestsPerMinute");
    const unknown = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { limits: { perKey: { requestsPerHour: 5 } } });
    expect(unknown.status).toBe(400);
    const twice = await h.admin(t.keys.admin, "PUT", "/tenant/settings", { routing: { routes: [{ name: "chat", primary: [{ model: "a" }], fallbacks: ["a"] }] } });
    expect(twice.status).toBe(400);
    expect(twice.body.error.message).toMatch(/names model 'a' more than once/);
  });
});
