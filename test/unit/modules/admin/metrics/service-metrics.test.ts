import { describe, expect, it } from "bun:test";
import { Registry } from "prom-client";
import { HearthError } from "../../../../../src/errors.ts";
import { createServiceRegistry } from "../../../../../src/kernel/services/index.ts";
import { serviceMetricsMiddleware } from "../../../../../src/modules/admin/metrics/index.ts";
import { find, parseExposition, value } from "./exposition.ts";

function services() {
  const registry = new Registry();
  const reg = createServiceRegistry({ middleware: [serviceMetricsMiddleware({ registry })] });
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
  const scrape = async () => parseExposition(await registry.metrics());
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

  it("can be created many times on one registry without a duplicate-metric error", async () => {
    const registry = new Registry();
    const first = serviceMetricsMiddleware({ registry });
    expect(() => serviceMetricsMiddleware({ registry })).not.toThrow();
    const reg = createServiceRegistry({ middleware: [first, serviceMetricsMiddleware({ registry })] });
    reg.register("demo.ok", () => 1, { owner: "demo" });
    await reg.call("demo.ok");
    // Both instances share one counter: installed twice, counted twice.
    expect(
      value(parseExposition(await registry.metrics()), "hearth_service_calls_total", { service: "demo.ok" }),
    ).toBe(2);
  });
});
