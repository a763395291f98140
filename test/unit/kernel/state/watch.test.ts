import { describe, expect, it } from "bun:test";
import { createStateEngine, type StateChange } from "../../../../src/kernel/state/index.ts";
import { captureLog } from "../../../helpers/log.ts";
import { codeOf } from "./helpers.ts";

function recorder() {
  const changes: StateChange[] = [];
  return { changes, fn: (c: StateChange) => void changes.push(c) };
}

describe("watch", () => {
  it("a watcher sees set changes with the old and new value", () => {
    const s = createStateEngine();
    const r = recorder();
    s.watch("lamp", r.fn);
    s.set("lamp", 1);
    s.set("lamp", 2);
    expect(r.changes).toEqual([
      { key: "lamp", old: undefined, new: 1, reason: "set" },
      { key: "lamp", old: 1, new: 2, reason: "set" },
    ]);
  });

  it("a watcher sees deletes with reason deleted and new undefined", () => {
    const s = createStateEngine();
    s.set("lamp", { on: true });
    const r = recorder();
    s.watch("lamp", r.fn);
    s.delete("lamp");
    expect(r.changes).toEqual([{ key: "lamp", old: { on: true }, new: undefined, reason: "deleted" }]);
  });

  it("deleting a missing key notifies nobody", () => {
    const s = createStateEngine();
    const r = recorder();
    s.watch("**", r.fn);
    s.delete("nothing");
    expect(r.changes).toHaveLength(0);
  });

  it("a watcher only sees keys its pattern matches", () => {
    const s = createStateEngine();
    const seg = recorder();
    const deep = recorder();
    s.watch("dev/*", seg.fn);
    s.watch("dev/**", deep.fn);
    for (const k of ["dev/a", "dev/a/b", "other/a", "dev"]) s.set(k, 1);
    expect(seg.changes.map((c) => c.key)).toEqual(["dev/a"]);
    expect(deep.changes.map((c) => c.key)).toEqual(["dev/a", "dev/a/b"]);
  });

  it("watchers have run by the time set() returns, and see the new value stored", () => {
    const s = createStateEngine();
    let seenInside: unknown;
    s.watch("k", () => {
      seenInside = s.get("k");
    });
    s.set("k", "new");
    expect(seenInside).toBe("new");
  });

  it("setting a value equal to the current one still notifies", () => {
    const s = createStateEngine();
    s.set("k", { a: [1] });
    const r = recorder();
    s.watch("k", r.fn);
    s.set("k", { a: [1] });
    expect(r.changes).toEqual([{ key: "k", old: { a: [1] }, new: { a: [1] }, reason: "set" }]);
  });

  it("watchers receive the frozen stored values", () => {
    const s = createStateEngine();
    s.set("k", { v: 1 });
    const r = recorder();
    s.watch("k", r.fn);
    s.set("k", { v: 2 });
    const change = r.changes[0];
    expect(Object.isFrozen(change?.old)).toBe(true);
    expect(change?.new).toBe(s.get("k"));
  });

  it("a watcher cannot alter the change the next watcher sees", () => {
    const s = createStateEngine();
    const r = recorder();
    s.watch("k", (c) => {
      (c as { key: string }).key = "tampered";
    });
    s.watch("k", r.fn);
    s.set("k", 1);
    expect(r.changes[0]?.key).toBe("k");
  });

  it("a throwing watcher does not stop the others or the setter, and is logged with key and pattern", () => {
    const cap = captureLog();
    const s = createStateEngine({ logger: cap.logger });
    const r1 = recorder();
    const r2 = recorder();
    s.watch("k*", r1.fn);
    s.watch("k", () => {
      throw new Error("watcher broke");
    });
    s.watch("**", r2.fn);
    expect(() => s.set("k", 1)).not.toThrow();
    expect(s.get("k")).toBe(1);
    expect(r1.changes).toHaveLength(1);
    expect(r2.changes).toHaveLength(1);
    const line = cap.lines.find((l) => l.msg === "state watcher threw");
    expect(line).toMatchObject({ level: "error", component: "state", key: "k", pattern: "k" });
    expect(cap.text()).toContain("watcher broke");
  });

  it("an async watcher that rejects is logged instead of becoming an unhandled rejection", async () => {
    const cap = captureLog();
    const s = createStateEngine({ logger: cap.logger });
    // biome-ignore lint/nursery/noMisusedPromises: an async watcher is exactly what this test feeds in
    s.watch("k", async () => {
      throw new Error("async watcher broke");
    });
    s.set("k", 1);
    await Bun.sleep(1);
    expect(cap.lines.find((l) => l.msg === "state watcher threw")).toMatchObject({ key: "k", pattern: "k" });
  });

  it("unwatch stops the notifications, and calling it twice is harmless", () => {
    const s = createStateEngine();
    const r = recorder();
    const unwatch = s.watch("k", r.fn);
    s.set("k", 1);
    unwatch();
    unwatch();
    s.set("k", 2);
    expect(r.changes).toHaveLength(1);
    expect(s.stats().watchers).toBe(0);
  });

  it("a watcher may unwatch itself during a notification without disturbing the others", () => {
    const s = createStateEngine();
    let selfCalls = 0;
    const after = recorder();
    const unwatch = s.watch("k", () => {
      selfCalls++;
      unwatch();
    });
    s.watch("k", after.fn);
    s.set("k", 1);
    s.set("k", 2);
    expect(selfCalls).toBe(1);
    expect(after.changes.map((c) => c.new)).toEqual([1, 2]);
  });

  it("a watcher unwatched by an earlier one during a notification is not called", () => {
    const s = createStateEngine();
    const later = recorder();
    s.watch("k", () => unwatchLater());
    const unwatchLater = s.watch("k", later.fn);
    s.set("k", 1);
    expect(later.changes).toHaveLength(0);
  });

  it("a watcher added during a notification sees only later changes", () => {
    const s = createStateEngine();
    const late = recorder();
    let added = false;
    s.watch("k", () => {
      if (!added) {
        added = true;
        s.watch("k", late.fn);
      }
    });
    s.set("k", 1);
    s.set("k", 2);
    expect(late.changes.map((c) => c.new)).toEqual([2]);
  });

  it("a watcher can write other keys, and their watchers fire too", () => {
    const s = createStateEngine();
    const mirror = recorder();
    s.watch("src", (c) => s.set("copy", c.new));
    s.watch("copy", mirror.fn);
    s.set("src", "v");
    expect(s.get("copy")).toBe("v");
    expect(mirror.changes).toEqual([{ key: "copy", old: undefined, new: "v", reason: "set" }]);
  });

  it("watch() refuses something that is not a function", () => {
    const s = createStateEngine();
    expect(codeOf(() => s.watch("k", 1 as unknown as () => void))).toBe("INVALID_ARGUMENT");
    expect(s.stats().watchers).toBe(0);
  });

  it("watch() needs a pattern; it does not default to every key", () => {
    const s = createStateEngine();
    expect(codeOf(() => s.watch(undefined as unknown as string, () => {}))).toBe("STATE_INVALID_KEY");
    expect(s.stats().watchers).toBe(0);
  });
});
