import { describe, expect, it } from "bun:test";
import { createStateEngine } from "../../../../src/kernel/state/index.ts";
import { codeOf } from "./helpers.ts";

describe("get, set, delete, has", () => {
  it("returns what was set and undefined for a missing key", () => {
    const s = createStateEngine();
    s.set("light/kitchen", { on: true });
    expect(s.get("light/kitchen")).toEqual({ on: true });
    expect(s.get("light/hall")).toBeUndefined();
  });

  it("has() tells a present key from a missing one", () => {
    const s = createStateEngine();
    s.set("a", 0);
    expect(s.has("a")).toBe(true);
    expect(s.has("b")).toBe(false);
  });

  it("delete() removes a key and reports whether it existed", () => {
    const s = createStateEngine();
    s.set("a", null);
    expect(s.delete("a")).toBe(true);
    expect(s.has("a")).toBe(false);
    expect(s.delete("a")).toBe(false);
  });

  it("stores null as a value distinct from a missing key", () => {
    const s = createStateEngine();
    s.set("a", null);
    expect(s.get("a")).toBeNull();
    expect(s.has("a")).toBe(true);
  });

  it("set() replaces the previous value", () => {
    const s = createStateEngine();
    s.set("a", 1);
    s.set("a", "two");
    expect(s.get("a")).toBe("two");
    expect(s.stats().keys).toBe(1);
  });
});

describe("keys", () => {
  it("accepts every allowed character and a key of 512 characters", () => {
    const s = createStateEngine();
    const all = "AZaz09_.:@/-";
    s.set(all, 1);
    s.set("k".repeat(512), 2);
    expect(s.get(all)).toBe(1);
    expect(s.get("k".repeat(512))).toBe(2);
  });

  it("refuses empty, too long, and out-of-charset keys on every method", () => {
    const s = createStateEngine();
    const bad: unknown[] = ["", "k".repeat(513), "a b", "café", "a*", "a\n", "a#b", 42, undefined, null];
    for (const key of bad) {
      const k = key as string;
      expect(codeOf(() => s.set(k, 1))).toBe("STATE_INVALID_KEY");
      expect(codeOf(() => s.get(k))).toBe("STATE_INVALID_KEY");
      expect(codeOf(() => s.has(k))).toBe("STATE_INVALID_KEY");
      expect(codeOf(() => s.delete(k))).toBe("STATE_INVALID_KEY");
    }
    expect(s.stats().keys).toBe(0);
  });

  it("keys() returns every key, sorted", () => {
    const s = createStateEngine();
    for (const k of ["b", "a/2", "C", "a/10", "a"]) s.set(k, 1);
    expect(s.keys()).toEqual(["C", "a", "a/10", "a/2", "b"]);
  });

  it("keys('**') is the same as keys()", () => {
    const s = createStateEngine();
    for (const k of ["x/y/z", "x", "y"]) s.set(k, 1);
    expect(s.keys("**")).toEqual(s.keys());
    expect(s.keys("**")).toHaveLength(3);
  });

  it("a pattern without wildcards matches only that exact key", () => {
    const s = createStateEngine();
    for (const k of ["a/b", "a/bc", "a/b/c"]) s.set(k, 1);
    expect(s.keys("a/b")).toEqual(["a/b"]);
  });

  it("* matches within one segment, including an empty run, but never across /", () => {
    const s = createStateEngine();
    for (const k of ["dev/lamp", "dev/", "dev/lamp/on", "devx/lamp", "dev"]) s.set(k, 1);
    expect(s.keys("dev/*")).toEqual(["dev/", "dev/lamp"]);
  });

  it("* can sit inside a segment", () => {
    const s = createStateEngine();
    for (const k of [
      "sensor/temp_1/value",
      "sensor/temp_22/value",
      "sensor/hum_1/value",
      "sensor/temp_1/x",
    ]) {
      s.set(k, 1);
    }
    expect(s.keys("sensor/temp_*/value")).toEqual(["sensor/temp_1/value", "sensor/temp_22/value"]);
  });

  it("** matches across segments", () => {
    const s = createStateEngine();
    for (const k of ["zigbee/a", "zigbee/a/b/c", "zigbee", "zwave/a"]) s.set(k, 1);
    expect(s.keys("zigbee/**")).toEqual(["zigbee/a", "zigbee/a/b/c"]);
    expect(s.keys("**/c")).toEqual(["zigbee/a/b/c"]);
  });

  it("a dot in a pattern is literal, not any character", () => {
    const s = createStateEngine();
    for (const k of ["a.b", "axb"]) s.set(k, 1);
    expect(s.keys("a.b")).toEqual(["a.b"]);
    expect(s.keys("a.*")).toEqual(["a.b"]);
  });

  it("refuses invalid patterns with STATE_INVALID_KEY", () => {
    const s = createStateEngine();
    for (const p of ["", "a b", "***", "a/***", "é*", 7]) {
      expect(codeOf(() => s.keys(p as string))).toBe("STATE_INVALID_KEY");
      expect(codeOf(() => s.watch(p as string, () => {}))).toBe("STATE_INVALID_KEY");
    }
  });

  it("the same pattern gives the same answer however often it is used", () => {
    const s = createStateEngine();
    for (const k of ["r/1", "r/2", "q/1"]) s.set(k, 1);
    // Enough distinct patterns to cycle the compiled-pattern cache.
    for (let i = 0; i < 300; i++) s.keys(`p${i}/*`);
    expect(s.keys("r/*")).toEqual(["r/1", "r/2"]);
    for (let i = 0; i < 300; i++) s.keys(`p${i}/*`);
    expect(s.keys("r/*")).toEqual(["r/1", "r/2"]);
  });
});

describe("stats", () => {
  it("counts keys, watchers and keys with a TTL", () => {
    const s = createStateEngine();
    s.set("a", 1);
    s.set("b", 2, { ttlMs: 60_000 });
    const unwatch = s.watch("**", () => {});
    s.watch("a", () => {});
    expect(s.stats()).toMatchObject({ keys: 2, watchers: 2, keysWithTtl: 1 });
    unwatch();
    expect(s.stats().watchers).toBe(1);
    s.close();
  });

  it("approxBytes is each key's length plus its value's JSON length", () => {
    const s = createStateEngine();
    const values: Record<string, unknown> = {
      n: -12.5e-7,
      t: true,
      f: false,
      z: null,
      s: 'quote " back\\ nl\n tab\t \u0001 é 😀',
      long: `${"x".repeat(40)}\n"\ud800`,
      longPlain: "y".repeat(50),
      arr: [1, "x", [], {}, [null, false]],
      obj: { a: { b: { c: [1, 2, { d: "e" }] } }, 'k"ey': 1, empty: {} },
    };
    let expected = 0;
    for (const [k, v] of Object.entries(values)) {
      s.set(k, v);
      expected += k.length + JSON.stringify(v).length;
    }
    expect(s.stats().approxBytes).toBe(expected);
  });

  it("approxBytes ignores object properties that are undefined, as JSON does", () => {
    const s = createStateEngine();
    s.set("k", { a: 1, b: undefined, c: 2 });
    expect(s.stats().approxBytes).toBe(1 + JSON.stringify({ a: 1, c: 2 }).length);
  });

  it("approxBytes follows overwrites and deletes", () => {
    const s = createStateEngine();
    s.set("key", "a long string value");
    s.set("key", 1);
    s.set("other", [1, 2, 3]);
    expect(s.stats().approxBytes).toBe(3 + 1 + 5 + 7);
    s.delete("other");
    expect(s.stats().approxBytes).toBe(4);
    s.delete("key");
    expect(s.stats().approxBytes).toBe(0);
  });
});
