import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import { createStateMirror, type StateMirror } from "../../../../src/kernel/mirror/index.ts";
import { createStateEngine, type StateEngine } from "../../../../src/kernel/state/index.ts";
import { openStorage, type Storage } from "../../../../src/kernel/storage/index.ts";

let dir: string;
/** The raw storage: the source of truth, written here only to simulate drift and outside writers. */
let storage: Storage;
let state: StateEngine;
/** The storage everyone else writes through. */
let mirrored: Storage;
let mirror: StateMirror;
/** Keys whose mirror write fails, to drive the rollback path through a real engine. */
let failingKeys: Set<string>;

/** A real state engine whose `set` throws for chosen keys (everything else passes through). */
function flakyState(inner: StateEngine): StateEngine {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === "set") {
        return (key: string, value: unknown, options?: { ttlMs?: number }) => {
          if (failingKeys.has(key)) throw new Error(`injected failure for ${key}`);
          target.set(key, value, options);
        };
      }
      const v = Reflect.get(target, prop, receiver);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-mirror-"));
  storage = await openStorage({ path: join(dir, "hearth.db") });
  state = createStateEngine();
  failingKeys = new Set();
  ({ storage: mirrored, mirror } = createStateMirror({
    storage,
    state: flakyState(state),
    secretNamespaces: ["zigbee-keys"],
    namespaces: ["devices", "reported"],
  }));
});

afterEach(async () => {
  await storage.close();
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("the state mirror", () => {
  it("writes storage and mirrors the document under <namespace>/<key>", async () => {
    await mirrored.set("devices", "lamp", { on: true });
    expect(await storage.get("devices", "lamp")).toEqual({ on: true });
    expect(state.get("devices/lamp")).toEqual({ on: true });
  });

  it("removes the mirror key when the document is deleted", async () => {
    await mirrored.set("devices", "lamp", { on: true });
    expect(await mirrored.delete("devices", "lamp")).toBe(true);
    expect(state.has("devices/lamp")).toBe(false);
    expect(await storage.has("devices", "lamp")).toBe(false);
  });

  it("undoes the storage write when the mirror step fails, keeping the previous value", async () => {
    await mirrored.set("devices", "lamp", { on: false });
    failingKeys.add("devices/lamp");
    const err = await mirrored.set("devices", "lamp", { on: true }).catch((e) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe("MIRROR_FAILED");
    expect(await storage.get("devices", "lamp")).toEqual({ on: false });
    expect(state.get("devices/lamp")).toEqual({ on: false });
  });

  it("leaves no document behind when the first write of a key fails to mirror", async () => {
    failingKeys.add("devices/new");
    await expect(mirrored.set("devices", "new", { x: 1 })).rejects.toMatchObject({ code: "MIRROR_FAILED" });
    expect(await storage.has("devices", "new")).toBe(false);
    expect(state.has("devices/new")).toBe(false);
  });

  it("rolls a whole batch back when one mirror write fails, in storage and in state", async () => {
    await mirrored.set("devices", "a", { v: 0 });
    failingKeys.add("devices/c");
    await expect(
      mirrored.batchSet("devices", { a: { v: 1 }, b: { v: 1 }, c: { v: 1 } }),
    ).rejects.toMatchObject({ code: "MIRROR_FAILED" });
    expect(await storage.get("devices", "a")).toEqual({ v: 0 });
    expect(await storage.has("devices", "b")).toBe(false);
    expect(state.get("devices/a")).toEqual({ v: 0 });
    expect(state.has("devices/b")).toBe(false);
    expect((await mirror.checkConsistency()).consistent).toBe(true);
  });

  it("undoes a deferred write whose mirror step fails", async () => {
    await mirrored.set("reported", "lamp", { on: false });
    failingKeys.add("reported/lamp");
    await expect(mirrored.set("reported", "lamp", { on: true }, { deferred: true })).rejects.toMatchObject({
      code: "MIRROR_FAILED",
    });
    await storage.flush();
    expect(await storage.get("reported", "lamp")).toEqual({ on: false });
  });

  it("mirrors deferred writes at once, before they are flushed", async () => {
    await mirrored.set("reported", "sensor", { t: 21 }, { deferred: true });
    expect(state.get("reported/sensor")).toEqual({ t: 21 });
  });

  it("never mirrors secret namespaces, built-in or configured", async () => {
    await mirrored.set("auth", "token-1", { hash: "abc" });
    await mirrored.set("secrets", "wifi", { password: "hunter2" });
    await mirrored.set("zigbee-keys", "network", { key: "00112233" });
    await expect(mirror.track("zigbee-keys")).rejects.toMatchObject({ code: "INVALID_ARGUMENT" });
    expect(await storage.get("secrets", "wifi")).toEqual({ password: "hunter2" });
    expect(state.keys()).toEqual([]);
    expect(mirror.mirrorKey("auth", "x")).toBeUndefined();
    expect(mirror.isSecret("zigbee-keys")).toBe(true);
  });

  it("rebuilds the mirror from storage, dropping keys storage no longer has", async () => {
    await storage.set("devices", "lamp", { on: true });
    await storage.set("secrets", "wifi", { password: "hunter2" });
    await mirrored.set("devices", "gone", { x: 1 });
    await storage.delete("devices", "gone");
    const written = await mirror.syncFromStorage();
    expect(written).toBe(1);
    expect(state.keys()).toEqual(["devices/lamp"]);
    expect(state.get("devices/lamp")).toEqual({ on: true });
  });

  it("reports keys missing on either side and values that differ", async () => {
    await mirrored.set("devices", "same", { v: 1 });
    await mirrored.set("devices", "changed", { v: 1 });
    await mirrored.set("devices", "stale", { v: 1 });
    await storage.set("devices", "only-storage", { v: 1 });
    await storage.set("devices", "changed", { v: 2 });
    await storage.delete("devices", "stale");
    const report = await mirror.checkConsistency();
    expect(report).toEqual({
      consistent: false,
      missingInState: ["devices/only-storage"],
      missingInStorage: ["devices/stale"],
      differing: ["devices/changed"],
    });
    await mirror.syncFromStorage();
    expect((await mirror.checkConsistency()).consistent).toBe(true);
  });

  it("deletes a batch from storage and state together", async () => {
    await mirrored.batchSet("devices", [
      { key: "a", value: { v: 1 } },
      { key: "b", value: { v: 2 } },
    ]);
    expect(await mirrored.batchDelete("devices", ["a", "b", "c"])).toBe(2);
    expect(state.keys("devices/**")).toEqual([]);
    expect(await storage.listKeys("devices")).toEqual([]);
  });

  it("leaves namespaces it does not mirror alone", async () => {
    await mirrored.set("demo", "x", { v: 1 });
    expect(state.keys()).toEqual([]);
    expect(mirror.mirrorKey("demo", "x")).toBeUndefined();
    expect(mirror.mirrorKey("devices", "x")).toBe("devices/x");
  });

  it("copies a namespace into state when it starts being mirrored", async () => {
    await storage.set("rules", "r1", { on: true });
    await mirror.track("rules");
    expect(state.get("rules/r1")).toEqual({ on: true });
    await mirrored.set("rules", "r2", { on: false });
    expect(state.get("rules/r2")).toEqual({ on: false });
    expect(mirror.namespaces()).toEqual(["devices", "reported", "rules"]);
  });

  describe("inside transactions", () => {
    it("applies a transaction's mirror changes when it commits", async () => {
      await mirrored.transaction(async (tx) => {
        await tx.set("devices", "a", { v: 1 });
        await mirrored.set("devices", "b", { v: 2 });
        await tx.delete("devices", "a");
      });
      expect(state.has("devices/a")).toBe(false);
      expect(state.get("devices/b")).toEqual({ v: 2 });
      expect((await mirror.checkConsistency()).consistent).toBe(true);
    });

    it("leaves state untouched when the transaction rolls back", async () => {
      await mirrored.set("devices", "a", { v: 0 });
      const err = await mirrored
        .transaction(async (tx) => {
          await tx.set("devices", "a", { v: 1 });
          await tx.set("devices", "b", { v: 1 });
          throw new Error("changed my mind");
        })
        .catch((e: unknown) => e);
      expect((err as Error).message).toBe("changed my mind");
      expect(state.get("devices/a")).toEqual({ v: 0 });
      expect(state.has("devices/b")).toBe(false);
      expect((await mirror.checkConsistency()).consistent).toBe(true);
    });

    it("drops only the changes of a nested transaction that failed", async () => {
      await mirrored.transaction(async (tx) => {
        await tx.set("devices", "kept", { v: 1 });
        await tx
          .transaction(async (inner) => {
            await inner.set("devices", "dropped", { v: 1 });
            throw new Error("inner fails");
          })
          .catch(() => undefined);
      });
      expect(state.get("devices/kept")).toEqual({ v: 1 });
      expect(state.has("devices/dropped")).toBe(false);
      expect(await storage.has("devices", "dropped")).toBe(false);
      expect((await mirror.checkConsistency()).consistent).toBe(true);
    });

    it("rolls the whole transaction back when its mirror step fails", async () => {
      failingKeys.add("devices/bad");
      await expect(
        mirrored.transaction(async (tx) => {
          await tx.set("demo", "other", { v: 1 });
          await tx.set("devices", "good", { v: 1 });
          await tx.set("devices", "bad", { v: 1 });
        }),
      ).rejects.toMatchObject({ code: "MIRROR_FAILED" });
      expect(await storage.has("demo", "other")).toBe(false);
      expect(await storage.has("devices", "good")).toBe(false);
      expect(state.has("devices/good")).toBe(false);
    });

    it("never discards another caller's write when one transaction fails", async () => {
      const slow = mirrored.transaction(async (tx) => {
        await tx.set("devices", "mine", { v: 1 });
        await Bun.sleep(20);
        throw new Error("fails late");
      });
      const other = mirrored.set("devices", "theirs", { v: 2 });
      await expect(slow).rejects.toThrow("fails late");
      await other;
      expect(await storage.get("devices", "theirs")).toEqual({ v: 2 });
      expect(state.get("devices/theirs")).toEqual({ v: 2 });
      expect(state.has("devices/mine")).toBe(false);
    });
  });
});

describe("the wrapper's other members", () => {
  it("forwards dataVersion, so a cache over the mirrored storage sees commits by another process", async () => {
    expect(typeof mirrored.dataVersion).toBe("function");
    const before = mirrored.dataVersion?.();
    const other = await openStorage({ path: join(dir, "hearth.db") });
    try {
      await other.set("elsewhere", "k", { v: 1 });
      await other.flush();
    } finally {
      await other.close();
    }
    expect(mirrored.dataVersion?.()).not.toBe(before);
  });
});
