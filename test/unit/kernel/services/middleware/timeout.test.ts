import { describe, expect, it } from "bun:test";
import { createServiceRegistry } from "../../../../../src/kernel/services/index.ts";
import { hearthRejection, rejection } from "../helpers.ts";

const slow = async () => {
  await Bun.sleep(300);
  return "late";
};

describe("timeout middleware", () => {
  it("rejects with SERVICE_TIMEOUT after the registry's default timeout", async () => {
    const services = createServiceRegistry({ defaultTimeoutMs: 20 });
    services.register("a.slow", slow, { owner: "a" });
    const err = await hearthRejection(services.call("a.slow"));
    expect(err.code).toBe("SERVICE_TIMEOUT");
    expect(err.data).toEqual({ name: "a.slow", timeoutMs: 20 });
  });

  it("uses the service's own timeout over the registry's default", async () => {
    const services = createServiceRegistry({ defaultTimeoutMs: 60_000 });
    services.register("a.slow", slow, { owner: "a", timeoutMs: 15 });
    expect((await hearthRejection(services.call("a.slow"))).data).toEqual({ name: "a.slow", timeoutMs: 15 });
  });

  it("uses the caller's timeout over the service's", async () => {
    const services = createServiceRegistry();
    services.register("a.slow", slow, { owner: "a", timeoutMs: 60_000 });
    const err = await hearthRejection(services.call("a.slow", {}, { timeoutMs: 10 }));
    expect(err.code).toBe("SERVICE_TIMEOUT");
    expect(err.data).toEqual({ name: "a.slow", timeoutMs: 10 });
  });

  it("lets a call that is quick enough succeed", async () => {
    const services = createServiceRegistry();
    services.register(
      "a.quick",
      async () => {
        await Bun.sleep(5);
        return "done";
      },
      { owner: "a", timeoutMs: 2000 },
    );
    expect(await services.call("a.quick")).toBe("done");
  });

  it("aborts the handler's signal with the timeout error", async () => {
    const services = createServiceRegistry();
    let signal: AbortSignal | undefined;
    services.register(
      "a.slow",
      async (_p, ctx) => {
        signal = ctx.signal;
        await Bun.sleep(300);
      },
      { owner: "a", timeoutMs: 10 },
    );
    const err = await hearthRejection(services.call("a.slow"));
    expect(signal?.aborted).toBe(true);
    expect(signal?.reason).toBe(err);
  });

  it("hands an already aborted signal to a handler that looks only after the timeout", async () => {
    const services = createServiceRegistry();
    let settled: (aborted: boolean) => void = () => {};
    const looked = new Promise<boolean>((resolve) => {
      settled = resolve;
    });
    services.register(
      "a.slow",
      async (_p, ctx) => {
        await Bun.sleep(40);
        settled(ctx.signal.aborted);
      },
      { owner: "a", timeoutMs: 10 },
    );
    await hearthRejection(services.call("a.slow"));
    expect(await looked).toBe(true);
  });

  it("ignores a result that arrives after the timeout", async () => {
    const services = createServiceRegistry();
    let finished = false;
    services.register(
      "a.slow",
      async () => {
        await Bun.sleep(30);
        finished = true;
        return "late";
      },
      { owner: "a", timeoutMs: 5 },
    );
    const outcome = services.call("a.slow").then(
      (v) => ({ resolved: v }),
      (e: { code: string }) => ({ rejected: e.code }),
    );
    await Bun.sleep(60);
    expect(finished).toBe(true);
    expect(await outcome).toEqual({ rejected: "SERVICE_TIMEOUT" });
  });

  it("ignores an error that arrives after the timeout", async () => {
    const services = createServiceRegistry();
    services.register(
      "a.slow",
      async () => {
        await Bun.sleep(30);
        throw new Error("late failure");
      },
      { owner: "a", timeoutMs: 5 },
    );
    const err = await hearthRejection(services.call("a.slow"));
    await Bun.sleep(50);
    expect(err.code).toBe("SERVICE_TIMEOUT");
  });

  it("clears the timer when a call succeeds, so the signal is never aborted later", async () => {
    const services = createServiceRegistry();
    let signal: AbortSignal | undefined;
    services.register(
      "a.quick",
      (_p, ctx) => {
        signal = ctx.signal;
      },
      { owner: "a", timeoutMs: 15 },
    );
    await services.call("a.quick");
    await Bun.sleep(40);
    expect(signal?.aborted).toBe(false);
  });

  it("clears the timer when a call fails, so the signal is never aborted later", async () => {
    const services = createServiceRegistry();
    let signal: AbortSignal | undefined;
    services.register(
      "a.fails",
      (_p, ctx) => {
        signal = ctx.signal;
        throw new Error("no");
      },
      { owner: "a", timeoutMs: 15 },
    );
    await rejection(services.call("a.fails"));
    await Bun.sleep(40);
    expect(signal?.aborted).toBe(false);
  });

  it.each([0, -5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 31])(
    "refuses a per-call timeout of %p",
    async (ms) => {
      const services = createServiceRegistry();
      services.register("a.quick", () => 1, { owner: "a" });
      expect((await hearthRejection(services.call("a.quick", {}, { timeoutMs: ms }))).code).toBe(
        "INVALID_ARGUMENT",
      );
    },
  );

  it("refuses an invalid registered or default timeout", () => {
    const services = createServiceRegistry();
    expect(() => services.register("a.quick", () => 1, { owner: "a", timeoutMs: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
    expect(() => createServiceRegistry({ defaultTimeoutMs: 0 })).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });
});
