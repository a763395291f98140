/**
 * The gpio plugin on a real runtime: config → devices → HTTP command → output line, and input edge →
 * device.state_changed / device.action, on the sim driver and on the sysfs driver over a fake tree.
 */
import { afterEach, describe, expect, it } from "bun:test";
import { BUILTIN_PLUGINS } from "../../../src/builtin-plugins.generated.ts";
import type { SimGpio } from "../../../src/hal/gpio/index.ts";
import type { BusEvent } from "../../../src/kernel/bus/types.ts";
import { builtinSource } from "../../../src/kernel/plugins/index.ts";
import { type Booted, bootRuntime, removeDataDirs } from "../../helpers/runtime.ts";
import { createFakeSysfs, type FakeSysfs } from "../../unit/hal/gpio/fake-sysfs.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const running: Booted[] = [];
const trees: FakeSysfs[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
  for (const t of trees.splice(0)) t.cleanup();
  removeDataDirs();
});

const gpioPlugin = () =>
  BUILTIN_PLUGINS.filter((p) => (p.manifest as { name: string }).name === "gpio").map(builtinSource);

const PINS = [
  { id: "hall-pir", name: "Hall PIR", area: "hall", role: "input", kind: "motion", line: 4, debounceMs: 0 },
  { id: "porch-relay", name: "Porch relay", role: "output", kind: "relay", pin: 11, activeLow: true },
  { id: "doorbell", name: "Doorbell", role: "input", kind: "button", line: 27, debounceMs: 0 },
];

async function boot(gpio: Record<string, unknown>, config: Record<string, unknown> = { pins: PINS }) {
  const b = await bootRuntime({
    plugins: gpioPlugin(),
    overrides: { "hardware.gpio": gpio, "plugins.gpio": { config } },
  });
  running.push(b);
  return b;
}

function collect(b: Booted, pattern: string) {
  const events: BusEvent<Json>[] = [];
  b.kernel.bus.subscribe(pattern, (e: BusEvent<Json>) => {
    events.push(e);
  });
  return events;
}

async function until(cond: () => boolean, limitMs = 3000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

const SIM = { driver: "sim", sysfsRoot: "/nonexistent", devDir: "/nonexistent" };

describe("gpio plugin on the sim driver", () => {
  it("announces each configured pin as a device with its line and initial state", async () => {
    const b = await boot(SIM);
    const { devices }: { devices: Json[] } = await b.json("/api/v1/devices?owner=gpio");
    const byId = Object.fromEntries(devices.map((d: Json) => [d.id, d]));
    expect(Object.keys(byId).sort()).toEqual(["gpio-doorbell", "gpio-hall-pir", "gpio-porch-relay"]);
    expect(byId["gpio-hall-pir"]).toMatchObject({
      type: "binary_sensor",
      area: "hall",
      available: true,
      attributes: { chip: "gpiochip0", line: 4 },
      state: { reported: { motion: false } },
    });
    expect(byId["gpio-porch-relay"]).toMatchObject({
      type: "switch",
      attributes: { line: 17, headerPin: 11, activeLow: true },
      state: { reported: { on_off: false } },
    });
    expect(byId["gpio-doorbell"].type).toBe("button");
    expect(b.kernel.plugins.get("gpio").health?.status).toBe("ok");
  });

  it("drives the output line on an HTTP command and reports the new state", async () => {
    const b = await boot(SIM);
    const world = (await b.kernel.hardware.gpio.get()) as SimGpio;
    const changed = collect(b, "device.state_changed");
    const res = await b.request("/api/v1/devices/gpio-porch-relay/command", {
      method: "POST",
      body: JSON.stringify({ changes: { on_off: true } }),
    });
    expect(res.status).toBe(200);
    // Active-low: on is a low pin.
    expect(world.history(17).map((c) => [c.level, c.value])).toEqual([
      [1, 0],
      [0, 1],
    ]);
    await until(() => changed.length > 0);
    expect(changed[0]?.payload).toMatchObject({
      id: "gpio-porch-relay",
      changed: ["on_off"],
      new: { on_off: true },
      source: "command",
    });
    const relay: Json = await b.json("/api/v1/devices/gpio-porch-relay");
    expect(relay.state.reported.on_off).toBe(true);
    expect(relay.state.pending).toEqual([]);
  });

  it("reports an input edge as device.state_changed, and a button press as device.action", async () => {
    const b = await boot(SIM);
    const world = (await b.kernel.hardware.gpio.get()) as SimGpio;
    const changed = collect(b, "device.state_changed");
    const actions = collect(b, "device.action");
    world.drive(4, 1);
    await until(() => changed.length === 1);
    expect(changed[0]?.payload).toMatchObject({
      id: "gpio-hall-pir",
      new: { motion: true },
      source: "external",
    });
    world.drive(4, 0);
    await until(() => changed.length === 2);
    expect(changed[1]?.payload).toMatchObject({ new: { motion: false } });
    world.drive(27, 1);
    world.drive(27, 0);
    await until(() => actions.length === 1);
    expect(actions[0]?.payload).toEqual({ id: "gpio-doorbell", action: "single" });
  });

  it("puts outputs in their safe state and frees the lines when it stops", async () => {
    const b = await boot(SIM, {
      pins: [
        { id: "heater", name: "Heater", role: "output", line: 5, initial: true },
        { id: "fan", name: "Fan", role: "output", line: 6, initial: true, safeState: "keep" },
      ],
    });
    const world = (await b.kernel.hardware.gpio.get()) as SimGpio;
    expect(world.level(5)).toBe(1);
    await b.kernel.plugins.disable("gpio");
    expect(world.history(5).map((c) => c.level)).toEqual([1, 0]);
    expect(world.level(6)).toBe(1);
    expect(b.kernel.hardware.gpio.held()).toEqual([]);
  });

  it("starts without touching GPIO when no pins are configured", async () => {
    const b = await boot({ driver: "auto", sysfsRoot: "/nonexistent", devDir: "/nonexistent" }, {});
    expect(b.kernel.plugins.get("gpio")).toMatchObject({ state: "started" });
    expect(b.kernel.plugins.get("gpio").health).toBeUndefined();
  });

  it("reports GPIO_UNAVAILABLE through its status when there is no GPIO", async () => {
    const b = await boot({ driver: "auto", sysfsRoot: "/nonexistent", devDir: "/nonexistent" });
    const info = b.kernel.plugins.get("gpio");
    expect(info.state).toBe("started");
    expect(info.health).toMatchObject({ status: "error" });
    expect(info.health?.reason).toContain("No GPIO here");
  });
});

describe("gpio plugin config", () => {
  const failure = async (config: Record<string, unknown>) => {
    const b = await boot(SIM, config);
    const info = b.kernel.plugins.get("gpio");
    expect(info.state).toBe("failed");
    return info.error as { code: string; message: string; data?: Json };
  };
  /** The code a failing onStart threw (the plugin error is PLUGIN_HOOK_FAILED around it). */
  const causeOf = (err: { data?: Json }) => err.data?.cause?.code;

  it("refuses one line used as input and output", async () => {
    const err = await failure({
      pins: [
        { id: "a", name: "A", role: "input", kind: "motion", line: 4 },
        { id: "b", name: "B", role: "output", line: 4 },
      ],
    });
    expect(err.code).toBe("PLUGIN_CONFIG_INVALID");
    expect(err.message).toContain("a line is an input or an output");
  });

  it("refuses a duplicate id", async () => {
    const err = await failure({
      pins: [
        { id: "a", name: "A", role: "output", line: 4 },
        { id: "a", name: "A2", role: "output", line: 5 },
      ],
    });
    expect(err.code).toBe("PLUGIN_CONFIG_INVALID");
    expect(err.message).toContain('id "a" is already used');
  });

  it("refuses a pin with both a line and a header pin, or neither", async () => {
    for (const pin of [{ line: 6, pin: 7 }, {}]) {
      const err = await failure({ pins: [{ id: "c", name: "C", role: "output", ...pin }] });
      expect(err.message).toContain('needs exactly one of "line"');
    }
  });

  it("refuses a header pin that is not a GPIO", async () => {
    const err = await failure({ pins: [{ id: "gnd", name: "Ground", role: "output", pin: 6 }] });
    expect(causeOf(err)).toBe("PLUGIN_CONFIG_INVALID");
    expect(err.message).toContain('pin "gnd"');
  });

  it("refuses one line written two ways (header pin 11 and line 17)", async () => {
    const err = await failure({
      pins: [
        { id: "a", name: "A", role: "output", pin: 11 },
        { id: "b", name: "B", role: "output", line: 17 },
      ],
    });
    expect(causeOf(err)).toBe("PLUGIN_CONFIG_INVALID");
    expect(err.message).toContain('like pin "a"');
  });

  it("refuses a line the chip does not have", async () => {
    const err = await failure({ pins: [{ id: "far", name: "Far", role: "output", line: 200 }] });
    expect(causeOf(err)).toBe("GPIO_INVALID_LINE");
  });
});

describe("gpio plugin on the sysfs driver (fake tree)", () => {
  it("drives an output and reports an input edge through /sys/class/gpio", async () => {
    const tree = createFakeSysfs();
    trees.push(tree);
    const b = await boot({ driver: "sysfs", sysfsRoot: tree.root, devDir: "/nonexistent" });
    expect(b.kernel.plugins.get("gpio").state).toBe("started");
    // The header chip sits at base 512 (a Pi 4 on a 6.x kernel): BCM 4 is gpio516, BCM 17 gpio529.
    const changed = collect(b, "device.state_changed");
    tree.setLevel(516, 1);
    await until(() => changed.some((e) => e.payload.id === "gpio-hall-pir"));
    expect(changed.find((e) => e.payload.id === "gpio-hall-pir")?.payload.new).toEqual({ motion: true });

    expect(tree.level(529)).toBe(1); // active-low relay, off
    const res = await b.request("/api/v1/devices/gpio-porch-relay/command", {
      method: "POST",
      body: JSON.stringify({ changes: { on_off: true } }),
    });
    expect(res.status).toBe(200);
    expect(tree.level(529)).toBe(0);
    await until(() => changed.some((e) => e.payload.id === "gpio-porch-relay"));
    await b.stop();
    // Stopped: the relay went to its safe state (off = high) and the lines were unexported.
    expect(tree.exported(529)).toBe(false);
    expect(tree.level(529)).toBe(1);
  });
});
