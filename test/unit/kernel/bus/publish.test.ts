import { describe, expect, it } from "bun:test";
import { type BusEvent, createEventBus, HANDLER_FAILED } from "../../../../src/kernel/bus/index.ts";

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

describe("publish", () => {
  it("hands every handler the event with its type, the same payload object, a seq and a timestamp", async () => {
    const bus = createEventBus();
    const seen: BusEvent[] = [];
    bus.subscribe("device.changed", (e) => void seen.push(e));
    bus.subscribe("device.*", (e) => void seen.push(e));
    const payload = { id: "lamp" };
    await bus.publish("device.changed", payload);
    expect(seen).toHaveLength(2);
    for (const e of seen) {
      expect(e.type).toBe("device.changed");
      expect(e.payload).toBe(payload);
      expect(e.seq).toBe(1);
      expect(typeof e.ts).toBe("number");
    }
  });

  it("numbers events monotonically from 1", async () => {
    const bus = createEventBus();
    const seqs: number[] = [];
    bus.subscribe("*", (e) => void seqs.push(e.seq));
    await bus.publish("a.one");
    await bus.publishOrdered("b.two");
    await bus.publish("a.one");
    expect(seqs).toEqual([1, 2, 3]);
  });

  it("runs handlers concurrently: each starts before any finishes", async () => {
    const bus = createEventBus();
    const log: string[] = [];
    for (const name of ["a", "b", "c"]) {
      bus.subscribe("device.changed", async () => {
        log.push(`start ${name}`);
        await delay(5);
        log.push(`end ${name}`);
      });
    }
    await bus.publish("device.changed");
    expect(log.slice(0, 3)).toEqual(["start a", "start b", "start c"]);
    expect(log).toHaveLength(6);
  });

  it("resolves only after every async handler has settled", async () => {
    const bus = createEventBus();
    let done = 0;
    bus.subscribe("device.changed", async () => {
      await delay(10);
      done++;
    });
    bus.subscribe("device.changed", async () => {
      await delay(1);
      done++;
    });
    await bus.publish("device.changed");
    expect(done).toBe(2);
  });

  it("resolves when nothing subscribes", async () => {
    const bus = createEventBus();
    await expect(bus.publish("device.changed", { x: 1 })).resolves.toBeUndefined();
    expect(bus.stats().byType["device.changed"]).toEqual({ published: 1, delivered: 0, failed: 0 });
  });

  it("a rejecting handler does not stop the others and publish still resolves", async () => {
    const bus = createEventBus();
    const ran: string[] = [];
    bus.subscribe("device.changed", async () => {
      ran.push("before");
    });
    bus.subscribe("device.changed", async () => {
      throw new Error("boom");
    });
    bus.subscribe("device.changed", async () => {
      await delay(2);
      ran.push("after");
    });
    await expect(bus.publish("device.changed")).resolves.toBeUndefined();
    expect(ran).toEqual(["before", "after"]);
  });

  it("a synchronously throwing handler does not stop later handlers or throw from publish", async () => {
    const bus = createEventBus();
    const ran: string[] = [];
    bus.subscribe("device.changed", () => {
      throw new Error("sync boom");
    });
    bus.subscribe("device.changed", () => void ran.push("sync"));
    bus.subscribe("device.changed", async () => void ran.push("async"));
    let promise: Promise<void> | undefined;
    expect(() => {
      promise = bus.publish("device.changed");
    }).not.toThrow();
    await expect(promise as Promise<void>).resolves.toBeUndefined();
    expect(ran).toEqual(["sync", "async"]);
    expect(bus.stats().byType["device.changed"]?.failed).toBe(1);
  });

  it("a synchronous throw and a rejection are reported alike", async () => {
    const bus = createEventBus();
    const reports: unknown[] = [];
    bus.subscribe(HANDLER_FAILED, (e) => void reports.push(e.payload));
    bus.subscribe(
      "a.sync",
      () => {
        throw new Error("x");
      },
      { owner: "o" },
    );
    bus.subscribe("a.async", () => Promise.reject(new Error("x")), { owner: "o" });
    await bus.publish("a.sync");
    await bus.publish("a.async");
    await bus.drain();
    const failure = { owner: "o", attempts: 1, error: { message: "x" } };
    // seq 2 is the first report itself.
    expect(reports).toEqual([
      { type: "a.sync", seq: 1, pattern: "a.sync", ...failure },
      { type: "a.async", seq: 3, pattern: "a.async", ...failure },
    ]);
  });

  it("never rejects even when every handler fails", async () => {
    const bus = createEventBus();
    bus.subscribe("device.changed", () => Promise.reject(new Error("a")));
    bus.subscribe("device.*", () => {
      throw "not even an Error";
    });
    await expect(bus.publish("device.changed")).resolves.toBeUndefined();
    await expect(bus.publishOrdered("device.changed")).resolves.toBeUndefined();
  });

  it("passes an omitted payload as undefined", async () => {
    const bus = createEventBus();
    const payloads: unknown[] = [];
    bus.subscribe("device.changed", (e) => void payloads.push(e.payload));
    await bus.publish("device.changed");
    expect(payloads).toEqual([undefined]);
  });
});

describe("filter", () => {
  it("skips the handler when the filter returns false, without counting a delivery", async () => {
    const bus = createEventBus();
    const got: number[] = [];
    bus.subscribe<{ n: number }>("device.changed", (e) => void got.push(e.payload.n), {
      filter: (e) => e.payload.n % 2 === 0,
    });
    for (let n = 0; n < 5; n++) await bus.publish("device.changed", { n });
    expect(got).toEqual([0, 2, 4]);
    expect(bus.stats().byType["device.changed"]).toEqual({ published: 5, delivered: 3, failed: 0 });
  });

  it("a throwing filter counts as a failure and is reported", async () => {
    const bus = createEventBus();
    let handled = 0;
    const reports: unknown[] = [];
    bus.subscribe(HANDLER_FAILED, (e) => void reports.push(e.payload));
    bus.subscribe(
      "device.changed",
      () => {
        handled++;
      },
      {
        owner: "ui",
        filter: () => {
          throw new Error("bad filter");
        },
      },
    );
    await bus.publish("device.changed");
    await bus.drain();
    expect(handled).toBe(0);
    expect(bus.stats().byType["device.changed"]?.failed).toBe(1);
    expect(reports).toEqual([
      {
        type: "device.changed",
        seq: 1,
        pattern: "device.changed",
        owner: "ui",
        attempts: 1,
        error: { message: "bad filter" },
      },
    ]);
  });
});

describe("stats", () => {
  it("counts published, delivered and failed per type and in total", async () => {
    const bus = createEventBus();
    bus.subscribe("device.*", () => {});
    bus.subscribe("device.broken", () => {
      throw new Error("x");
    });
    await bus.publish("device.changed");
    await bus.publish("device.changed");
    await bus.publish("device.broken");
    await bus.publish("light.changed");
    await bus.drain();
    const stats = bus.stats();
    expect(stats.byType).toEqual({
      "device.changed": { published: 2, delivered: 2, failed: 0 },
      "device.broken": { published: 1, delivered: 1, failed: 1 },
      "light.changed": { published: 1, delivered: 0, failed: 0 },
      [HANDLER_FAILED]: { published: 1, delivered: 0, failed: 0 },
    });
    expect(stats.published).toBe(5);
    expect(stats.delivered).toBe(3);
    expect(stats.failed).toBe(1);
    expect(stats.subscriptions).toBe(2);
  });

  it("returns a copy that later publishes do not change", async () => {
    const bus = createEventBus();
    await bus.publish("device.changed");
    const before = bus.stats();
    await bus.publish("device.changed");
    expect(before.byType["device.changed"]?.published).toBe(1);
    expect(bus.stats().byType["device.changed"]?.published).toBe(2);
  });
});

describe("drain", () => {
  it("resolves at once when nothing is in flight", async () => {
    const bus = createEventBus();
    await expect(bus.drain()).resolves.toBeUndefined();
  });

  it("waits for handlers of publishes nobody awaited", async () => {
    const bus = createEventBus();
    let done = 0;
    bus.subscribe("device.changed", async () => {
      await delay(5);
      done++;
    });
    for (let i = 0; i < 3; i++) void bus.publish("device.changed");
    void bus.publishOrdered("device.changed");
    void bus.publishOrdered("device.changed");
    expect(done).toBe(0);
    await bus.drain();
    expect(done).toBe(5);
  });

  it("waits for retries and for the failure report's handlers", async () => {
    const bus = createEventBus();
    let attempts = 0;
    let reported = false;
    bus.subscribe(HANDLER_FAILED, async () => {
      await delay(5);
      reported = true;
    });
    bus.subscribe(
      "device.changed",
      () => {
        attempts++;
        throw new Error("x");
      },
      { retry: { attempts: 3, backoffMs: 2 } },
    );
    void bus.publish("device.changed");
    await bus.drain();
    expect(attempts).toBe(3);
    expect(reported).toBe(true);
  });
});
