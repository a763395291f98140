import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import {
  createStorageWithStateMirror,
  type StorageWithStateMirror,
} from "../../../../src/kernel/mirror/index.ts";
import { createStateEngine, type StateEngine } from "../../../../src/kernel/state/index.ts";
import { openStorage, type Storage } from "../../../../src/kernel/storage/index.ts";

let dir: string;
let storage: Storage;
let state: StateEngine;
let mirror: StorageWithStateMirror;
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
  mirror = createStorageWithStateMirror({
    storage,
    state: flakyState(state),
    secretNamespaces: ["zigbee-keys"],
  });
});

afterEach(async () => {
  await storage.close();
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("StorageWithStateMirror", () => {
  it("writes storage and mirrors the document under <namespace>/<key>", async () => {
    await mirror.set("devices", "lamp", { on: true });
    expect(await storage.get("devices", "lamp")).toEqual({ on: true });
    expect(state.get("devices/lamp")).toEqual({ on: true });
  });

  it("removes the mirror key when the document is deleted", async () => {
    await mirror.set("devices", "lamp", { on: true });
    expect(await mirror.delete("devices", "lamp")).toBe(true);
    expect(state.has("devices/lamp")).toBe(false);
    expect(await storage.has("devices", "lamp")).toBe(false);
  });

  it("undoes the storage write when the mirror step fails, keeping the previous value", async () => {
    await mirror.set("devices", "lamp", { on: false });
    failingKeys.add("devices/lamp");
    const err = await mirror.set("devices", "lamp", { on: true }).catch((e) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe("MIRROR_FAILED");
    expect(await storage.get("devices", "lamp")).toEqual({ on: false });
    expect(state.get("devices/lamp")).toEqual({ on: false });
  });

  it("leaves no document behind when the first write of a key fails to mirror", async () => {
    failingKeys.add("devices/new");
    await expect(mirror.set("devices", "new", { x: 1 })).rejects.toMatchObject({ code: "MIRROR_FAILED" });
    expect(await storage.has("devices", "new")).toBe(false);
    expect(state.has("devices/new")).toBe(false);
  });

  it("rolls a whole batch back when one mirror write fails, in storage and in state", async () => {
    await mirror.set("devices", "a", { v: 0 });
    failingKeys.add("devices/c");
    await expect(mirror.batchSet("devices", { a: { v: 1 }, b: { v: 1 }, c: { v: 1 } })).rejects.toMatchObject(
      { code: "MIRROR_FAILED" },
    );
    expect(await storage.get("devices", "a")).toEqual({ v: 0 });
    expect(await storage.has("devices", "b")).toBe(false);
    expect(state.get("devices/a")).toEqual({ v: 0 });
    expect(state.has("devices/b")).toBe(false);
    expect((await mirror.checkConsistency()).consistent).toBe(true);
  });

  it("undoes a deferred write whose mirror step fails", async () => {
    await mirror.set("reported", "lamp", { on: false });
    failingKeys.add("reported/lamp");
    await expect(mirror.set("reported", "lamp", { on: true }, { deferred: true })).rejects.toMatchObject({
      code: "MIRROR_FAILED",
    });
    await storage.flush();
    expect(await storage.get("reported", "lamp")).toEqual({ on: false });
  });

  it("mirrors deferred writes at once, before they are flushed", async () => {
    await mirror.set("reported", "sensor", { t: 21 }, { deferred: true });
    expect(state.get("reported/sensor")).toEqual({ t: 21 });
  });

  it("never mirrors secret namespaces, built-in or configured", async () => {
    await mirror.set("auth", "token-1", { hash: "abc" });
    await mirror.set("secrets", "wifi", { password: "hunter2" });
    await mirror.set("zigbee-keys", "network", { key: "00112233" });
    expect(await storage.get("secrets", "wifi")).toEqual({ password: "hunter2" });
    expect(state.keys()).toEqual([]);
    expect(mirror.mirrorKey("auth", "x")).toBeUndefined();
    expect(mirror.isSecret("zigbee-keys")).toBe(true);
  });

  it("rebuilds the mirror from storage, dropping keys storage no longer has", async () => {
    await storage.set("devices", "lamp", { on: true });
    await storage.set("secrets", "wifi", { password: "hunter2" });
    await mirror.set("devices", "gone", { x: 1 });
    await storage.delete("devices", "gone");
    const written = await mirror.syncFromStorage();
    expect(written).toBe(1);
    expect(state.keys()).toEqual(["devices/lamp"]);
    expect(state.get("devices/lamp")).toEqual({ on: true });
  });

  it("reports keys missing on either side and values that differ", async () => {
    await mirror.set("devices", "same", { v: 1 });
    await mirror.set("devices", "changed", { v: 1 });
    await mirror.set("devices", "stale", { v: 1 });
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
    await mirror.batchSet("devices", [
      { key: "a", value: { v: 1 } },
      { key: "b", value: { v: 2 } },
    ]);
    expect(await mirror.batchDelete("devices", ["a", "b", "c"])).toBe(2);
    expect(state.keys("devices/**")).toEqual([]);
    expect(await storage.listKeys("devices")).toEqual([]);
  });
});
