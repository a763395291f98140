import { describe, expect, it } from "bun:test";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eventually, failsWith, type StorageFactory, useStorage } from "./harness.ts";

export function deferredContract(factory: StorageFactory): void {
  // A long interval, so nothing flushes unless the test asks.
  const { s, make } = useStorage((options) => factory({ flushIntervalMs: 600_000, ...options }));
  const later = { deferred: true };

  describe("deferred writes", () => {
    it("are visible at once to get, has, listKeys, batchGet and query", async () => {
      await s().set("dev", "a", { on: false });
      await s().set("dev", "b", { on: true }, later);
      await s().set("dev", "a", { on: true }, later);
      expect(await s().get("dev", "b")).toEqual({ on: true });
      expect(await s().has("dev", "b")).toBe(true);
      expect(await s().listKeys("dev")).toEqual(["a", "b"]);
      expect([...(await s().batchGet("dev", ["a", "b"]))]).toEqual([
        ["a", { on: true }],
        ["b", { on: true }],
      ]);
      expect((await s().query("dev", { where: { on: true } })).map((e) => e.key)).toEqual(["a", "b"]);
      expect(s().stats().writes).toBe(1);
    });

    it("coalesce per key: many sets become one row write at flush", async () => {
      const before = s().stats();
      for (let i = 0; i < 50; i++) await s().set("dev", "lamp", { level: i }, later);
      expect(s().stats().deferredPending).toBe(1);
      expect(s().stats().writes).toBe(before.writes);
      await s().flush();
      const after = s().stats();
      expect(after.writes - before.writes).toBe(1);
      expect(after.deferredFlushes - before.deferredFlushes).toBe(1);
      expect(after.transactions - before.transactions).toBe(1);
      expect(after.deferredPending).toBe(0);
      expect(await s().get("dev", "lamp")).toEqual({ level: 49 });
    });

    it("flush many keys in one transaction", async () => {
      const before = s().stats().transactions;
      for (let i = 0; i < 10; i++) await s().set("dev", `d${i}`, { i }, later);
      await s().flush();
      expect(s().stats().transactions - before).toBe(1);
      expect(s().stats().writes).toBe(10);
    });

    it("flush by themselves after flushIntervalMs", async () => {
      const st = await make({ flushIntervalMs: 20 });
      await st.set("dev", "lamp", { on: true }, later);
      expect(st.stats().deferredFlushes).toBe(0);
      await eventually(() => st.stats().deferredFlushes === 1, "the interval flush");
      expect(st.stats().deferredPending).toBe(0);
      expect(await st.get("dev", "lamp")).toEqual({ on: true });
    });

    it("are flushed by close()", async () => {
      await s().set("dev", "lamp", { on: true }, later);
      await s().close();
      expect(s().stats().deferredPending).toBe(0);
      expect(s().stats().deferredFlushes).toBe(1);
      expect(s().stats().writes).toBe(1);
    });

    it("are superseded by a later direct set of the same key", async () => {
      await s().set("dev", "lamp", { v: "deferred" }, later);
      await s().set("dev", "lamp", { v: "direct" });
      expect(s().stats().deferredPending).toBe(0);
      await s().flush();
      expect(await s().get("dev", "lamp")).toEqual({ v: "direct" });
    });

    it("are superseded by a delete, which reports the key as existing", async () => {
      await s().set("dev", "lamp", { v: 1 }, later);
      expect(await s().delete("dev", "lamp")).toBe(true);
      await s().flush();
      expect(await s().has("dev", "lamp")).toBe(false);
      expect(await s().batchDelete("dev", ["lamp"])).toBe(0);
    });

    it("take part in query filters with their new values", async () => {
      await s().batchSet("dev", { a: { on: true }, b: { on: true }, c: { on: true }, d: { on: false } });
      await s().set("dev", "a", { on: false }, later);
      await s().set("dev", "d", { on: true }, later);
      await s().set("dev", "e", { on: true }, later);
      const keys = async (limit?: number) =>
        (await s().query("dev", { where: { on: true }, limit })).map((e) => e.key);
      expect(await keys()).toEqual(["b", "c", "d", "e"]);
      expect(await keys(2)).toEqual(["b", "c"]);
      expect((await s().query("dev", { prefix: "a" })).map((e) => e.value)).toEqual([{ on: false }]);
    });

    it("count in namespaces() without counting a key twice", async () => {
      await s().set("dev", "a", { v: 1 });
      await s().set("dev", "a", { v: 2 }, later);
      await s().set("dev", "b", { v: 1 }, later);
      await s().set("other", "x", { v: 1 }, later);
      expect(await s().namespaces()).toEqual([
        { namespace: "dev", keys: 2 },
        { namespace: "other", keys: 1 },
      ]);
    });

    it("come back when a transaction that overwrote them rolls back", async () => {
      await s().set("dev", "lamp", { v: "pending" }, later);
      const outcome = s().transaction(async (tx) => {
        await tx.set("dev", "lamp", { v: "in tx" });
        await tx.transaction(async () => s().flush());
        throw new Error("roll back");
      });
      await failsWith(outcome, "roll back");
      expect(await s().get("dev", "lamp")).toEqual({ v: "pending" });
      expect(s().stats().deferredPending).toBe(1);
      await s().flush();
      expect(await s().get("dev", "lamp")).toEqual({ v: "pending" });
    });

    it("inside a transaction are written and rolled back with it", async () => {
      const outcome = s().transaction(async (tx) => {
        await tx.set("dev", "lamp", { v: 1 }, later);
        expect(await tx.get("dev", "lamp")).toEqual({ v: 1 });
        throw new Error("roll back");
      });
      await failsWith(outcome, "roll back");
      expect(s().stats().deferredPending).toBe(0);
      expect(await s().has("dev", "lamp")).toBe(false);
    });

    it("are copied into a backup", async () => {
      const target = join(tmpdir(), `hearth-storage-backup-${crypto.randomUUID()}`);
      await s().set("dev", "lamp", { on: true }, later);
      await s().backup(target);
      expect(s().stats().deferredPending).toBe(0);
      await Bun.file(target).delete();
    });
  });
}
