import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { HearthError } from "../../../../../src/errors.ts";
import { createServiceRegistry, type ServiceRetryOptions } from "../../../../../src/kernel/services/index.ts";
import { DeviceOfflineError, hearthRejection, rejection, thrown } from "../helpers.ts";

/** A handler that throws `errors` in turn, then returns "ok"; `runs` counts its calls. */
function flaky(...errors: unknown[]) {
  const state = { runs: 0 };
  const handler = () => {
    const err = errors[state.runs++];
    if (err !== undefined) throw err;
    return "ok";
  };
  return { state, handler };
}

const fast: ServiceRetryOptions = { attempts: 3, backoffMs: 1 };

describe("retry middleware", () => {
  it("retries an idempotent service until it succeeds", async () => {
    const services = createServiceRegistry();
    const { state, handler } = flaky(new Error("1"), new Error("2"));
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: fast });
    expect(await services.call("hue.get_lights")).toBe("ok");
    expect(state.runs).toBe(3);
  });

  it("gives up after the last attempt and passes on that attempt's error unchanged", async () => {
    const services = createServiceRegistry();
    const last = new DeviceOfflineError("bridge");
    const { state, handler } = flaky(new Error("1"), new Error("2"), last, new Error("4"));
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: fast });
    expect(await rejection(services.call("hue.get_lights"))).toBe(last);
    expect(state.runs).toBe(3);
  });

  it("retries a HearthError marked retryable", async () => {
    const services = createServiceRegistry();
    const busy = new HearthError("INTERNAL_ERROR", "busy", { retryable: true });
    const { state, handler } = flaky(busy);
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: fast });
    expect(await services.call("hue.get_lights")).toBe("ok");
    expect(state.runs).toBe(2);
  });

  it("does not retry a HearthError that is not retryable", async () => {
    const services = createServiceRegistry();
    const refused = new HearthError("INVALID_ARGUMENT", "no such light");
    const { state, handler } = flaky(refused);
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: fast });
    expect(await rejection(services.call("hue.get_lights"))).toBe(refused);
    expect(state.runs).toBe(1);
  });

  it("never retries SERVICE_INVALID_PARAMS, even when marked retryable", async () => {
    const services = createServiceRegistry();
    const odd = new HearthError("SERVICE_INVALID_PARAMS", "bad", { retryable: true });
    const { state, handler } = flaky(odd);
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: fast });
    expect(await rejection(services.call("hue.get_lights"))).toBe(odd);
    expect(state.runs).toBe(1);
  });

  it("validates params once when they are invalid", async () => {
    const services = createServiceRegistry();
    let checks = 0;
    const schema = z.object({ id: z.string() }).refine(() => {
      checks++;
      return false;
    });
    services.register("hue.get_light", () => 1, { owner: "hue", idempotent: true, retry: fast, schema });
    expect((await hearthRejection(services.call("hue.get_light", { id: "x" }))).code).toBe(
      "SERVICE_INVALID_PARAMS",
    );
    expect(checks).toBe(1);
  });

  it("never retries a service that is not idempotent", async () => {
    const services = createServiceRegistry();
    const { state, handler } = flaky(new Error("1"));
    services.register("hue.blink", handler, { owner: "hue" });
    await rejection(services.call("hue.blink"));
    expect(state.runs).toBe(1);
  });

  it("refuses retry options on a service that is not idempotent", () => {
    const services = createServiceRegistry();
    const err = thrown(() => services.register("hue.blink", () => 1, { owner: "hue", retry: fast }));
    expect(err.code).toBe("INVALID_ARGUMENT");
    expect(services.has("hue.blink")).toBe(false);
  });

  it("does not retry an idempotent service registered without retry options", async () => {
    const services = createServiceRegistry();
    const { state, handler } = flaky(new Error("1"));
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true });
    await rejection(services.call("hue.get_lights"));
    expect(state.runs).toBe(1);
  });

  it("fills in 3 attempts when the retry options leave them out", async () => {
    const services = createServiceRegistry();
    const { state, handler } = flaky(new Error("1"), new Error("2"), new Error("3"), new Error("4"));
    const partial = { backoffMs: 1 } as ServiceRetryOptions;
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: partial });
    await rejection(services.call("hue.get_lights"));
    expect(state.runs).toBe(3);
  });

  it.each([
    { attempts: 0, backoffMs: 1 },
    { attempts: 1.5, backoffMs: 1 },
    { attempts: 2, backoffMs: -1 },
  ])("refuses retry options %p", (retry) => {
    const services = createServiceRegistry();
    const err = thrown(() => services.register("hue.x", () => 1, { owner: "hue", idempotent: true, retry }));
    expect(err.code).toBe("INVALID_ARGUMENT");
  });

  it("shows middleware the attempt number", async () => {
    const services = createServiceRegistry();
    const attempts: number[] = [];
    const { handler } = flaky(new Error("1"), new Error("2"));
    services.register("hue.get_lights", handler, {
      owner: "hue",
      idempotent: true,
      retry: fast,
      middleware: [
        (ctx, next) => {
          attempts.push(ctx.attempt);
          return next();
        },
      ],
    });
    await services.call("hue.get_lights");
    expect(attempts).toEqual([1, 2, 3]);
  });

  it("validates the caller's original params on every attempt", async () => {
    const services = createServiceRegistry();
    const seen: unknown[] = [];
    let runs = 0;
    services.register(
      "hue.rename",
      (p) => {
        seen.push(p);
        if (++runs < 2) throw new Error("again");
        return "ok";
      },
      // A transform: parsing its own output a second time would fail.
      {
        owner: "hue",
        idempotent: true,
        retry: fast,
        schema: z.object({ name: z.string().transform((s) => s.length) }),
      },
    );
    expect(await services.call("hue.rename", { name: "lamp" })).toBe("ok");
    expect(seen).toEqual([{ name: 4 }, { name: 4 }]);
  });

  it("does not retry once the backoff would outlast the call's timeout", async () => {
    const services = createServiceRegistry();
    const first = new Error("1");
    const { state, handler } = flaky(first);
    services.register("hue.get_lights", handler, {
      owner: "hue",
      idempotent: true,
      retry: { attempts: 3, backoffMs: 10_000 },
      timeoutMs: 50,
    });
    expect(await rejection(services.call("hue.get_lights"))).toBe(first);
    expect(state.runs).toBe(1);
  });

  it("does not retry an attempt that used up the call's timeout", async () => {
    const services = createServiceRegistry();
    let runs = 0;
    services.register(
      "hue.get_lights",
      () => {
        runs++;
        return Bun.sleep(200);
      },
      { owner: "hue", idempotent: true, retry: fast, timeoutMs: 15 },
    );
    expect((await hearthRejection(services.call("hue.get_lights"))).code).toBe("SERVICE_TIMEOUT");
    expect(runs).toBe(1);
  });

  it("counts a retried call once in the metrics", async () => {
    const services = createServiceRegistry();
    const { handler } = flaky(new Error("1"));
    services.register("hue.get_lights", handler, { owner: "hue", idempotent: true, retry: fast });
    await services.call("hue.get_lights");
    expect(services.stats()["hue.get_lights"]).toMatchObject({ calls: 1, failures: 0 });
  });
});
