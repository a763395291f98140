import { describe, expect, it } from "bun:test";
import { type BusEvent, createEventBus, type EventBus } from "../../../../src/kernel/bus/index.ts";

/** Subscribes a handler that records the types it receives. */
function recorder(bus: EventBus, pattern: string): string[] {
  const seen: string[] = [];
  bus.subscribe(pattern, (e) => {
    seen.push(e.type);
  });
  return seen;
}

const TYPES = [
  "device.state_changed",
  "device.a.b",
  "devices.x",
  "light.changed",
  "$runtime.started",
  "$bus.x",
];

async function publishAll(bus: EventBus): Promise<void> {
  for (const type of TYPES) await bus.publish(type, {});
}

describe("subscription patterns", () => {
  it("an exact pattern receives only its own type", async () => {
    const bus = createEventBus();
    const seen = recorder(bus, "device.state_changed");
    await publishAll(bus);
    expect(seen).toEqual(["device.state_changed"]);
  });

  it("a segment wildcard matches exactly one segment of that domain", async () => {
    const bus = createEventBus();
    const seen = recorder(bus, "device.*");
    await publishAll(bus);
    expect(seen).toEqual(["device.state_changed"]);
  });

  it("a wildcard in the middle matches one segment there", async () => {
    const bus = createEventBus();
    const seen = recorder(bus, "device.*.b");
    await publishAll(bus);
    await bus.publish("device.a.c");
    expect(seen).toEqual(["device.a.b"]);
  });

  it("a leading wildcard matches any domain, kernel ones included", async () => {
    const bus = createEventBus();
    const seen = recorder(bus, "*.changed");
    await publishAll(bus);
    await bus.publish("$plugin.changed");
    expect(seen).toEqual(["light.changed", "$plugin.changed"]);
  });

  it("* alone receives every event, $ events included", async () => {
    const bus = createEventBus();
    const seen = recorder(bus, "*");
    await publishAll(bus);
    expect(seen).toEqual(TYPES);
  });

  it("a $-prefixed pattern receives kernel events", async () => {
    const bus = createEventBus();
    const seen = recorder(bus, "$bus.*");
    await publishAll(bus);
    expect(seen).toEqual(["$bus.x"]);
  });

  it("calls each matching subscription once, including the same handler subscribed twice", async () => {
    const bus = createEventBus();
    const calls: string[] = [];
    const handler = (e: BusEvent) => {
      calls.push(e.type);
    };
    bus.subscribe("device.changed", handler);
    bus.subscribe("device.changed", handler);
    bus.subscribe("device.*", handler);
    await bus.publish("device.changed");
    expect(calls).toHaveLength(3);
    expect(bus.stats().byType["device.changed"]?.delivered).toBe(3);
  });

  it("calls synchronous handlers in subscription order across exact and wildcard patterns", async () => {
    const bus = createEventBus();
    const order: string[] = [];
    bus.subscribe("*", () => void order.push("all"));
    bus.subscribe("device.changed", () => void order.push("exact-1"));
    bus.subscribe("device.*", () => void order.push("wild"));
    bus.subscribe("device.changed", () => void order.push("exact-2"));
    await bus.publish("device.changed");
    expect(order).toEqual(["all", "exact-1", "wild", "exact-2"]);
  });

  it("a wildcard subscribed after a type was already published still receives it", async () => {
    const bus = createEventBus();
    await bus.publish("device.changed");
    const seen = recorder(bus, "device.*");
    await bus.publish("device.changed");
    expect(seen).toEqual(["device.changed"]);
  });
});

describe("unsubscribe", () => {
  it("stops delivery to that handler only", async () => {
    const bus = createEventBus();
    const a: number[] = [];
    const b: number[] = [];
    const offA = bus.subscribe<number>("device.changed", (e) => void a.push(e.payload));
    bus.subscribe<number>("device.*", (e) => void b.push(e.payload));
    await bus.publish("device.changed", 1);
    offA();
    await bus.publish("device.changed", 2);
    expect(a).toEqual([1]);
    expect(b).toEqual([1, 2]);
  });

  it("a wildcard unsubscribed after its types were published stops receiving them", async () => {
    const bus = createEventBus();
    const seen: number[] = [];
    const off = bus.subscribe<number>("device.*", (e) => void seen.push(e.payload));
    await bus.publish("device.changed", 1);
    off();
    await bus.publish("device.changed", 2);
    expect(seen).toEqual([1]);
  });

  it("is idempotent and counts the subscription once", () => {
    const bus = createEventBus();
    const off = bus.subscribe("device.*", () => {});
    bus.subscribe("device.changed", () => {});
    expect(bus.stats().subscriptions).toBe(2);
    off();
    off();
    expect(bus.stats().subscriptions).toBe(1);
  });

  it("unsubscribing one of two identical handlers leaves the other", async () => {
    const bus = createEventBus();
    let calls = 0;
    const handler = () => {
      calls++;
    };
    const off = bus.subscribe("device.changed", handler);
    bus.subscribe("device.changed", handler);
    off();
    await bus.publish("device.changed");
    expect(calls).toBe(1);
  });
});

describe("changes during a publish", () => {
  it("a subscription added by a handler gets the next event, not the current one", async () => {
    const bus = createEventBus();
    const late: number[] = [];
    const after: number[] = [];
    bus.subscribe("device.changed", () => {
      if (late.length === 0 && after.length === 0) {
        bus.subscribe<number>("device.changed", (e) => void late.push(e.payload));
        bus.subscribe<number>("device.*", (e) => void late.push(e.payload));
      }
    });
    bus.subscribe<number>("device.changed", (e) => void after.push(e.payload));
    await bus.publish("device.changed", 1);
    await bus.publish("device.changed", 2);
    expect(after).toEqual([1, 2]);
    expect(late).toEqual([2, 2]);
  });

  it("a handler unsubscribing itself does not make the iteration skip the next handler", async () => {
    const bus = createEventBus();
    const calls: string[] = [];
    const off = bus.subscribe("device.changed", () => {
      calls.push("first");
      off();
    });
    bus.subscribe("device.changed", () => void calls.push("second"));
    bus.subscribe("device.changed", () => void calls.push("third"));
    await bus.publish("device.changed");
    await bus.publish("device.changed");
    expect(calls).toEqual(["first", "second", "third", "second", "third"]);
  });

  it("a handler unsubscribed by an earlier handler of the same event is not called", async () => {
    const bus = createEventBus();
    const calls: string[] = [];
    bus.subscribe("device.changed", () => {
      calls.push("first");
      offSecond();
    });
    const offSecond = bus.subscribe("device.changed", () => void calls.push("second"));
    bus.subscribe("device.*", () => void calls.push("third"));
    await bus.publish("device.changed");
    expect(calls).toEqual(["first", "third"]);
  });
});
