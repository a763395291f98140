/**
 * The demo house on a real runtime: its switch is a relay and its motion sensor a PIR on a private
 * sim GPIO (`ctx.hardware.gpio.sim()`), so a command moves a line and a line's edge is a report.
 */
import { afterEach, describe, expect, it } from "bun:test";
import { BUILTIN_PLUGINS } from "../../../src/builtin-plugins.generated.ts";
import type { BusEvent } from "../../../src/kernel/bus/types.ts";
import { builtinSource } from "../../../src/kernel/plugins/index.ts";
import { type Booted, bootRuntime, removeDataDirs } from "../../helpers/runtime.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const RELAY = 17;
const PIR = 4;

const running: Booted[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
  removeDataDirs();
});

async function boot(config: Record<string, unknown> = {}) {
  const b = await bootRuntime({
    plugins: BUILTIN_PLUGINS.filter((p) => (p.manifest as { name: string }).name === "demo").map(
      builtinSource,
    ),
    // A long interval: the test moves the PIR itself.
    overrides: { "plugins.demo": { config: { intervalMs: 60_000, commandDelayMs: 0, ...config } } },
  });
  running.push(b);
  const sims = b.kernel.hardware.gpio.sims("demo");
  expect(sims).toHaveLength(1);
  return { ...b, sim: sims[0] as NonNullable<(typeof sims)[0]> };
}

async function until(cond: () => boolean, limitMs = 3000): Promise<void> {
  const end = performance.now() + limitMs;
  while (!cond()) {
    if (performance.now() > end) throw new Error("condition not met in time");
    await Bun.sleep(5);
  }
}

describe("demo house on the sim GPIO driver", () => {
  it("keeps the house's devices and ids", async () => {
    const b = await boot();
    const { devices }: { devices: Json[] } = await b.json("/api/v1/devices?owner=demo");
    expect(devices.map((d) => d.id).sort()).toEqual([
      "demo-button",
      "demo-climate",
      "demo-door",
      "demo-light",
      "demo-motion",
      "demo-switch",
    ]);
  });

  it("drives the relay line on a switch command and reports on_off and power from it", async () => {
    const b = await boot();
    const changed: BusEvent<Json>[] = [];
    b.kernel.bus.subscribe("device.state_changed", (e: BusEvent<Json>) => {
      changed.push(e);
    });
    expect(b.sim.history(RELAY).map((c) => c.level)).toEqual([0]);
    const res = await b.request("/api/v1/devices/demo-switch/command", {
      method: "POST",
      body: JSON.stringify({ changes: { on_off: true } }),
    });
    expect(res.status).toBe(200);
    await until(() => changed.some((e) => e.payload.id === "demo-switch"));
    expect(b.sim.history(RELAY).map((c) => c.level)).toEqual([0, 1]);
    const sw: Json = await b.json("/api/v1/devices/demo-switch");
    expect(sw.state.reported).toMatchObject({ on_off: true, power: 60 });
  });

  it("reports the PIR line's edges as motion", async () => {
    const b = await boot();
    const changed: BusEvent<Json>[] = [];
    b.kernel.bus.subscribe("device.state_changed", (e: BusEvent<Json>) => {
      if (e.payload.id === "demo-motion") changed.push(e);
    });
    b.sim.drive(PIR, 1);
    await until(() => changed.length === 1);
    expect(changed[0]?.payload.new.motion).toBe(true);
    b.sim.drive(PIR, 0);
    await until(() => changed.length === 2);
    expect(changed[1]?.payload.new.motion).toBe(false);
  });

  it("moves the PIR itself on its interval and clears it on the next tick", async () => {
    const b = await boot({ intervalMs: 100, motionChance: 1, doorChance: 0, buttonChance: 0 });
    const seen: boolean[] = [];
    b.kernel.bus.subscribe("device.state_changed", (e: BusEvent<Json>) => {
      if (e.payload.id === "demo-motion") seen.push(e.payload.new.motion);
    });
    await until(() => seen.length >= 2);
    expect(seen.slice(0, 2)).toEqual([true, false]);
  });

  it("closes its sim GPIO when it stops", async () => {
    const b = await boot();
    await b.kernel.plugins.disable("demo");
    expect(b.kernel.hardware.gpio.sims("demo")).toEqual([]);
    expect((await b.sim.lines()).filter((l) => l.used)).toEqual([]);
  });
});
