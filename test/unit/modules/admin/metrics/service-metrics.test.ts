import { describe, expect, it } from "bun:test";
import { HearthError } from "../../../../../src/errors.ts";
import { createServiceRegistry } from "../../../../../src/kernel/services/index.ts";
import { createMetrics } from "../../../../../src/modules/admin/metrics/index.ts";
import { fakeMetrics, find, parseExposition, VERSION, value } from "./exposition.ts";

/** A service registry and an exporter over its counts (the kernel counts; the exporter only renders). */
function services() {
  const reg = createServiceRegistry();
  const metrics = createMetrics({
    getMetrics: () => fakeMetrics({ services: reg.stats() }),
    version: VERSION,
  });
  reg.register("demo.ok", () => "fine", { owner: "demo" });
  reg.register(
    "demo.refuse",
    () => {
      throw new HearthError("INVALID_ARGUMENT", "no");
    },
    { owner: "demo" },
  );
  reg.register(
    "demo.crash",
    () => {
      throw new Error("plain failure with no code");
    },
    { owner: "demo" },
  );
  reg.register("demo.slow", () => new Promise((resolve) => setTimeout(resolve, 200)), {
    owner: "demo",
    timeoutMs: 20,
  });
  const scrape = async () => parseExposition((await metrics.render()).body);
  return { reg, scrape };
}

describe("service metrics middleware", () => {
  it("counts calls per service", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.ok");
    await reg.call("demo.ok");
    await reg.call("demo.refuse").catch(() => undefined);
    const samples = await scrape();
    expect(value(samples, "hearth_service_calls_total", { service: "demo.ok" })).toBe(2);
    expect(value(samples, "hearth_service_calls_total", { service: "demo.refuse" })).toBe(1);
  });

  it("counts errors by service and HearthError code", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.refuse").catch(() => undefined);
    await reg.call("demo.refuse").catch(() => undefined);
    const samples = await scrape();
    expect(
      value(samples, "hearth_service_errors_total", { service: "demo.refuse", code: "INVALID_ARGUMENT" }),
    ).toBe(2);
    expect(find(samples, "hearth_service_errors_total", { service: "demo.ok" })).toEqual([]);
  });

  it("labels errors without a code as UNKNOWN", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.crash").catch(() => undefined);
    expect(
      value(await scrape(), "hearth_service_errors_total", { service: "demo.crash", code: "UNKNOWN" }),
    ).toBe(1);
  });

  it("sees timeouts as SERVICE_TIMEOUT errors", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.slow").catch(() => undefined);
    expect(
      value(await scrape(), "hearth_service_errors_total", { service: "demo.slow", code: "SERVICE_TIMEOUT" }),
    ).toBe(1);
  });

  it("passes results and errors through unchanged", async () => {
    const { reg } = services();
    expect(await reg.call<string>("demo.ok")).toBe("fine");
    const err = await reg.call("demo.refuse").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HearthError);
    expect((err as HearthError).code).toBe("INVALID_ARGUMENT");
  });

  it("observes one latency per call in the histogram of its service", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.ok");
    await reg.call("demo.crash").catch(() => undefined);
    const samples = await scrape();
    expect(value(samples, "hearth_service_call_duration_seconds_count", { service: "demo.ok" })).toBe(1);
    expect(value(samples, "hearth_service_call_duration_seconds_count", { service: "demo.crash" })).toBe(1);
    expect(
      value(samples, "hearth_service_call_duration_seconds_bucket", { service: "demo.ok", le: "+Inf" }),
    ).toBe(1);
  });

  it("counts each call once, in the kernel's registry, however often it is scraped", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.ok");
    await scrape();
    await reg.call("demo.ok");
    const samples = await scrape();
    expect(value(samples, "hearth_service_calls_total", { service: "demo.ok" })).toBe(2);
    expect(reg.stats()["demo.ok"]?.calls).toBe(2);
  });

  it("keeps a service's series going up when it is registered again (a plugin reload)", async () => {
    const { reg, scrape } = services();
    await reg.call("demo.ok");
    await reg.call("demo.ok");
    await scrape();
    reg.unregister("demo.ok");
    reg.register("demo.ok", () => "again", { owner: "demo" });
    await reg.call("demo.ok");
    const samples = await scrape();
    expect(value(samples, "hearth_service_calls_total", { service: "demo.ok" })).toBe(3);
    expect(value(samples, "hearth_service_call_duration_seconds_count", { service: "demo.ok" })).toBe(3);
  });
});
