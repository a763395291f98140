import { afterEach, describe, expect, it } from "bun:test";
import { createStateEngine, type StateChange, type StateEngine } from "../../../../src/kernel/state/index.ts";
import { codeOf, countingTimers, waitFor } from "./helpers.ts";

const engines: StateEngine[] = [];

function engine(options: Parameters<typeof createStateEngine>[0] = {}): StateEngine {
  const s = createStateEngine(options);
  engines.push(s);
  return s;
}

afterEach(() => {
  for (const s of engines.splice(0)) s.close();
});

function expiredOf(s: StateEngine, pattern = "**"): StateChange[] {
  const out: StateChange[] = [];
  s.watch(pattern, (c) => {
    if (c.reason === "expired") out.push(c);
  });
  return out;
}

describe("ttl", () => {
  it("a key set with ttlMs disappears after it", async () => {
    const s = engine();
    s.set("k", 1, { ttlMs: 20 });
    s.set("stay", 1);
    expect(s.get("k")).toBe(1);
    await Bun.sleep(80);
    expect(s.get("k")).toBeUndefined();
    expect(s.has("k")).toBe(false);
    expect(s.keys()).toEqual(["stay"]);
    expect(s.stats()).toMatchObject({ keys: 1, keysWithTtl: 0, approxBytes: 5 });
  });

  it("watchers get one expired change with the old value and new undefined", async () => {
    const s = engine();
    const expired = expiredOf(s);
    s.set("k", { v: 1 }, { ttlMs: 20 });
    await Bun.sleep(80);
    expect(expired).toEqual([{ key: "k", old: { v: 1 }, new: undefined, reason: "expired" }]);
  });

  it("the timer collects an expired key even if nobody reads it", async () => {
    const s = engine();
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 20 });
    expect(await waitFor(() => expired.length === 1)).toBe(true);
  });

  it("setting the key again without ttlMs clears its TTL", async () => {
    const s = engine();
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 20 });
    s.set("k", 2);
    expect(s.stats().keysWithTtl).toBe(0);
    await Bun.sleep(80);
    expect(s.get("k")).toBe(2);
    expect(expired).toHaveLength(0);
  });

  it("setting the key again with a longer ttlMs replaces the deadline", async () => {
    const s = engine();
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 20 });
    s.set("k", 2, { ttlMs: 60_000 });
    await Bun.sleep(80);
    expect(s.get("k")).toBe(2);
    expect(expired).toHaveLength(0);
  });

  it("setting the key again with a shorter ttlMs brings the expiry forward", async () => {
    const s = engine();
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 60_000 });
    s.set("k", 2, { ttlMs: 20 });
    expect(await waitFor(() => expired.length === 1)).toBe(true);
    expect(expired[0]).toMatchObject({ key: "k", old: 2 });
  });

  it("deleting a key with a TTL means no expired change later", async () => {
    const s = engine();
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 20 });
    expect(s.delete("k")).toBe(true);
    s.set("k", "again");
    await Bun.sleep(80);
    expect(s.get("k")).toBe("again");
    expect(expired).toHaveLength(0);
    expect(s.stats().keysWithTtl).toBe(0);
  });

  it("refuses a ttlMs that is not a positive finite number, storing nothing", () => {
    const s = engine();
    for (const ttlMs of [0, -5, Number.NaN, Number.POSITIVE_INFINITY, "10", null]) {
      expect(codeOf(() => s.set("k", 1, { ttlMs: ttlMs as number }))).toBe("INVALID_ARGUMENT");
    }
    expect(codeOf(() => s.set("k", 1, 5 as unknown as { ttlMs: number }))).toBe("INVALID_ARGUMENT");
    expect(s.has("k")).toBe(false);
  });

  it("a key with a very long ttlMs stays", async () => {
    const s = engine();
    s.set("k", 1, { ttlMs: 2 ** 40 });
    await Bun.sleep(30);
    expect(s.get("k")).toBe(1);
  });

  it("a watcher can set an expired key again with a new TTL, and it expires again", async () => {
    const s = engine();
    let rounds = 0;
    s.watch("beat", (c) => {
      if (c.reason === "expired" && ++rounds < 3) s.set("beat", rounds, { ttlMs: 10 });
    });
    s.set("beat", 0, { ttlMs: 10 });
    expect(await waitFor(() => rounds === 3)).toBe(true);
    expect(s.has("beat")).toBe(false);
  });
});

describe("ttl with an injected clock", () => {
  it("a key past its deadline reads as missing before the timer fires, and expires exactly once", async () => {
    let t = 1000;
    const s = engine({ now: () => t });
    const expired = expiredOf(s);
    s.set("k", "v", { ttlMs: 20 });
    t += 20;
    expect(s.get("k")).toBeUndefined();
    expect(expired).toHaveLength(1);
    // The real timer fires meanwhile; it must not notify a second time.
    await Bun.sleep(80);
    expect(s.has("k")).toBe(false);
    expect(expired).toEqual([{ key: "k", old: "v", new: undefined, reason: "expired" }]);
  });

  it("has(), keys() and stats() also treat a key past its deadline as gone", () => {
    let t = 0;
    const s = engine({ now: () => t });
    s.set("a", 1, { ttlMs: 10 });
    s.set("b", 1, { ttlMs: 10 });
    s.set("c", 1, { ttlMs: 1000 });
    t = 10;
    expect(s.keys()).toEqual(["c"]);
    expect(s.stats()).toMatchObject({ keys: 1, keysWithTtl: 1 });
    t = 1000;
    expect(s.has("c")).toBe(false);
  });

  it("the timer firing does not expire a key whose deadline the clock has not reached", async () => {
    let t = 0;
    const s = engine({ now: () => t });
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 20 });
    await Bun.sleep(80);
    expect(s.get("k")).toBe(1);
    expect(expired).toHaveLength(0);
    t = 20;
    expect(await waitFor(() => expired.length === 1)).toBe(true);
  });

  it("setting a key past its deadline reports the expiry first, then a set with no old value", () => {
    let t = 0;
    const s = engine({ now: () => t });
    const changes: StateChange[] = [];
    s.watch("k", (c) => changes.push(c));
    s.set("k", 1, { ttlMs: 5 });
    t = 5;
    s.set("k", 2);
    expect(changes.map((c) => [c.reason, c.old, c.new])).toEqual([
      ["set", undefined, 1],
      ["expired", 1, undefined],
      ["set", undefined, 2],
    ]);
  });

  it("deleting a key past its deadline returns false and reports only the expiry", () => {
    let t = 0;
    const s = engine({ now: () => t });
    const changes: StateChange[] = [];
    s.set("k", 1, { ttlMs: 5 });
    s.watch("k", (c) => changes.push(c));
    t = 6;
    expect(s.delete("k")).toBe(false);
    expect(changes.map((c) => c.reason)).toEqual(["expired"]);
  });
});

describe("ttl timer", () => {
  it("many keys with random TTLs all expire, each exactly once, behind a single timer", async () => {
    const { timers, counts, pending } = countingTimers();
    const s = engine({ timers });
    const fired = new Map<string, number>();
    s.watch("**", (c) => {
      if (c.reason === "expired") fired.set(c.key, (fired.get(c.key) ?? 0) + 1);
    });
    const n = 10_000;
    for (let i = 0; i < n; i++) s.set(`k/${i}`, i, { ttlMs: 1 + Math.floor(Math.random() * 50) });
    expect(counts.maxPending).toBe(1);
    expect(await waitFor(() => fired.size === n)).toBe(true);
    await Bun.sleep(20);
    expect([...fired.values()].every((times) => times === 1)).toBe(true);
    expect(s.stats()).toMatchObject({ keys: 0, keysWithTtl: 0, approxBytes: 0 });
    expect(counts.maxPending).toBe(1);
    // Re-arming follows distinct deadlines, not keys.
    expect(counts.created).toBeLessThan(n / 10);
    expect(counts.unrefd).toBe(counts.created);
    expect(pending()).toBe(0);
  });

  it("keys overwritten many times still expire correctly once stale deadlines are dropped", async () => {
    const { timers } = countingTimers();
    const s = engine({ timers });
    const expired = expiredOf(s);
    // Stale heap items: each key's long deadline is overwritten by a plain set.
    for (let i = 0; i < 3000; i++) {
      s.set(`old/${i}`, i, { ttlMs: 60_000 });
      s.set(`old/${i}`, i);
    }
    for (let i = 0; i < 3000; i++) s.set(`short/${i}`, i, { ttlMs: 10 + (i % 20) });
    for (let i = 0; i < 10; i++) s.set(`long/${i}`, i, { ttlMs: 60_000 });
    expect(await waitFor(() => expired.length === 3000)).toBe(true);
    expect(expired.every((c) => c.key.startsWith("short/"))).toBe(true);
    expect(s.keys("old/*")).toHaveLength(3000);
    expect(s.keys("long/*")).toHaveLength(10);
    expect(s.stats().keysWithTtl).toBe(10);
  });

  it("after close() TTLs no longer fire, reads still work and the timer is gone", async () => {
    const { timers, pending } = countingTimers();
    const s = engine({ timers });
    const expired = expiredOf(s);
    s.set("k", 1, { ttlMs: 20 });
    s.close();
    expect(pending()).toBe(0);
    await Bun.sleep(80);
    expect(expired).toHaveLength(0);
    expect(s.get("k")).toBe(1);
    s.set("j", 2, { ttlMs: 10 });
    expect(pending()).toBe(0);
    expect(s.keys()).toEqual(["j", "k"]);
  });

  it("with no key left to expire, no timer stays pending", async () => {
    const { timers, pending } = countingTimers();
    const s = engine({ timers });
    s.set("k", 1, { ttlMs: 10 });
    expect(pending()).toBe(1);
    await waitFor(() => !s.has("k"));
    expect(await waitFor(() => pending() === 0)).toBe(true);
  });

  it("a pending TTL does not keep the process alive", async () => {
    const entry = new URL("../../../../src/kernel/state/index.ts", import.meta.url).pathname;
    const script = `
      const { createStateEngine } = await import(${JSON.stringify(entry)});
      const s = createStateEngine();
      s.set("k", 1, { ttlMs: 60000 });
      console.log("armed");
    `;
    const proc = Bun.spawn([process.execPath, "-e", script], { stdout: "pipe", stderr: "pipe" });
    const limit = setTimeout(() => proc.kill(), 4000);
    const code = await proc.exited;
    clearTimeout(limit);
    expect(await new Response(proc.stdout).text()).toContain("armed");
    expect(proc.signalCode).toBeNull();
    expect(code).toBe(0);
  });
});
