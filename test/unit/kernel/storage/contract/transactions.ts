import { describe, expect, it } from "bun:test";
import { failsWith, gate, rejectsWith, type StorageFactory, tick, track, useStorage } from "./harness.ts";

export function transactionContract(factory: StorageFactory): void {
  const { s } = useStorage(factory);

  describe("transactions", () => {
    it("commits every write of the callback and returns its value", async () => {
      const result = await s().transaction(async (tx) => {
        await tx.set("ns", "a", { v: 1 });
        await tx.batchSet("ns", { b: { v: 2 } });
        await tx.delete("ns", "a");
        await tx.set("ns", "c", { v: 3 });
        return "done";
      });
      expect(result).toBe("done");
      expect(await s().listKeys("ns")).toEqual(["b", "c"]);
    });

    it("sees its own writes before committing", async () => {
      await s().transaction(async (tx) => {
        await tx.set("ns", "a", { v: 1 });
        expect(await tx.get("ns", "a")).toEqual({ v: 1 });
        expect(await tx.query("ns", { where: { v: 1 } })).toHaveLength(1);
      });
    });

    it("rolls everything back when the callback rejects, and rejects with the same error", async () => {
      await s().set("ns", "keep", { v: "before" });
      const boom = new Error("boom");
      const outcome = s().transaction(async (tx) => {
        await tx.set("ns", "keep", { v: "changed" });
        await tx.set("ns", "new", { v: 1 });
        await tx.delete("ns", "keep");
        throw boom;
      });
      expect(await failsWith(outcome, "boom")).toBe(boom);
      expect(await s().listKeys("ns")).toEqual(["keep"]);
      expect(await s().get("ns", "keep")).toEqual({ v: "before" });
    });

    it("rolls back when the callback throws synchronously", async () => {
      const outcome = s().transaction(((tx: { set: (ns: string, k: string, v: object) => unknown }) => {
        void tx.set("ns", "a", { v: 1 });
        throw new Error("sync");
      }) as never);
      await failsWith(outcome, "sync");
      expect(await s().has("ns", "a")).toBe(false);
    });

    it("counts transactions and rollbacks", async () => {
      const before = s().stats();
      await s().transaction(async (tx) => tx.set("ns", "a", { v: 1 }));
      await s()
        .transaction(async () => {
          throw new Error("no");
        })
        .catch(() => undefined);
      const after = s().stats();
      expect(after.transactions - before.transactions).toBe(2);
      expect(after.rollbacks - before.rollbacks).toBe(1);
    });

    it("joins a nested tx.transaction into the outer one", async () => {
      const outcome = s().transaction(async (tx) => {
        await tx.transaction(async (inner) => inner.set("ns", "inner", { v: 1 }));
        expect(await tx.get("ns", "inner")).toEqual({ v: 1 });
        throw new Error("outer fails");
      });
      await failsWith(outcome, "outer fails");
      expect(await s().has("ns", "inner")).toBe(false);
    });

    it("joins storage calls made from inside the callback instead of waiting for it", async () => {
      const outcome = s().transaction(async () => {
        await s().set("ns", "via-storage", { v: 1 });
        await s().batchSet("ns", { batch: { v: 2 } });
        expect(await s().get("ns", "via-storage")).toEqual({ v: 1 });
        await s().transaction(async () => s().set("ns", "nested", { v: 3 }));
        throw new Error("undo all");
      });
      await failsWith(outcome, "undo all");
      expect(await s().listKeys("ns")).toEqual([]);
    });

    it("undoes only a failed nested transaction when the outer callback catches its error", async () => {
      await s().transaction(async (tx) => {
        await tx.set("ns", "outer", { v: 1 });
        await tx
          .transaction(async (inner) => {
            await inner.set("ns", "inner", { v: 2 });
            await inner.set("ns", "outer", { v: "overwritten" });
            throw new Error("inner fails");
          })
          .catch(() => undefined);
        await tx.set("ns", "after", { v: 3 });
      });
      expect(await s().listKeys("ns")).toEqual(["after", "outer"]);
      expect(await s().get("ns", "outer")).toEqual({ v: 1 });
    });

    it("lets the outer handle be used inside a nested transaction without waiting forever", async () => {
      await s().transaction(async (tx) => {
        await tx.transaction(async () => {
          await tx.set("ns", "a", { v: 1 });
        });
      });
      expect(await s().get("ns", "a")).toEqual({ v: 1 });
    });

    it("refuses a transaction handle used after its transaction ended", async () => {
      let leaked: Parameters<Parameters<ReturnType<typeof s>["transaction"]>[0]>[0] | undefined;
      await s().transaction(async (tx) => {
        leaked = tx;
      });
      await rejectsWith(leaked?.set("ns", "late", { v: 1 }) ?? Promise.resolve(), "INVALID_ARGUMENT");
      expect(await s().has("ns", "late")).toBe(false);
    });

    it("keeps another caller's write when a transaction open at the same time fails", async () => {
      const hold = gate();
      const a = s().transaction(async (tx) => {
        await tx.set("ns", "a", { by: "A" });
        await hold.promise;
        throw new Error("A fails");
      });
      await tick();
      const b = track(s().set("ns", "b", { by: "B" }));
      await tick(20);
      const bWaitedForA = !b.settled();
      hold.open();
      await failsWith(a, "A fails");
      await b.promise;
      expect(await s().get("ns", "a")).toBeUndefined();
      expect(await s().get("ns", "b")).toEqual({ by: "B" });
      expect(bWaitedForA).toBe(true);
    });

    it("makes readers wait, so they never see a transaction's uncommitted writes", async () => {
      await s().set("ns", "k", { v: "committed" });
      const hold = gate();
      const a = s().transaction(async (tx) => {
        await tx.set("ns", "k", { v: "uncommitted" });
        await hold.promise;
        throw new Error("A fails");
      });
      await tick();
      const read = track(s().get("ns", "k"));
      const keys = track(s().listKeys("ns"));
      await tick(20);
      const readWaited = !read.settled();
      hold.open();
      await a.catch(() => undefined);
      expect(await read.promise).toEqual({ v: "committed" });
      expect(await keys.promise).toEqual(["k"]);
      expect(readWaited).toBe(true);
    });

    it("runs concurrent transactions one after the other: one fails, the other commits", async () => {
      const hold = gate();
      const a = s().transaction(async (tx) => {
        await tx.set("ns", "a", { v: 1 });
        await hold.promise;
        throw new Error("A fails");
      });
      const b = s().transaction(async (tx) => {
        await tx.set("ns", "b", { v: 2 });
        expect(await tx.has("ns", "a")).toBe(false);
        return "B";
      });
      await tick();
      hold.open();
      await failsWith(a, "A fails");
      expect(await b).toBe("B");
      expect(await s().listKeys("ns")).toEqual(["b"]);
    });

    it("loses no update when many transactions read and write the same key concurrently", async () => {
      await s().set("ns", "counter", { n: 0 });
      await Promise.all(
        Array.from({ length: 20 }, () =>
          s().transaction(async (tx) => {
            const current = (await tx.get<{ n: number }>("ns", "counter"))?.n ?? 0;
            await tick(1);
            await tx.set("ns", "counter", { n: current + 1 });
          }),
        ),
      );
      expect(await s().get("ns", "counter")).toEqual({ n: 20 });
    });

    it("rolls back a batch inside a transaction together with the rest", async () => {
      const outcome = s().transaction(async (tx) => {
        await tx.batchSet("ns", { a: { v: 1 }, b: { v: 2 } });
        expect(await tx.batchDelete("ns", ["a"])).toBe(1);
        throw new Error("no");
      });
      await failsWith(outcome, "no");
      expect(await s().namespaces()).toEqual([]);
    });
  });

  describe("closing", () => {
    it("can be closed more than once", async () => {
      await s().close();
      await s().close();
    });

    it("refuses every use after close with STORAGE_CLOSED", async () => {
      await s().set("ns", "k", { v: 1 });
      await s().close();
      await rejectsWith(s().get("ns", "k"), "STORAGE_CLOSED");
      await rejectsWith(s().set("ns", "k", { v: 2 }), "STORAGE_CLOSED");
      await rejectsWith(s().query("ns"), "STORAGE_CLOSED");
      await rejectsWith(
        s().transaction(async () => 1),
        "STORAGE_CLOSED",
      );
      await rejectsWith(s().flush(), "STORAGE_CLOSED");
    });

    it("waits for an open transaction to commit before closing", async () => {
      const hold = gate();
      const a = s().transaction(async (tx) => {
        await tx.set("ns", "k", { v: 1 });
        await hold.promise;
        await tx.set("ns", "k2", { v: 2 });
      });
      await tick();
      const closing = track(s().close());
      await tick(20);
      const closeWaited = !closing.settled();
      hold.open();
      await a;
      await closing.promise;
      expect(closeWaited).toBe(true);
    });

    it("refuses close() from inside a transaction instead of waiting forever", async () => {
      await s().transaction(async () => {
        await rejectsWith(s().close(), "INVALID_ARGUMENT");
      });
      expect(await s().namespaces()).toEqual([]);
    });

    it("refuses to back up over an existing file", async () => {
      const target = import.meta.path;
      await rejectsWith(s().backup(target), "STORAGE_BACKUP_FAILED");
    });
  });
}
