import { describe, expect, it } from "bun:test";
import { type HearthError, isHearthError } from "../../../../src/errors.ts";
import { createEventBus } from "../../../../src/kernel/bus/index.ts";

/** The HearthError thrown synchronously by `fn`, or a failure if it did not throw one. */
function thrown(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (err) {
    if (isHearthError(err)) return err;
    throw new Error(`expected a HearthError, got ${String(err)}`);
  }
  throw new Error("expected a synchronous throw");
}

const VALID_TYPES = [
  "device.state_changed",
  "$bus.handler_failed",
  "$runtime.started",
  "zigbee.device.joined",
  "a1.b_2",
  // The domain is an owner name, so a plugin "zigbee-stick" publishes under its own name.
  "zigbee-stick.device_joined",
];
const INVALID_TYPES = [
  "",
  "device",
  "Device.changed",
  "device.State",
  "device.",
  ".changed",
  "device..changed",
  "1device.changed",
  "device.1changed",
  "_device.changed",
  "my_domain.changed",
  "device.changed ",
  "$",
  "$$bus.x",
  "device.state-changed",
  "-device.changed",
  "bus.$x",
  "device.*",
  "*",
];

describe("event type validation", () => {
  it("accepts <domain>.<verb> types, $-prefixed or not", async () => {
    const bus = createEventBus();
    for (const type of VALID_TYPES) {
      await bus.publish(type, {});
      await bus.publishOrdered(type, {});
    }
    expect(Object.keys(bus.stats().byType).sort()).toEqual([...VALID_TYPES].sort());
  });

  it("throws BUS_INVALID_EVENT_TYPE synchronously from publish for each malformed type", () => {
    const bus = createEventBus();
    for (const type of INVALID_TYPES) {
      expect(thrown(() => bus.publish(type, {})).code).toBe("BUS_INVALID_EVENT_TYPE");
    }
  });

  it("throws BUS_INVALID_EVENT_TYPE synchronously from publishOrdered", () => {
    const bus = createEventBus();
    expect(thrown(() => bus.publishOrdered("NotAType", {})).code).toBe("BUS_INVALID_EVENT_TYPE");
  });

  it("rejects a non-string type", () => {
    const bus = createEventBus();
    expect(thrown(() => bus.publish(42 as unknown as string)).code).toBe("BUS_INVALID_EVENT_TYPE");
  });

  it("does not count or deliver an event with an invalid type", () => {
    const bus = createEventBus();
    let calls = 0;
    bus.subscribe("*", () => {
      calls++;
    });
    thrown(() => bus.publish("Bad.Type"));
    expect(calls).toBe(0);
    expect(bus.stats().published).toBe(0);
  });
});

describe("pattern validation", () => {
  it("accepts exact types, whole-segment wildcards and *", () => {
    const bus = createEventBus();
    for (const pattern of ["*", "device.*", "*.changed", "*.*", "$bus.*", "$bus.handler_failed", "a.*.c"]) {
      expect(() => bus.subscribe(pattern, () => {})).not.toThrow();
    }
    expect(bus.stats().subscriptions).toBe(7);
  });

  it("throws BUS_INVALID_PATTERN for each malformed pattern", () => {
    const bus = createEventBus();
    for (const pattern of [
      "",
      "device",
      "device.",
      "**",
      "device.**",
      "dev*.changed",
      "device.*x",
      "Device.*",
      "$*.x",
      "*.",
      ".*",
      "device..*",
    ]) {
      expect(thrown(() => bus.subscribe(pattern, () => {})).code).toBe("BUS_INVALID_PATTERN");
    }
    expect(bus.stats().subscriptions).toBe(0);
  });

  it("refuses a handler that is not a function", () => {
    const bus = createEventBus();
    const err = thrown(() => bus.subscribe("device.changed", "nope" as unknown as () => void));
    expect(err.code).toBe("INVALID_ARGUMENT");
  });

  it("refuses retry options with fewer than one attempt or a negative backoff", () => {
    const bus = createEventBus();
    for (const retry of [
      { attempts: 0, backoffMs: 10 },
      { attempts: 1.5, backoffMs: 10 },
      { attempts: 3, backoffMs: -1 },
      { attempts: 3, backoffMs: Number.NaN },
    ]) {
      expect(thrown(() => bus.subscribe("device.changed", () => {}, { retry })).code).toBe(
        "INVALID_ARGUMENT",
      );
    }
  });
});
