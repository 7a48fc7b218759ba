import SQLite from "better-sqlite3";
import { afterEach, describe, expect, it } from "vitest";
import { reusingStatements } from "../../src/store/statement-cache.js";

describe("reusing prepared SQLite statements", () => {
  let raw: SQLite.Database;
  afterEach(() => raw?.open && raw.close());

  it("hands out the same statement for the same SQL, and answers from current data", () => {
    raw = new SQLite(":memory:");
    const db = reusingStatements(raw);
    db.prepare("create table t (x integer)").run([]);
    const insert = db.prepare("insert into t (x) values (?)");
    expect(db.prepare("insert into t (x) values (?)")).toBe(insert);
    insert.run([1]);
    db.prepare("insert into t (x) values (?)").run([2]);
    expect(db.prepare("select x from t order by x").all([])).toEqual([{ x: 1 }, { x: 2 }]);
    db.prepare("insert into t (x) values (?)").run([3]);
    expect(db.prepare("select x from t order by x").all([])).toEqual([{ x: 1 }, { x: 2 }, { x: 3 }]);
  });

  it("never hands out a statement that is still being iterated", () => {
    raw = new SQLite(":memory:");
    const db = reusingStatements(raw);
    db.prepare("create table t (x integer)").run([]);
    for (const x of [1, 2, 3]) db.prepare("insert into t (x) values (?)").run([x]);
    const sql = "select x from t where x >= ? order by x";
    const outer = db.prepare(sql);
    const seen: number[] = [];
    for (const row of outer.iterate([1]) as IterableIterator<{ x: number }>) {
      const inner = db.prepare(sql);
      expect(inner).not.toBe(outer);
      seen.push(row.x, (inner.all([row.x]) as { x: number }[]).length);
    }
    expect(seen).toEqual([1, 3, 2, 2, 3, 1]);
    expect(db.prepare(sql)).toBe(outer);
  });

  it("keeps working after the schema changes under a cached statement", () => {
    raw = new SQLite(":memory:");
    const db = reusingStatements(raw);
    db.prepare("create table t (x integer)").run([]);
    db.prepare("insert into t (x) values (?)").run([1]);
    const select = "select * from t";
    expect(db.prepare(select).all([])).toEqual([{ x: 1 }]);
    db.prepare("alter table t add column y integer default 7").run([]);
    expect(db.prepare(select).all([])).toEqual([{ x: 1, y: 7 }]);
  });

  it("drops the least recently used statements beyond its bound", () => {
    raw = new SQLite(":memory:");
    const db = reusingStatements(raw, 2);
    const a = db.prepare("select 1");
    const b = db.prepare("select 2");
    expect(db.prepare("select 1")).toBe(a); // a is now the most recent
    db.prepare("select 3"); // evicts b
    expect(db.prepare("select 1")).toBe(a);
    expect(db.prepare("select 2")).not.toBe(b);
  });
});
