import { describe, expect, it } from "bun:test";
import type { JsonObject } from "../../../../../src/kernel/storage/index.ts";
import { rejectsWith, type StorageFactory, useStorage } from "./harness.ts";

export function documentsContract(factory: StorageFactory): void {
  const { s, make } = useStorage(factory);

  describe("validation", () => {
    it("refuses namespaces that are empty, too long or outside [A-Za-z0-9_.-]", async () => {
      for (const ns of ["", "a".repeat(65), "has space", "a/b", "a:b", "é", 42 as unknown as string]) {
        await rejectsWith(s().set(ns, "k", { a: 1 }), "STORAGE_INVALID_NAMESPACE");
        await rejectsWith(s().get(ns, "k"), "STORAGE_INVALID_NAMESPACE");
      }
      expect(await s().namespaces()).toEqual([]);
    });

    it("accepts namespaces of 64 characters from the whole allowed set", async () => {
      const ns = `Az09_.-${"x".repeat(57)}`;
      await s().set(ns, "k", { a: 1 });
      expect(await s().get(ns, "k")).toEqual({ a: 1 });
    });

    it("refuses keys that are empty, too long or outside the allowed set", async () => {
      for (const key of [
        "",
        "k".repeat(257),
        "a b",
        "a%b",
        "a*b",
        "ключ",
        "a\nb",
        null as unknown as string,
      ]) {
        await rejectsWith(s().set("ns", key, { a: 1 }), "STORAGE_INVALID_KEY");
        await rejectsWith(s().has("ns", key), "STORAGE_INVALID_KEY");
      }
      expect(await s().listKeys("ns")).toEqual([]);
    });

    it("accepts keys of 256 characters from the whole allowed set", async () => {
      const key = `Az09_.:@/-${"k".repeat(246)}`;
      await s().set("ns", key, { a: 1 });
      expect(await s().listKeys("ns")).toEqual([key]);
    });

    it("refuses values that are not plain JSON objects", async () => {
      for (const value of [[1, 2], null, "text", 3, true, undefined, new Date(), new Map()]) {
        await rejectsWith(s().set("ns", "k", value as unknown as JsonObject), "STORAGE_INVALID_VALUE");
      }
      expect(await s().has("ns", "k")).toBe(false);
    });

    it("refuses functions, cycles, class instances, non-finite numbers and bigints anywhere inside", async () => {
      class Point {
        x = 1;
      }
      const cyclic: Record<string, unknown> = { a: 1 };
      cyclic.self = { back: cyclic };
      const bad: unknown[] = [
        { f: () => 1 },
        cyclic,
        { p: new Point() },
        { deep: { list: [1, new Date()] } },
        { n: Number.NaN },
        { n: Number.POSITIVE_INFINITY },
        { b: 10n },
        { list: [1, undefined, 3] },
        { s: Symbol("x") },
      ];
      for (const value of bad) {
        await rejectsWith(s().set("ns", "k", value as JsonObject), "STORAGE_INVALID_VALUE");
      }
      expect(await s().has("ns", "k")).toBe(false);
    });

    it("names where in the document the bad value sits", async () => {
      const err = await rejectsWith(
        s().set("ns", "k", { a: { list: [0, () => 1] } } as unknown as JsonObject),
        "STORAGE_INVALID_VALUE",
      );
      expect(err.message).toContain("$.a.list[1]");
      expect(err.data).toEqual({ path: "$.a.list[1]" });
    });

    it("accepts the same object referenced twice when there is no cycle", async () => {
      const shared = { on: true };
      await s().set("ns", "k", { a: shared, b: shared });
      expect(await s().get("ns", "k")).toEqual({ a: { on: true }, b: { on: true } });
    });

    it("leaves out properties set to undefined, as JSON does", async () => {
      await s().set("ns", "k", { a: 1, gone: undefined } as unknown as JsonObject);
      expect(await s().get("ns", "k")).toEqual({ a: 1 });
    });

    it("refuses a value whose JSON is over the byte limit, naming the size and the limit", async () => {
      const st = await make({ maxValueBytes: 1024 });
      await st.set("ns", "fits", { t: "x".repeat(1000) });
      const err = await rejectsWith(st.set("ns", "big", { t: "x".repeat(1100) }), "STORAGE_VALUE_TOO_LARGE");
      expect(err.data).toEqual({ bytes: 1108, limit: 1024 });
      expect(await st.has("ns", "big")).toBe(false);
    });

    it("counts the limit in UTF-8 bytes, not characters", async () => {
      const st = await make({ maxValueBytes: 1024 });
      // 400 characters, 1200 bytes.
      await rejectsWith(st.set("ns", "k", { t: "€".repeat(400) }), "STORAGE_VALUE_TOO_LARGE");
      expect(await st.has("ns", "k")).toBe(false);
    });

    it("keeps an existing value when a replacement is refused", async () => {
      await s().set("ns", "k", { v: 1 });
      await rejectsWith(s().set("ns", "k", { v: Number.NaN }), "STORAGE_INVALID_VALUE");
      expect(await s().get("ns", "k")).toEqual({ v: 1 });
    });
  });

  describe("documents", () => {
    it("returns what was set", async () => {
      const value = { name: "lamp", state: { on: true, level: 0.5 }, tags: ["a", "b"], none: null, t: "é😀" };
      await s().set("devices", "lamp", value);
      expect(await s().get("devices", "lamp")).toEqual(value);
    });

    it("returns undefined for a key that was never set", async () => {
      expect(await s().get("devices", "nothing")).toBeUndefined();
    });

    it("replaces a value on a second set", async () => {
      await s().set("ns", "k", { v: 1, old: true });
      await s().set("ns", "k", { v: 2 });
      expect(await s().get("ns", "k")).toEqual({ v: 2 });
    });

    it("deletes a key and reports whether it existed", async () => {
      await s().set("ns", "k", { v: 1 });
      expect(await s().delete("ns", "k")).toBe(true);
      expect(await s().delete("ns", "k")).toBe(false);
      expect(await s().get("ns", "k")).toBeUndefined();
    });

    it("tells whether a key exists", async () => {
      await s().set("ns", "k", { v: 1 });
      expect(await s().has("ns", "k")).toBe(true);
      expect(await s().has("ns", "other")).toBe(false);
    });

    it("keeps namespaces apart", async () => {
      await s().set("a", "k", { from: "a" });
      await s().set("b", "k", { from: "b" });
      await s().delete("a", "k");
      expect(await s().get("b", "k")).toEqual({ from: "b" });
    });

    it("lists keys in ascending order", async () => {
      for (const key of ["b", "a/2", "a/10", "A", "a/1"]) await s().set("ns", key, { key });
      expect(await s().listKeys("ns")).toEqual(["A", "a/1", "a/10", "a/2", "b"]);
    });

    it("lists only keys under a prefix, treating _ as a plain character", async () => {
      for (const key of ["a_b", "axb", "a_", "a", "b_a"]) await s().set("ns", key, { key });
      expect(await s().listKeys("ns", "a_")).toEqual(["a_", "a_b"]);
      expect(await s().listKeys("ns", "zz")).toEqual([]);
    });

    it("refuses a prefix with characters no key can hold", async () => {
      await rejectsWith(s().listKeys("ns", "a%"), "STORAGE_INVALID_KEY");
    });

    it("counts keys per namespace and forgets emptied ones", async () => {
      await s().set("b", "1", { v: 1 });
      await s().set("a", "1", { v: 1 });
      await s().set("a", "2", { v: 1 });
      await s().set("c", "1", { v: 1 });
      await s().delete("c", "1");
      expect(await s().namespaces()).toEqual([
        { namespace: "a", keys: 2 },
        { namespace: "b", keys: 1 },
      ]);
    });

    it("hands out fresh objects, so changing one never changes what is stored", async () => {
      const input = { list: [1], nested: { n: 1 } };
      await s().set("ns", "k", input);
      input.list.push(2);
      input.nested.n = 99;
      const first = (await s().get<typeof input>("ns", "k")) as typeof input;
      first.nested.n = 42;
      expect(await s().get("ns", "k")).toEqual({ list: [1], nested: { n: 1 } });
    });

    it("counts reads and row writes", async () => {
      const before = s().stats();
      await s().set("ns", "k", { v: 1 });
      await s().get("ns", "k");
      await s().has("ns", "k");
      await s().delete("ns", "k");
      await s().delete("ns", "k");
      const after = s().stats();
      expect(after.writes - before.writes).toBe(2);
      expect(after.reads - before.reads).toBe(2);
      expect(after.schemaVersion).toBeGreaterThanOrEqual(1);
    });

    it("counts every operation and the time spent in them, for latency", async () => {
      const before = s().stats();
      await s().set("ns", "k", { v: 1 });
      await s().get("ns", "k");
      await s().batchSet("ns", { a: { v: 1 }, b: { v: 2 } });
      await s().query("ns", { prefix: "a" });
      const after = s().stats();
      expect(after.operations - before.operations).toBe(4);
      expect(after.operationSeconds).toBeGreaterThan(before.operationSeconds);
    });
  });

  describe("batches", () => {
    it("batchGet returns the keys that exist and leaves out the others", async () => {
      await s().set("ns", "a", { v: "a" });
      await s().set("ns", "c", { v: "c" });
      const got = await s().batchGet("ns", ["a", "b", "c"]);
      expect([...got]).toEqual([
        ["a", { v: "a" }],
        ["c", { v: "c" }],
      ]);
    });

    it("batchSet takes a list of entries or an object of key to value", async () => {
      await s().batchSet("ns", [
        { key: "a", value: { v: 1 } },
        { key: "b", value: { v: 2 } },
      ]);
      await s().batchSet("ns", { c: { v: 3 } });
      expect(await s().listKeys("ns")).toEqual(["a", "b", "c"]);
      expect(await s().get("ns", "b")).toEqual({ v: 2 });
    });

    it("batchSet writes in one transaction", async () => {
      const before = s().stats().transactions;
      await s().batchSet("ns", { a: { v: 1 }, b: { v: 2 }, c: { v: 3 } });
      expect(s().stats().transactions - before).toBe(1);
    });

    it("batchSet writes nothing when one entry is invalid", async () => {
      await s().set("ns", "a", { v: "old" });
      await rejectsWith(
        s().batchSet("ns", [
          { key: "a", value: { v: "new" } },
          { key: "b", value: { v: 2 } },
          { key: "c", value: { bad: () => 1 } as unknown as JsonObject },
        ]),
        "STORAGE_INVALID_VALUE",
      );
      await rejectsWith(s().batchSet("ns", { "bad key": { v: 1 }, d: { v: 1 } }), "STORAGE_INVALID_KEY");
      expect(await s().listKeys("ns")).toEqual(["a"]);
      expect(await s().get("ns", "a")).toEqual({ v: "old" });
    });

    it("batchDelete removes the keys and counts the ones that existed", async () => {
      await s().batchSet("ns", { a: { v: 1 }, b: { v: 2 }, c: { v: 3 } });
      expect(await s().batchDelete("ns", ["a", "c", "zz", "a"])).toBe(2);
      expect(await s().listKeys("ns")).toEqual(["b"]);
    });

    it("batchDelete deletes nothing when one key is invalid", async () => {
      await s().batchSet("ns", { a: { v: 1 }, b: { v: 2 } });
      await rejectsWith(s().batchDelete("ns", ["a", "not valid"]), "STORAGE_INVALID_KEY");
      expect(await s().listKeys("ns")).toEqual(["a", "b"]);
    });
  });
}
