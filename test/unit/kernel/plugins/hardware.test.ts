/**
 * `ctx.hardware.gpio`: the process-wide GPIO seen by plugins, with line ownership and cleanup.
 * The shared instance runs the `sim` driver so a test can see the lines from outside.
 */
import { describe, expect, it } from "bun:test";
import { HearthError } from "../../../../src/errors.ts";
import type { SimGpio } from "../../../../src/hal/gpio/index.ts";
import { createHardware, type Hardware } from "../../../../src/kernel/hardware/index.ts";
import { silentLogger } from "../../../../src/kernel/log/index.ts";
import type { GpioLine, PluginContext, PluginDefinition } from "../../../../src/sdk/index.ts";
import { builtin, createKernel, harness, probe, rejectionCode, waitFor } from "./helpers.ts";

function simHardware(): Hardware {
  return createHardware({
    gpio: { driver: "sim", sysfsRoot: "/nonexistent/sys/class/gpio", devDir: "/nonexistent/dev" },
    logger: silentLogger(),
  });
}

function setup(builtins: ReturnType<typeof builtin>[], hardware: Hardware = simHardware()) {
  const kernel = { ...createKernel(), hardware };
  const h = harness({ kernel, builtins });
  const world = async () => (await hardware.gpio.get()) as SimGpio;
  return { ...h, hardware, world };
}

/** A plugin that opens `line` as an output in onStart and hands its context out. */
function holder(line: number, seen: { ctx?: PluginContext<unknown> } = {}): PluginDefinition {
  return {
    async onStart(ctx) {
      seen.ctx = ctx as PluginContext<unknown>;
      await ctx.hardware.gpio.open(line, { direction: "output", initial: 1 });
    },
  };
}

async function errorOf(promise: Promise<unknown>): Promise<HearthError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof HearthError) return err;
    throw err;
  }
  throw new Error("expected a rejection");
}

describe("ctx.hardware.gpio", () => {
  it("opens a line on the process-wide driver, named after the plugin", async () => {
    const t = setup([builtin("alpha", holder(17))]);
    await t.manager.startAll();
    expect(t.manager.get("alpha").state).toBe("started");
    const world = await t.world();
    expect(world.level(17)).toBe(1);
    const info = (await world.lines()).find((l) => l.offset === 17);
    expect(info).toMatchObject({ used: true, consumer: "hearth:alpha", direction: "output" });
    expect(t.hardware.gpio.held()).toEqual([{ chip: "gpiochip0", offset: 17, plugin: "alpha" }]);
  });

  it("refuses a line held by another plugin with GPIO_LINE_BUSY naming the holder", async () => {
    const b = probe("bravo");
    const t = setup([builtin("alpha", holder(17)), b.source]);
    await t.manager.startAll();
    const err = await errorOf(b.ctx().hardware.gpio.open(17, { direction: "input" }));
    expect(err.code).toBe("GPIO_LINE_BUSY");
    expect(err.message).toContain('held by plugin "alpha"');
    expect(err.data).toEqual({ chip: "gpiochip0", offset: 17, holder: "alpha" });
    // A line given by chip label is the same line.
    const again = await errorOf(
      b.ctx().hardware.gpio.open({ chip: "hearth-sim", offset: 17 }, { direction: "input" }),
    );
    expect(again.data).toMatchObject({ holder: "alpha" });
  });

  it("releases a plugin's lines when it stops, so another plugin can take them", async () => {
    const b = probe("bravo");
    const t = setup([builtin("alpha", holder(17)), b.source]);
    await t.manager.startAll();
    await t.manager.disable("alpha");
    expect(t.hardware.gpio.held()).toEqual([]);
    const world = await t.world();
    expect((await world.lines()).find((l) => l.offset === 17)?.used).toBe(false);
    const line = await b.ctx().hardware.gpio.open(17, { direction: "input" });
    expect(line.offset).toBe(17);
    expect(t.hardware.gpio.held()).toEqual([{ chip: "gpiochip0", offset: 17, plugin: "bravo" }]);
  });

  it("closes lines only after onStop, so a plugin can leave its outputs in a safe state", async () => {
    const stash: { relay?: GpioLine } = {};
    const t = setup([
      builtin("alpha", {
        async onStart(ctx) {
          stash.relay = await ctx.hardware.gpio.open(5, { direction: "output", initial: 1 });
        },
        async onStop() {
          await stash.relay?.write(0);
        },
      }),
    ]);
    await t.manager.startAll();
    await t.manager.stopAll();
    const world = await t.world();
    expect(world.history(5).map((c) => c.level)).toEqual([1, 0]);
    expect(stash.relay?.closed).toBe(true);
    expect((await world.lines()).find((l) => l.offset === 5)?.used).toBe(false);
  });

  it("closes the lines of a plugin whose onStart fails after opening them", async () => {
    const t = setup([
      builtin("alpha", {
        async onStart(ctx) {
          await ctx.hardware.gpio.open(6, { direction: "output" });
          throw new Error("start broke");
        },
      }),
    ]);
    await t.manager.startAll();
    expect(t.manager.get("alpha").state).toBe("failed");
    expect(t.hardware.gpio.held()).toEqual([]);
    expect((await (await t.world()).lines()).find((l) => l.offset === 6)?.used).toBe(false);
  });

  it("gives a line back when the plugin closes it", async () => {
    const a = probe("alpha");
    const b = probe("bravo");
    const t = setup([a.source, b.source]);
    await t.manager.startAll();
    const line = await a.ctx().hardware.gpio.open(3, { direction: "input" });
    await line.close();
    expect(line.closed).toBe(true);
    expect(await rejectionCode(line.read())).toBe("GPIO_LINE_CLOSED");
    await b.ctx().hardware.gpio.open(3, { direction: "input" });
    expect(t.hardware.gpio.held().map((h) => h.plugin)).toEqual(["bravo"]);
  });

  it("refuses the context's GPIO once the plugin is unloaded", async () => {
    const a = probe("alpha");
    const t = setup([a.source]);
    await t.manager.startAll();
    const ctx = a.ctx();
    await t.manager.stopAll();
    expect(await rejectionCode(ctx.hardware.gpio.open(4, { direction: "input" }))).toBe(
      "PLUGIN_STATE_CONFLICT",
    );
  });

  it("counts a throwing edge callback as the plugin's error and keeps delivering edges", async () => {
    const a = probe("alpha");
    const t = setup([a.source]);
    await t.manager.startAll();
    const seen: number[] = [];
    const line = await a.ctx().hardware.gpio.open(22, { direction: "input", edge: "both" });
    line.watch(() => {
      throw new Error("callback broke");
    });
    line.watch((e) => seen.push(e.value));
    const world = await t.world();
    world.drive(22, 1);
    world.drive(22, 0);
    expect(await waitFor(() => seen.length === 2)).toBe(true);
    expect(t.manager.get("alpha").errorCount).toBe(2);
  });

  it("reports discovery and the driver choice", async () => {
    const a = probe("alpha");
    const t = setup([a.source]);
    await t.manager.startAll();
    const gpio = a.ctx().hardware.gpio;
    expect(await gpio.selection()).toMatchObject({ driver: "sim", requested: "sim" });
    expect((await gpio.chips()).map((c) => c.label)).toEqual(["hearth-sim"]);
    expect((await gpio.lines()).length).toBe(28);
    expect(gpio.headerPinToLine(11)).toBe(17);
  });

  it("fails with GPIO_UNAVAILABLE when auto finds no GPIO, on every call", async () => {
    const a = probe("alpha");
    const hardware = createHardware({
      gpio: { driver: "auto", sysfsRoot: "/nonexistent/sys/class/gpio", devDir: "/nonexistent/dev" },
      logger: silentLogger(),
    });
    const t = setup([a.source], hardware);
    await t.manager.startAll();
    expect(await rejectionCode(a.ctx().hardware.gpio.open(17, { direction: "input" }))).toBe(
      "GPIO_UNAVAILABLE",
    );
    expect(await rejectionCode(a.ctx().hardware.gpio.chips())).toBe("GPIO_UNAVAILABLE");
  });

  it("fails with GPIO_UNAVAILABLE in a manager built without hardware", async () => {
    const a = probe("alpha");
    const h = harness({ builtins: [a.source] });
    await h.manager.startAll();
    expect(await rejectionCode(a.ctx().hardware.gpio.selection())).toBe("GPIO_UNAVAILABLE");
  });
});

describe("ctx.hardware.gpio.sim()", () => {
  it("gives the plugin a private simulated GPIO that others can observe while it runs", async () => {
    const a = probe("alpha");
    const t = setup([a.source]);
    await t.manager.startAll();
    const sim = await a.ctx().hardware.gpio.sim();
    const relay = await sim.open(17, { direction: "output" });
    await relay.write(1);
    expect(t.hardware.gpio.sims("alpha")).toEqual([sim]);
    expect(sim.history(17).map((c) => c.level)).toEqual([0, 1]);
    // Private: the shared instance's line 17 is untouched.
    expect((await t.world()).level(17)).toBe(0);
  });

  it("closes the plugin's sim instances when it stops", async () => {
    const a = probe("alpha");
    const t = setup([a.source]);
    await t.manager.startAll();
    const sim = await a.ctx().hardware.gpio.sim();
    const line = await sim.open(4, { direction: "input" });
    await t.manager.stopAll();
    expect(line.closed).toBe(true);
    expect(t.hardware.gpio.sims("alpha")).toEqual([]);
  });
});
