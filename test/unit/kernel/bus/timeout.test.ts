import { describe, expect, it } from "bun:test";
import {
  createEventBus,
  type EventBus,
  HANDLER_FAILED,
  type HandlerFailedPayload,
} from "../../../../src/kernel/bus/index.ts";
import { captureLog } from "../../../helpers/log.ts";

/** A handler that never settles until released; counts its runs. */
function hung() {
  const releases: (() => void)[] = [];
  let runs = 0;
  return {
    handler: () => {
      runs++;
      return new Promise<void>((resolve) => releases.push(resolve));
    },
    release: () => {
      for (const r of releases.splice(0)) r();
    },
    get runs() {
      return runs;
    },
  };
}

function failures(bus: EventBus): HandlerFailedPayload[] {
  const out: HandlerFailedPayload[] = [];
  bus.subscribe<HandlerFailedPayload>(HANDLER_FAILED, (e) => {
    out.push(e.payload);
  });
  return out;
}

describe("event handler timeout", () => {
  it("stops waiting for a handler past handlerTimeoutMs, reports it failed, and names it while it runs", async () => {
    const log = captureLog("warn");
    const bus = createEventBus({ logger: log.logger, handlerTimeoutMs: 30 });
    const failed = failures(bus);
    const h = hung();
    let other = 0;
    bus.subscribe("a.b", h.handler, { owner: "zigbee" });
    bus.subscribe("a.b", async () => {
      other++;
    });

    await bus.publish("a.b", { n: 1 });
    expect(other).toBe(1);
    expect(failed).toEqual([
      expect.objectContaining({
        type: "a.b",
        owner: "zigbee",
        attempts: 1,
        error: expect.objectContaining({ code: "BUS_HANDLER_TIMEOUT" }),
      }),
    ]);
    expect(bus.stats()).toMatchObject({ failed: 1, delivered: 2, timedOut: 1, stuckByOwner: { zigbee: 1 } });
    expect(bus.pending()).toEqual([
      expect.objectContaining({ owner: "zigbee", pattern: "a.b", type: "a.b", timedOut: true }),
    ]);
    // Nothing left to wait for: drain() does not hang on it.
    await bus.drain();

    h.release();
    await Bun.sleep(0);
    expect(bus.pending()).toEqual([]);
    expect(bus.stats().stuckByOwner).toEqual({});
    expect(
      log.lines.some((l) => l.msg === "event handler settled after its timeout" && l.owner === "zigbee"),
    ).toBe(true);
  });

  it("lists a handler the bus still waits for as not timed out, and never times out one in time", async () => {
    const bus = createEventBus({ handlerTimeoutMs: 10_000 });
    const h = hung();
    bus.subscribe("a.b", h.handler, { owner: "slow" });
    const published = bus.publish("a.b");
    expect(bus.pending()).toEqual([expect.objectContaining({ owner: "slow", timedOut: false })]);
    h.release();
    await published;
    expect(bus.pending()).toEqual([]);
    expect(bus.stats()).toMatchObject({ delivered: 1, failed: 0, timedOut: 0 });
  });

  it("does not retry a timed-out run (it may still be running), whatever the retry options", async () => {
    const bus = createEventBus({ handlerTimeoutMs: 20 });
    const failed = failures(bus);
    const h = hung();
    bus.subscribe("a.b", h.handler, { retry: { attempts: 3, backoffMs: 0 } });
    await bus.publish("a.b");
    expect(h.runs).toBe(1);
    expect(failed).toEqual([expect.objectContaining({ attempts: 1 })]);
    h.release();
  });

  it("bounds a retry attempt too: a handler that throws, then hangs, fails at the timeout", async () => {
    const bus = createEventBus({ handlerTimeoutMs: 20 });
    const failed = failures(bus);
    let runs = 0;
    bus.subscribe(
      "a.b",
      () => {
        runs++;
        if (runs === 1) throw new Error("first");
        return new Promise<void>(() => undefined);
      },
      { retry: { attempts: 3, backoffMs: 0 } },
    );
    await bus.publish("a.b");
    expect(runs).toBe(2);
    expect(failed).toEqual([
      expect.objectContaining({
        attempts: 2,
        error: expect.objectContaining({ code: "BUS_HANDLER_TIMEOUT" }),
      }),
    ]);
  });

  it("moves an ordered lane on at the timeout, keeping the order for the other subscribers", async () => {
    const bus = createEventBus({ handlerTimeoutMs: 20 });
    const h = hung();
    const seen: number[] = [];
    bus.subscribe("a.b", h.handler, { owner: "stuck" });
    bus.subscribe<{ i: number }>("a.b", async (e) => {
      seen.push(e.payload.i);
    });
    const all = [0, 1, 2].map((i) => bus.publishOrdered("a.b", { i }));
    await Promise.all(all);
    expect(seen).toEqual([0, 1, 2]);
    expect(bus.stats().timedOut).toBe(3);
    h.release();
  });

  it("leaves synchronous handlers alone: no watch, no timer", async () => {
    const bus = createEventBus({ handlerTimeoutMs: 1 });
    bus.subscribe("a.b", () => {
      const until = performance.now() + 5;
      while (performance.now() < until) {
        // busy: longer than the timeout, but synchronous, so it is simply delivered
      }
    });
    await bus.publish("a.b");
    expect(bus.stats()).toMatchObject({ delivered: 1, failed: 0, timedOut: 0 });
  });

  it("rejects a handlerTimeoutMs that is not a positive integer", () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      expect(() => createEventBus({ handlerTimeoutMs: bad })).toThrow("handlerTimeoutMs");
    }
  });
});
