import { describe, expect, it } from "bun:test";
import { z } from "zod";
import {
  createServiceRegistry,
  SERVICE_DURATION_BUCKETS_MS,
} from "../../../../../src/kernel/services/index.ts";
import { rejection } from "../helpers.ts";

describe("metrics middleware", () => {
  it("starts every registered service at zero", () => {
    const services = createServiceRegistry();
    services.register("a.b", () => 1, { owner: "a" });
    expect(services.stats()).toEqual({
      "a.b": {
        calls: 0,
        failures: 0,
        faults: 0,
        timeouts: 0,
        totalMs: 0,
        errors: {},
        durationBuckets: new Array(SERVICE_DURATION_BUCKETS_MS.length + 1).fill(0),
      },
    });
  });

  it("counts calls, failures and timeouts per service", async () => {
    const services = createServiceRegistry();
    services.register("a.ok", () => 1, { owner: "a" });
    services.register(
      "a.flaky",
      async (p: { fail?: boolean; hang?: boolean }) => {
        if (p.fail) throw new Error("no");
        if (p.hang) await Bun.sleep(200);
        return 1;
      },
      { owner: "a", timeoutMs: 10 },
    );
    await services.call("a.ok");
    await services.call("a.flaky", {});
    await rejection(services.call("a.flaky", { fail: true }));
    await rejection(services.call("a.flaky", { hang: true }));
    const stats = services.stats();
    expect(stats["a.ok"]).toMatchObject({ calls: 1, failures: 0, timeouts: 0 });
    expect(stats["a.flaky"]).toMatchObject({ calls: 3, failures: 2, timeouts: 1 });
  });

  it("counts a call rejected for invalid params as a failure", async () => {
    const services = createServiceRegistry();
    services.register("a.b", () => 1, { owner: "a", schema: z.object({ n: z.number() }) });
    await rejection(services.call("a.b", {}));
    expect(services.stats()["a.b"]).toMatchObject({ calls: 1, failures: 1 });
  });

  it("sums the time spent in calls", async () => {
    const services = createServiceRegistry();
    services.register("a.b", () => Bun.sleep(5), { owner: "a" });
    await services.call("a.b");
    expect(services.stats()["a.b"]?.totalMs).toBeGreaterThan(0);
  });

  it("keys stats by the full registered name", async () => {
    const services = createServiceRegistry();
    services.register("a.b", () => 1, { owner: "a" });
    services.register("v2.a.b", () => 2, { owner: "a" });
    await services.call("a.b");
    expect(services.stats()["v2.a.b"]?.calls).toBe(1);
    expect(services.stats()["a.b"]?.calls).toBe(0);
  });

  it("returns a copy that callers cannot use to change the counts", async () => {
    const services = createServiceRegistry();
    services.register("a.b", () => 1, { owner: "a" });
    const snapshot = services.stats();
    if (snapshot["a.b"]) snapshot["a.b"].calls = 99;
    expect(services.stats()["a.b"]?.calls).toBe(0);
  });

  it("forgets a service's stats when it is unregistered", () => {
    const services = createServiceRegistry();
    services.register("a.b", () => 1, { owner: "a" });
    services.unregister("a.b");
    expect(services.stats()).toEqual({});
  });
});
