import { describe, expect, it } from "bun:test";
import type { JsonPrimitive } from "../../../../../src/kernel/storage/index.ts";
import { rejectsWith, type StorageFactory, useStorage } from "./harness.ts";

export function queryContract(factory: StorageFactory): void {
  const { s } = useStorage(factory);

  async function seed(): Promise<void> {
    await s().batchSet("dev", {
      "light/kitchen": { type: "light", state: { on: true, level: 1 }, room: "kitchen" },
      "light/hall": { type: "light", state: { on: false, level: 0.5 }, room: "hall" },
      "light/porch": { type: "light", state: { on: 1, level: 0 }, room: null },
      "sensor/hall": { type: "sensor", state: { on: true, value: "1" } },
      "sensor/attic": { type: "sensor", state: { value: 1, list: ["x"] } },
    });
  }

  const keysOf = async (where?: Record<string, JsonPrimitive>, prefix?: string, limit?: number) =>
    (await s().query("dev", { where, prefix, limit })).map((e) => e.key);

  describe("query", () => {
    it("returns every document of the namespace in key order without options", async () => {
      await seed();
      const all = await s().query("dev");
      expect(all.map((e) => e.key)).toEqual([
        "light/hall",
        "light/kitchen",
        "light/porch",
        "sensor/attic",
        "sensor/hall",
      ]);
      expect(all[1]?.value).toEqual({ type: "light", state: { on: true, level: 1 }, room: "kitchen" });
    });

    it("filters by key prefix", async () => {
      await seed();
      expect(await keysOf(undefined, "sensor/")).toEqual(["sensor/attic", "sensor/hall"]);
    });

    it("treats _ in a prefix as a plain character", async () => {
      await s().batchSet("ns", { a_1: { v: 1 }, ab1: { v: 1 }, a_: { v: 1 } });
      expect((await s().query("ns", { prefix: "a_" })).map((e) => e.key)).toEqual(["a_", "a_1"]);
    });

    it("filters on a nested string field", async () => {
      await seed();
      expect(await keysOf({ room: "hall" })).toEqual(["light/hall"]);
      expect(await keysOf({ type: "sensor" })).toEqual(["sensor/attic", "sensor/hall"]);
    });

    it("matches booleans only against booleans, never against 1 or 0", async () => {
      await seed();
      expect(await keysOf({ "state.on": true })).toEqual(["light/kitchen", "sensor/hall"]);
      expect(await keysOf({ "state.on": false })).toEqual(["light/hall"]);
      expect(await keysOf({ "state.on": 1 })).toEqual(["light/porch"]);
    });

    it("matches numbers by value, integers and fractions alike", async () => {
      await seed();
      expect(await keysOf({ "state.level": 0.5 })).toEqual(["light/hall"]);
      expect(await keysOf({ "state.level": 0 })).toEqual(["light/porch"]);
      expect(await keysOf({ "state.level": 1.0 })).toEqual(["light/kitchen"]);
    });

    it("keeps the string '1' and the number 1 apart", async () => {
      await seed();
      expect(await keysOf({ "state.value": "1" })).toEqual(["sensor/hall"]);
      expect(await keysOf({ "state.value": 1 })).toEqual(["sensor/attic"]);
    });

    it("never matches a string against an object's JSON text", async () => {
      await s().set("ns", "o", { a: { x: 1 } });
      expect(await s().query("ns", { where: { a: '{"x":1}' } })).toEqual([]);
    });

    it("treats null as 'null or missing'", async () => {
      await seed();
      expect(await keysOf({ room: null })).toEqual(["light/porch", "sensor/attic", "sensor/hall"]);
    });

    it("does not step into arrays", async () => {
      await seed();
      expect(await keysOf({ "state.list.0": "x" })).toEqual([]);
    });

    it("requires every condition to hold", async () => {
      await seed();
      expect(await keysOf({ type: "light", "state.on": true })).toEqual(["light/kitchen"]);
      expect(await keysOf({ type: "sensor", "state.on": true }, "light/")).toEqual([]);
    });

    it("returns at most limit results, the lowest keys first", async () => {
      await seed();
      expect(await keysOf({ type: "light" }, undefined, 2)).toEqual(["light/hall", "light/kitchen"]);
      expect(await keysOf(undefined, undefined, 0)).toEqual([]);
    });

    it("pages with after: only keys strictly after it, with prefix, where and limit", async () => {
      await seed();
      const page = async (after: string | undefined, prefix?: string) =>
        (await s().query("dev", { prefix, after, limit: 2 })).map((e) => e.key);
      expect(await page(undefined)).toEqual(["light/hall", "light/kitchen"]);
      expect(await page("light/kitchen")).toEqual(["light/porch", "sensor/attic"]);
      expect(await page("sensor/attic")).toEqual(["sensor/hall"]);
      expect(await page("sensor/hall")).toEqual([]);
      expect(await page("light/", "sensor/")).toEqual(["sensor/attic", "sensor/hall"]);
      expect(await page("light/zzz", "light/")).toEqual([]);
      const where = await s().query("dev", { where: { type: "light" }, after: "light/hall" });
      expect(where.map((e) => e.key)).toEqual(["light/kitchen", "light/porch"]);
      await rejectsWith(s().query("dev", { after: "a%" }), "STORAGE_INVALID_KEY");
    });

    it("pages deferred (not yet flushed) documents the same way", async () => {
      await seed();
      await s().set("dev", "light/attic", { type: "light" }, { deferred: true });
      await s().set("dev", "light/kitchen", { type: "light", moved: true }, { deferred: true });
      const got = await s().query("dev", { prefix: "light/", after: "light/attic", limit: 2 });
      expect(got.map((e) => e.key)).toEqual(["light/hall", "light/kitchen"]);
      expect(got[1]?.value).toEqual({ type: "light", moved: true });
    });

    it("refuses paths that are not dotted names, so nothing reaches the SQL", async () => {
      await seed();
      for (const path of ["a') OR 1=1 --", "$.a", "a..b", "a[0]", "", "a.", "a b"]) {
        await rejectsWith(s().query("dev", { where: { [path]: 1 } }), "INVALID_ARGUMENT");
      }
    });

    it("refuses where-values that are not JSON scalars, and bad limits", async () => {
      await rejectsWith(s().query("dev", { where: { a: {} as unknown as string } }), "INVALID_ARGUMENT");
      await rejectsWith(s().query("dev", { where: { a: Number.NaN } }), "INVALID_ARGUMENT");
      await rejectsWith(s().query("dev", { limit: -1 }), "INVALID_ARGUMENT");
      await rejectsWith(s().query("dev", { limit: 1.5 }), "INVALID_ARGUMENT");
      await rejectsWith(s().query("dev", { prefix: "a%" }), "STORAGE_INVALID_KEY");
    });
  });
}
