import { describe, expect, it } from "bun:test";
import { HearthError } from "../../../../src/errors.ts";
import { createStateEngine } from "../../../../src/kernel/state/index.ts";
import { codeOf } from "./helpers.ts";

class Point {
  x = 1;
}

function cyclic(): unknown {
  const a: Record<string, unknown> = { name: "a" };
  a.self = { back: a };
  return a;
}

describe("values", () => {
  it("accepts every kind of JSON data", () => {
    const s = createStateEngine();
    const value = { n: 1.5, neg: -3, s: "x", b: false, z: null, a: [1, [2, { c: "d" }]], e: {}, ea: [] };
    s.set("k", value);
    expect(s.get("k")).toEqual(value);
    for (const scalar of [0, "", true, null, "text", 1e300]) {
      s.set("scalar", scalar);
      expect(s.get("scalar")).toBe(scalar);
    }
  });

  it("accepts an object without a prototype", () => {
    const s = createStateEngine();
    const bare = Object.create(null) as Record<string, unknown>;
    bare.on = true;
    s.set("k", bare);
    expect(s.get<{ on: boolean }>("k")?.on).toBe(true);
  });

  it("refuses values that are not JSON data with STATE_INVALID_VALUE", () => {
    const s = createStateEngine();
    const bad: unknown[] = [
      () => 1,
      Symbol("s"),
      10n,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      Number.NEGATIVE_INFINITY,
      new Date(),
      new Map(),
      new Set(),
      /re/,
      new Uint8Array(2),
      new Point(),
      new String("boxed"),
      Promise.resolve(),
      cyclic(),
    ];
    for (const value of bad) {
      expect(codeOf(() => s.set("k", value))).toBe("STATE_INVALID_VALUE");
    }
    expect(s.has("k")).toBe(false);
  });

  it("refuses a bad value nested deep inside and names its path", () => {
    const s = createStateEngine();
    let caught: unknown;
    try {
      s.set("dev/1", { attrs: { list: [1, { when: new Date() }] } });
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(HearthError);
    expect((caught as HearthError).code).toBe("STATE_INVALID_VALUE");
    expect((caught as HearthError).data).toEqual({ key: "dev/1", path: "$.attrs.list[1].when" });
  });

  it("refuses undefined as the value itself", () => {
    const s = createStateEngine();
    s.set("k", 1);
    expect(codeOf(() => s.set("k", undefined))).toBe("STATE_INVALID_VALUE");
    expect(s.get("k")).toBe(1);
  });

  it("refuses undefined and holes inside arrays", () => {
    const s = createStateEngine();
    expect(codeOf(() => s.set("k", [1, undefined]))).toBe("STATE_INVALID_VALUE");
    // biome-ignore lint/suspicious/noSparseArray: the hole is the point of the test
    expect(codeOf(() => s.set("k", [1, , 3]))).toBe("STATE_INVALID_VALUE");
  });

  it("drops object properties whose value is undefined", () => {
    const s = createStateEngine();
    s.set("k", { a: 1, b: undefined });
    const stored = s.get<Record<string, unknown>>("k");
    expect(stored).toEqual({ a: 1 });
    expect(Object.keys(stored ?? {})).toEqual(["a"]);
  });

  it("refuses nesting deeper than 100 levels", () => {
    const s = createStateEngine();
    let deep: unknown = 1;
    for (let i = 0; i < 150; i++) deep = [deep];
    expect(codeOf(() => s.set("k", deep))).toBe("STATE_INVALID_VALUE");
  });

  it("accepts the same object referenced twice (not a cycle)", () => {
    const s = createStateEngine();
    const shared = { v: 1 };
    s.set("k", { a: shared, b: [shared, shared] });
    expect(s.get("k")).toEqual({ a: { v: 1 }, b: [{ v: 1 }, { v: 1 }] });
  });

  it("a refused set leaves the previous value, its watchers and stats untouched", () => {
    const s = createStateEngine();
    s.set("k", { ok: true });
    const before = s.stats();
    let calls = 0;
    s.watch("k", () => calls++);
    expect(codeOf(() => s.set("k", { bad: () => 1 }))).toBe("STATE_INVALID_VALUE");
    expect(s.get("k")).toEqual({ ok: true });
    expect(calls).toBe(0);
    expect(s.stats()).toEqual({ ...before, watchers: 1 });
  });

  it("keeps a __proto__ key as plain data without touching the prototype", () => {
    const s = createStateEngine();
    const parsed = JSON.parse('{"__proto__": {"polluted": true}, "a": 1}') as unknown;
    s.set("k", parsed);
    const stored = s.get<Record<string, unknown>>("k") ?? {};
    expect(Object.getPrototypeOf(stored)).toBe(Object.prototype);
    expect((stored as { polluted?: boolean }).polluted).toBeUndefined();
    expect(Object.keys(stored)).toEqual(["__proto__", "a"]);
    expect(JSON.stringify(stored)).toBe('{"__proto__":{"polluted":true},"a":1}');
  });
});

describe("stored copies", () => {
  it("changing the object after set does not change what is stored", () => {
    const s = createStateEngine();
    const input = { level: 10, rgb: [1, 2, 3], meta: { room: "hall" } };
    s.set("lamp", input);
    input.level = 99;
    input.rgb.push(4);
    input.meta.room = "attic";
    expect(s.get("lamp")).toEqual({ level: 10, rgb: [1, 2, 3], meta: { room: "hall" } });
  });

  it("what get() returns is frozen, nested objects and arrays too", () => {
    const s = createStateEngine();
    s.set("lamp", { level: 10, rgb: [1, 2, 3], meta: { room: "hall" } });
    const got = s.get<{ level: number; rgb: number[]; meta: { room: string } }>("lamp");
    if (got === undefined) throw new Error("missing");
    expect(Object.isFrozen(got)).toBe(true);
    expect(() => {
      got.level = 1;
    }).toThrow(TypeError);
    expect(() => got.rgb.push(4)).toThrow(TypeError);
    expect(() => {
      got.meta.room = "attic";
    }).toThrow(TypeError);
    expect(s.get("lamp")).toEqual({ level: 10, rgb: [1, 2, 3], meta: { room: "hall" } });
  });

  it("get() hands out the same frozen copy on every read", () => {
    const s = createStateEngine();
    s.set("k", { a: [1] });
    expect(s.get("k")).toBe(s.get("k"));
  });

  it("the stored copy is not the object that was passed in", () => {
    const s = createStateEngine();
    const input = { a: { b: 1 } };
    s.set("k", input);
    const got = s.get<typeof input>("k");
    expect(got).not.toBe(input);
    expect(got?.a).not.toBe(input.a);
    expect(Object.isFrozen(input)).toBe(false);
  });

  it("a value read from the engine can be set again under another key", () => {
    const s = createStateEngine();
    s.set("a", { x: [1, 2] });
    s.set("b", s.get("a"));
    expect(s.get("b")).toEqual({ x: [1, 2] });
  });
});
