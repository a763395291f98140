import { describe, expect, it } from "bun:test";
import { createEventBus } from "../../../../src/kernel/bus/index.ts";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("publishOrdered", () => {
  it("ordered delivery under load: 500 events with randomly slow async handlers arrive in exact order", async () => {
    const bus = createEventBus();
    const HANDLERS = 3;
    const N = 500;
    const finished: number[][] = Array.from({ length: HANDLERS }, () => []);
    const started: number[] = [];
    let running = 0;
    let current = -1;
    let overlaps = 0;
    for (let h = 0; h < HANDLERS; h++) {
      bus.subscribe<number>("sensor.reading_taken", async (e) => {
        if (h === 0) started.push(e.payload);
        // Every handler of the previous event must have settled before this one starts.
        if (running > 0 && current !== e.payload) overlaps++;
        current = e.payload;
        running++;
        // Mix of timer waits (0–2 ms) and microtask-only waits, so completion order would scramble.
        const r = Math.random();
        if (r < 0.5) await delay(Math.floor(r * 6));
        else await Promise.resolve();
        finished[h]?.push(e.payload);
        running--;
      });
    }
    const all: Promise<void>[] = [];
    for (let i = 0; i < N; i++) all.push(bus.publishOrdered("sensor.reading_taken", i));
    await Promise.all(all);
    const expected = Array.from({ length: N }, (_, i) => i);
    expect(started).toEqual(expected);
    for (const list of finished) expect(list).toEqual(expected);
    expect(overlaps).toBe(0);
  });

  it("every handler of event N settles before event N+1 of the same type is delivered", async () => {
    const bus = createEventBus();
    const log: string[] = [];
    bus.subscribe<number>("job.queued", async (e) => {
      log.push(`fast ${e.payload}`);
    });
    bus.subscribe<number>("job.queued", async (e) => {
      await delay(e.payload === 1 ? 15 : 1);
      log.push(`slow ${e.payload} done`);
    });
    await Promise.all([bus.publishOrdered("job.queued", 1), bus.publishOrdered("job.queued", 2)]);
    expect(log).toEqual(["fast 1", "slow 1 done", "fast 2", "slow 2 done"]);
  });

  it("resolves when its own event's handlers have settled, earlier ones included", async () => {
    const bus = createEventBus();
    const done: number[] = [];
    bus.subscribe<number>("job.queued", async (e) => {
      await delay(e.payload === 1 ? 10 : 1);
      done.push(e.payload);
    });
    const first = bus.publishOrdered("job.queued", 1);
    await bus.publishOrdered("job.queued", 2);
    expect(done).toEqual([1, 2]);
    await first;
  });

  it("events of different types do not wait for each other", async () => {
    const bus = createEventBus();
    const gate = Promise.withResolvers<void>();
    let otherDelivered = false;
    bus.subscribe("door.opened", () => gate.promise);
    bus.subscribe("light.changed", () => {
      otherDelivered = true;
    });
    const blocked = bus.publishOrdered("door.opened");
    const queuedBehind = bus.publishOrdered("door.opened");
    await bus.publishOrdered("light.changed");
    expect(otherDelivered).toBe(true);
    gate.resolve();
    await Promise.all([blocked, queuedBehind]);
  });

  it("a failing handler does not stall the events behind it", async () => {
    const bus = createEventBus();
    const got: number[] = [];
    bus.subscribe<number>("job.queued", async (e) => {
      if (e.payload === 1) throw new Error("first fails");
      got.push(e.payload);
    });
    await Promise.all([1, 2, 3].map((n) => bus.publishOrdered("job.queued", n)));
    expect(got).toEqual([2, 3]);
    expect(bus.stats().byType["job.queued"]?.failed).toBe(1);
  });

  it("a retried handler holds the lane until its retries have settled", async () => {
    const bus = createEventBus();
    const log: string[] = [];
    let tries = 0;
    bus.subscribe<number>(
      "job.queued",
      (e) => {
        if (e.payload === 1 && ++tries < 3) {
          log.push(`try ${tries} failed`);
          throw new Error("flaky");
        }
        log.push(`handled ${e.payload}`);
      },
      { retry: { attempts: 3, backoffMs: 2 } },
    );
    await Promise.all([bus.publishOrdered("job.queued", 1), bus.publishOrdered("job.queued", 2)]);
    expect(log).toEqual(["try 1 failed", "try 2 failed", "handled 1", "handled 2"]);
  });

  it("an event published from inside a handler of the same type is delivered after the current one", async () => {
    const bus = createEventBus();
    const log: string[] = [];
    bus.subscribe<number>("job.queued", (e) => {
      log.push(`a ${e.payload}`);
      if (e.payload === 1) void bus.publishOrdered("job.queued", 2);
    });
    bus.subscribe<number>("job.queued", (e) => void log.push(`b ${e.payload}`));
    await bus.publishOrdered("job.queued", 1);
    await bus.drain();
    expect(log).toEqual(["a 1", "b 1", "a 2", "b 2"]);
  });

  it("synchronous handlers are delivered before publishOrdered returns", () => {
    const bus = createEventBus();
    const got: number[] = [];
    bus.subscribe<number>("job.queued", (e) => void got.push(e.payload));
    void bus.publishOrdered("job.queued", 1);
    void bus.publishOrdered("job.queued", 2);
    expect(got).toEqual([1, 2]);
  });
});
