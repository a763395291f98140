import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { createServiceRegistry } from "../../../../../src/kernel/services/index.ts";
import type { ServiceRegistry } from "../../../../../src/kernel/services/types.ts";

// A service with only the built-ins runs through one fused function (middleware/direct.ts); any other
// middleware makes the registry compose the onion. Both must answer, count and time out alike.
type Make = () => ServiceRegistry;
const paths: [string, Make][] = [
  ["direct", () => createServiceRegistry({ defaultTimeoutMs: 40, validateResults: true })],
  [
    "composed",
    () => {
      const r = createServiceRegistry({ defaultTimeoutMs: 40, validateResults: true });
      r.use((_ctx, next) => next());
      return r;
    },
  ],
];

const params = z.object({ n: z.number().int().default(1) });
const out = z.object({ doubled: z.number() });
const asyncParams = z.object({ n: z.number() }).refine(async (p) => p.n >= 0, "n must not be negative");

function register(r: ServiceRegistry): void {
  const o = { owner: "t" };
  r.register("t.sync", (p: { n: number }) => ({ doubled: p.n * 2 }), { ...o, schema: params, result: out });
  r.register("t.async", async (p: { n: number }) => ({ doubled: p.n * 2 }), {
    ...o,
    schema: params,
    result: out,
  });
  r.register("t.bad_sync", () => ({ doubled: "no" }) as never, { ...o, result: out });
  r.register("t.bad_async", async () => ({ doubled: "no" }) as never, { ...o, result: out });
  r.register(
    "t.throws",
    () => {
      throw new Error("boom");
    },
    o,
  );
  r.register("t.rejects", async () => Promise.reject(new Error("boom")), o);
  r.register("t.refined", async (p: { n: number }) => p.n, { ...o, schema: asyncParams });
  r.register("t.slow", () => Bun.sleep(200).then(() => "late"), o);
  // A result check that throws (a refine reading a field that is not there), sync and async handler.
  const throwing = z.any().refine((v) => (v as { x: { y: number } }).x.y === 1);
  r.register("t.check_throws_sync", () => ({}), { ...o, result: throwing });
  r.register("t.check_throws_async", async () => ({}), { ...o, result: throwing });
  // An async result check slower than the call's deadline: the deadline wins.
  const slowCheck = z.any().refine(async () => {
    await Bun.sleep(150);
    return true;
  });
  r.register("t.slow_check", async () => ({}), { ...o, result: slowCheck });
  r.register("t.async_check_ok", () => ({ doubled: 1 }), { ...o, result: out.refine(async () => true) });
  // Thenables that are not promises: awaited like a promise.
  const thenable = (settle: (ok: (v: unknown) => void, no: (e: unknown) => void) => void) => ({
    // biome-ignore lint/suspicious/noThenProperty: the point of the test is a thenable.
    then: (ok: (v: unknown) => void, no: (e: unknown) => void) => settle(ok, no),
  });
  r.register("t.thenable_ok", () => thenable((ok) => setTimeout(() => ok({ doubled: 1 }), 5)) as never, {
    ...o,
    result: out,
  });
  r.register(
    "t.thenable_rejects",
    () => thenable((_ok, no) => setTimeout(() => no(new Error("boom")), 5)) as never,
    o,
  );
}

async function outcome(p: Promise<unknown>): Promise<unknown> {
  try {
    return { ok: await p };
  } catch (err) {
    return { code: (err as { code?: string }).code ?? (err as Error).message };
  }
}

async function runAll(make: Make) {
  const r = make();
  register(r);
  const answers = {
    sync: await outcome(r.call("t.sync", { n: 2 })),
    syncDefault: await outcome(r.call("t.sync")),
    async: await outcome(r.call("t.async", { n: 3 })),
    invalid: await outcome(r.call("t.async", { n: "x" })),
    badSync: await outcome(r.call("t.bad_sync")),
    badAsync: await outcome(r.call("t.bad_async")),
    throws: await outcome(r.call("t.throws")),
    rejects: await outcome(r.call("t.rejects")),
    refinedOk: await outcome(r.call("t.refined", { n: 4 })),
    refinedBad: await outcome(r.call("t.refined", { n: -1 })),
    slow: await outcome(r.call("t.slow")),
    checkThrowsSync: await outcome(r.call("t.check_throws_sync")),
    checkThrowsAsync: await outcome(r.call("t.check_throws_async")),
    slowCheck: await outcome(r.call("t.slow_check")),
    asyncCheckOk: await outcome(r.call("t.async_check_ok")),
    thenableOk: await outcome(r.call("t.thenable_ok")),
    thenableRejects: await outcome(r.call("t.thenable_rejects")),
  };
  const stats = Object.fromEntries(
    Object.entries(r.stats()).map(([name, s]) => [
      name,
      { calls: s.calls, failures: s.failures, faults: s.faults, timeouts: s.timeouts, errors: s.errors },
    ]),
  );
  return { answers, stats };
}

describe("the fused built-in chain", () => {
  it("answers, counts and times out exactly as the composed chain does", async () => {
    const [direct, composed] = await Promise.all(paths.map(([, make]) => runAll(make)));
    expect(direct).toEqual(composed as typeof direct);
    expect(direct?.answers).toEqual({
      sync: { ok: { doubled: 4 } },
      syncDefault: { ok: { doubled: 2 } },
      async: { ok: { doubled: 6 } },
      invalid: { code: "SERVICE_INVALID_PARAMS" },
      badSync: { code: "SERVICE_INVALID_RESULT" },
      badAsync: { code: "SERVICE_INVALID_RESULT" },
      throws: { code: "boom" },
      rejects: { code: "boom" },
      refinedOk: { ok: 4 },
      refinedBad: { code: "SERVICE_INVALID_PARAMS" },
      slow: { code: "SERVICE_TIMEOUT" },
      // The refine's own TypeError, whatever the engine words it as.
      checkThrowsSync: { code: expect.any(String) },
      checkThrowsAsync: { code: expect.any(String) },
      slowCheck: { code: "SERVICE_TIMEOUT" },
      asyncCheckOk: { ok: { doubled: 1 } },
      thenableOk: { ok: { doubled: 1 } },
      thenableRejects: { code: "boom" },
    });
    for (const name of ["t.check_throws_sync", "t.check_throws_async", "t.thenable_rejects"]) {
      expect(direct?.stats[name]).toMatchObject({ calls: 1, failures: 1 });
    }
    expect(direct?.stats["t.slow"]).toMatchObject({ calls: 1, failures: 1, timeouts: 1 });
    expect(direct?.stats["t.sync"]).toMatchObject({ calls: 2, failures: 0 });
    expect(direct?.stats["t.async"]).toMatchObject({ calls: 2, failures: 1 });
  });

  it("drops an answer that comes after the deadline, counting the call once", async () => {
    for (const [, make] of paths) {
      const r = make();
      register(r);
      expect(await outcome(r.call("t.slow"))).toEqual({ code: "SERVICE_TIMEOUT" });
      await Bun.sleep(250);
      expect(r.stats()["t.slow"]).toMatchObject({ calls: 1, failures: 1, timeouts: 1 });
    }
  });
});
