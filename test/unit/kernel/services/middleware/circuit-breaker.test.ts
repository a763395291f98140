import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { HearthError } from "../../../../../src/errors.ts";
import {
  type CircuitBreakerOptions,
  createServiceRegistry,
} from "../../../../../src/kernel/services/index.ts";
import { captureLog } from "../../../../helpers/log.ts";
import { hearthRejection, rejection } from "../helpers.ts";

// Cool-downs long enough that a busy machine does not end them between two lines of a test, and short
// enough that waiting one out keeps the file fast.
const COOLDOWN = 100;
const breaker: CircuitBreakerOptions = { failureThreshold: 2, windowMs: 60_000, cooldownMs: COOLDOWN };

/** A service that fails while `state.failing` is true; `state.runs` counts handler runs. */
function cloudService(
  options: CircuitBreakerOptions | boolean = breaker,
  registryBreaker?: CircuitBreakerOptions,
) {
  const services = createServiceRegistry(registryBreaker ? { circuitBreaker: registryBreaker } : {});
  const state = { failing: true, runs: 0 };
  services.register(
    "weather.fetch",
    () => {
      state.runs++;
      if (state.failing) throw new Error("upstream down");
      return "sunny";
    },
    { owner: "weather", circuitBreaker: options },
  );
  const circuit = () => services.list()[0]?.circuit;
  return { services, state, circuit };
}

describe("circuit breaker middleware", () => {
  it("starts closed and shows its state in list()", () => {
    expect(cloudService().circuit()).toBe("closed");
  });

  it("adds no circuit state to services without a breaker", () => {
    const services = createServiceRegistry();
    services.register("weather.fetch", () => 1, { owner: "weather" });
    expect(services.list()[0]).not.toHaveProperty("circuit");
  });

  it("opens after failureThreshold failures and then fails fast without running the handler", async () => {
    const { services, state, circuit } = cloudService();
    await rejection(services.call("weather.fetch"));
    expect(circuit()).toBe("closed");
    await rejection(services.call("weather.fetch"));
    expect(circuit()).toBe("open");
    const err = await hearthRejection(services.call("weather.fetch"));
    expect(err.code).toBe("SERVICE_CIRCUIT_OPEN");
    expect(err.data).toMatchObject({ name: "weather.fetch" });
    expect(state.runs).toBe(2);
  });

  it("turns half-open after the cool-down and closes when the trial call succeeds", async () => {
    const { services, state, circuit } = cloudService();
    await rejection(services.call("weather.fetch"));
    await rejection(services.call("weather.fetch"));
    await Bun.sleep(COOLDOWN + 20);
    expect(circuit()).toBe("half-open");
    state.failing = false;
    expect(await services.call("weather.fetch")).toBe("sunny");
    expect(circuit()).toBe("closed");
    expect(await services.call("weather.fetch")).toBe("sunny");
    expect(state.runs).toBe(4);
  });

  it("re-opens when the trial call fails", async () => {
    const { services, state, circuit } = cloudService();
    await rejection(services.call("weather.fetch"));
    await rejection(services.call("weather.fetch"));
    await Bun.sleep(COOLDOWN + 20);
    await rejection(services.call("weather.fetch"));
    expect(state.runs).toBe(3);
    expect(circuit()).toBe("open");
    expect((await hearthRejection(services.call("weather.fetch"))).code).toBe("SERVICE_CIRCUIT_OPEN");
    expect(state.runs).toBe(3);
  });

  it("lets only one trial call through while half-open", async () => {
    const { services, state } = cloudService();
    await rejection(services.call("weather.fetch"));
    await rejection(services.call("weather.fetch"));
    await Bun.sleep(COOLDOWN + 20);
    state.failing = false;
    const trial = services.call("weather.fetch");
    const second = await hearthRejection(services.call("weather.fetch"));
    expect(second.code).toBe("SERVICE_CIRCUIT_OPEN");
    expect(await trial).toBe("sunny");
    expect(state.runs).toBe(3);
  });

  it("does not open for failures spread wider than windowMs", async () => {
    const { services, circuit } = cloudService({ failureThreshold: 2, windowMs: 20, cooldownMs: 60_000 });
    await rejection(services.call("weather.fetch"));
    await Bun.sleep(40);
    await rejection(services.call("weather.fetch"));
    expect(circuit()).toBe("closed");
  });

  it("does not count errors that are the caller's fault", async () => {
    const services = createServiceRegistry();
    services.register(
      "weather.fetch",
      () => {
        throw new HearthError("INVALID_ARGUMENT", "unknown city");
      },
      { owner: "weather", circuitBreaker: breaker, schema: z.object({ city: z.string() }) },
    );
    for (let i = 0; i < 3; i++) await rejection(services.call("weather.fetch", {}));
    for (let i = 0; i < 3; i++) await rejection(services.call("weather.fetch", { city: "x" }));
    expect(services.list()[0]?.circuit).toBe("closed");
  });

  it("counts timeouts as failures", async () => {
    const services = createServiceRegistry();
    services.register("weather.fetch", () => Bun.sleep(200), {
      owner: "weather",
      timeoutMs: 5,
      circuitBreaker: { failureThreshold: 1, windowMs: 60_000, cooldownMs: 60_000 },
    });
    await rejection(services.call("weather.fetch"));
    expect(services.list()[0]?.circuit).toBe("open");
  });

  it("uses the registry's breaker settings for circuitBreaker: true", async () => {
    const { services, circuit } = cloudService(true, {
      failureThreshold: 1,
      windowMs: 60_000,
      cooldownMs: 60_000,
    });
    await rejection(services.call("weather.fetch"));
    expect(circuit()).toBe("open");
  });

  it("defaults to five failures when the registry sets no breaker", async () => {
    const { services, circuit } = cloudService(true);
    for (let i = 0; i < 4; i++) await rejection(services.call("weather.fetch"));
    expect(circuit()).toBe("closed");
    await rejection(services.call("weather.fetch"));
    expect(circuit()).toBe("open");
  });

  it("sees a retried call as one outcome", async () => {
    const services = createServiceRegistry();
    let runs = 0;
    services.register(
      "weather.fetch",
      () => {
        if (++runs % 2 === 1) throw new Error("blip");
        return "sunny";
      },
      {
        owner: "weather",
        idempotent: true,
        retry: { attempts: 2, backoffMs: 1 },
        circuitBreaker: { failureThreshold: 1, windowMs: 60_000, cooldownMs: 60_000 },
      },
    );
    expect(await services.call("weather.fetch")).toBe("sunny");
    expect(services.list()[0]?.circuit).toBe("closed");
  });

  it("counts calls refused by an open circuit as failures in the metrics", async () => {
    const { services } = cloudService();
    for (let i = 0; i < 3; i++) await rejection(services.call("weather.fetch"));
    expect(services.stats()["weather.fetch"]).toMatchObject({ calls: 3, failures: 3 });
  });

  it("logs a warning naming the service when it opens", async () => {
    const log = captureLog();
    const services = createServiceRegistry({ logger: log.logger });
    services.register(
      "weather.fetch",
      () => {
        throw new Error("down");
      },
      { owner: "weather", circuitBreaker: { failureThreshold: 1, windowMs: 60_000, cooldownMs: 60_000 } },
    );
    await rejection(services.call("weather.fetch"));
    expect(log.lines).toContainEqual(
      expect.objectContaining({
        level: "warn",
        component: "services",
        service: "weather.fetch",
        msg: "circuit opened",
      }),
    );
  });

  it("refuses invalid breaker settings", () => {
    const services = createServiceRegistry();
    const bad = { failureThreshold: 0, windowMs: 10, cooldownMs: 10 };
    expect(() =>
      services.register("weather.fetch", () => 1, { owner: "weather", circuitBreaker: bad }),
    ).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
  });
});
