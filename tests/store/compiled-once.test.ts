import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CompiledOnce } from "../../src/store/compiled-once.js";
import { openStore, type Store } from "../../src/store/database.js";
import { storeTargets } from "../support/stores.js";

/** Tenants by name, but never initech (a constant of the query): values change per run, the constant does not. */
const byName = new CompiledOnce(["name", "other"], (db, v: { name: string; other: string }) =>
  db.selectFrom("tenants").select(["id", "name"]).where("name", "!=", "initech").where((eb) => eb.or([eb("name", "=", v.name), eb("name", "=", v.other)])).orderBy("name"),
);

describe.each(storeTargets)("queries compiled once ($name)", (target) => {
  let store: Store;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    const db = await target.fresh();
    dispose = db.dispose;
    store = await openStore({ databaseUrl: db.databaseUrl, ...(db.schema ? { schema: db.schema } : {}) });
    const now = Date.now();
    for (const [id, name] of [["t1", "acme"], ["t2", "globex"], ["t3", "initech"]] as const) {
      await store.db.insertInto("tenants").values({ id, name, settings: "{}", created_at: now }).execute();
    }
  });
  afterAll(async () => {
    await store?.close();
    await dispose?.();
  });

  it("answer each run with its own values, keeping the query's own constants", async () => {
    expect((await byName.execute(store.db, { name: "acme", other: "nobody" })).rows).toEqual([{ id: "t1", name: "acme" }]);
    expect((await byName.execute(store.db, { name: "globex", other: "acme" })).rows.map((r) => r.name)).toEqual(["acme", "globex"]);
    // The constant 'initech' was not taken for a value.
    expect(await byName.first(store.db, { name: "initech", other: "initech" })).toBeUndefined();
    // A value that looks like SQL is only ever a value.
    expect(await byName.first(store.db, { name: "x' or '1'='1", other: "" })).toBeUndefined();
  });

  it("refuse a query that does not use every value it names", () => {
    const careless = new CompiledOnce(["name", "unused"], (db, v: { name: string; unused: string }) => db.selectFrom("tenants").select("id").where("name", "=", v.name));
    expect(() => careless.with(store.db, { name: "acme", unused: "x" })).toThrow(/does not use unused/);
  });
});
