import { describe, expect, it, spyOn } from "bun:test";
import { HearthError } from "../../../../src/errors.ts";
import {
  createEventBus,
  HANDLER_FAILED,
  type HandlerFailedPayload,
} from "../../../../src/kernel/bus/index.ts";
import { captureLog } from "../../../helpers/log.ts";

/** A handler that fails its first `failures` calls, then succeeds; `calls` counts every call. */
function flaky(failures: number) {
  const state = {
    calls: 0,
    handler: async () => {
      state.calls++;
      if (state.calls <= failures) throw new Error(`failure ${state.calls}`);
    },
  };
  return state;
}

function collectReports(bus: ReturnType<typeof createEventBus>): HandlerFailedPayload[] {
  const reports: HandlerFailedPayload[] = [];
  bus.subscribe<HandlerFailedPayload>(HANDLER_FAILED, (e) => void reports.push(e.payload));
  return reports;
}

describe("retry", () => {
  it("re-runs a failing handler until it succeeds, then counts one delivery and no failure", async () => {
    const bus = createEventBus();
    const reports = collectReports(bus);
    const h = flaky(2);
    bus.subscribe("device.changed", h.handler, { retry: { attempts: 3, backoffMs: 1 } });
    await bus.publish("device.changed");
    expect(h.calls).toBe(3);
    expect(reports).toEqual([]);
    expect(bus.stats().byType["device.changed"]).toEqual({ published: 1, delivered: 1, failed: 0 });
  });

  it("stops after the total number of attempts and reports $bus.handler_failed", async () => {
    const bus = createEventBus();
    const reports = collectReports(bus);
    const h = flaky(Number.POSITIVE_INFINITY);
    bus.subscribe("device.*", h.handler, { retry: { attempts: 3, backoffMs: 1 }, owner: "zigbee" });
    await bus.publish("device.changed", { id: 1 });
    await bus.drain();
    expect(h.calls).toBe(3);
    expect(reports).toEqual([
      {
        type: "device.changed",
        seq: 1,
        pattern: "device.*",
        owner: "zigbee",
        attempts: 3,
        error: { message: "failure 3" },
      },
    ]);
    expect(bus.stats().byType["device.changed"]).toEqual({ published: 1, delivered: 0, failed: 1 });
  });

  it("retries a synchronously throwing handler the same way", async () => {
    const bus = createEventBus();
    let calls = 0;
    bus.subscribe(
      "device.changed",
      () => {
        if (++calls < 2) throw new Error("once");
      },
      { retry: { attempts: 2, backoffMs: 0 } },
    );
    await bus.publish("device.changed");
    expect(calls).toBe(2);
    expect(bus.stats().byType["device.changed"]?.delivered).toBe(1);
  });

  it("doubles the backoff before each retry", async () => {
    const { logger, lines } = captureLog("warn");
    const bus = createEventBus({ logger });
    const h = flaky(Number.POSITIVE_INFINITY);
    bus.subscribe("device.changed", h.handler, { retry: { attempts: 4, backoffMs: 3 } });
    await bus.publish("device.changed");
    const waits = lines.filter((l) => l.level === "warn").map((l) => l.retryInMs);
    expect(waits).toEqual([3, 6, 12]);
  });

  it("stops retrying once the handler is unsubscribed and still reports the failure", async () => {
    const bus = createEventBus();
    const reports = collectReports(bus);
    let calls = 0;
    const off = bus.subscribe(
      "device.changed",
      () => {
        calls++;
        off();
        throw new Error("gone");
      },
      { retry: { attempts: 5, backoffMs: 1 } },
    );
    await bus.publish("device.changed");
    await bus.drain();
    expect(calls).toBe(1);
    expect(reports.map((r) => r.attempts)).toEqual([1]);
  });
});

describe("failure reports", () => {
  it("reports a handler without retry after its single failure", async () => {
    const bus = createEventBus();
    const reports = collectReports(bus);
    bus.subscribe("device.changed", () => Promise.reject(new Error("nope")));
    await bus.publish("device.changed");
    await bus.drain();
    expect(reports).toEqual([
      {
        type: "device.changed",
        seq: 1,
        pattern: "device.changed",
        owner: undefined,
        attempts: 1,
        error: { message: "nope" },
      },
    ]);
  });

  it("includes the code of a coded error", async () => {
    const bus = createEventBus();
    const reports = collectReports(bus);
    bus.subscribe("device.changed", () => {
      throw new HearthError("SERVICE_TIMEOUT", "too slow");
    });
    await bus.publish("device.changed");
    await bus.drain();
    expect(reports[0]?.error).toEqual({ code: "SERVICE_TIMEOUT", message: "too slow" });
  });

  it("a failing $bus.handler_failed handler is logged but not reported again", async () => {
    const { logger, lines } = captureLog();
    const bus = createEventBus({ logger });
    let reporterCalls = 0;
    bus.subscribe(
      HANDLER_FAILED,
      () => {
        reporterCalls++;
        throw new Error("reporter broke");
      },
      { owner: "alerts" },
    );
    bus.subscribe("device.changed", () => {
      throw new Error("first");
    });
    await bus.publish("device.changed");
    await bus.drain();
    expect(reporterCalls).toBe(1);
    expect(bus.stats().byType[HANDLER_FAILED]).toEqual({ published: 1, delivered: 0, failed: 1 });
    const reporterLine = lines.find((l) => l.error === "reporter broke");
    expect(reporterLine).toMatchObject({ level: "error", type: HANDLER_FAILED, owner: "alerts" });
  });

  it("a catch-all handler that always fails does not loop", async () => {
    const bus = createEventBus();
    let calls = 0;
    bus.subscribe("*", () => {
      calls++;
      throw new Error("always");
    });
    await bus.publish("device.changed");
    await bus.drain();
    expect(calls).toBe(2);
    expect(bus.stats().byType[HANDLER_FAILED]?.published).toBe(1);
  });
});

describe("failure logging", () => {
  it("logs the final failure at error level with type, pattern, owner, attempts and message", async () => {
    const { logger, lines } = captureLog();
    const bus = createEventBus({ logger });
    bus.subscribe(
      "device.*",
      () => {
        throw new Error("kaput");
      },
      { owner: "hue", retry: { attempts: 2, backoffMs: 1 } },
    );
    await bus.publish("device.changed");
    await bus.drain();
    const errors = lines.filter((l) => l.level === "error");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      component: "bus",
      type: "device.changed",
      pattern: "device.*",
      owner: "hue",
      attempts: 2,
      error: "kaput",
    });
  });

  it("logs each failed attempt that will be retried as a warning", async () => {
    const { logger, lines } = captureLog();
    const bus = createEventBus({ logger });
    bus.subscribe("device.changed", flaky(2).handler, { owner: "hue", retry: { attempts: 3, backoffMs: 1 } });
    await bus.publish("device.changed");
    const warns = lines.filter((l) => l.level === "warn");
    expect(warns.map((l) => [l.attempt, l.error, l.owner, l.pattern])).toEqual([
      [1, "failure 1", "hue", "device.changed"],
      [2, "failure 2", "hue", "device.changed"],
    ]);
    expect(lines.filter((l) => l.level === "error")).toHaveLength(0);
  });

  it("writes nothing to the console", async () => {
    const spies = (["log", "warn", "error", "info", "debug"] as const).map((m) => spyOn(console, m));
    try {
      const bus = createEventBus();
      bus.subscribe("device.changed", () => {
        throw new Error("quiet");
      });
      await bus.publish("device.changed");
      await bus.drain();
      for (const spy of spies) expect(spy).not.toHaveBeenCalled();
    } finally {
      for (const spy of spies) spy.mockRestore();
    }
  });
});
