import { describe, expect, it } from "bun:test";
import { createSimGpio } from "../../../../src/hal/gpio/index.ts";
import { gpioContract } from "./gpio.contract.ts";
import { createManualTimers } from "./manual-timers.ts";

gpioContract("sim", async () => {
  const timers = createManualTimers();
  const gpio = createSimGpio({ timers });
  return {
    gpio,
    input: 17,
    output: 27,
    invalid: 28,
    drive: async (level) => gpio.drive(17, level),
    observe: async () => gpio.level(27),
    advance: async (ms) => timers.advance(ms),
    pendingTimers: () => timers.pending(),
    cleanup: async () => {},
  };
});

describe("sim driver", () => {
  it("records every level an output took, physical and logical", async () => {
    const timers = createManualTimers();
    const gpio = createSimGpio({ timers });
    const relay = await gpio.open(5, { direction: "output", activeLow: true });
    timers.advance(10);
    await relay.write(1);
    await relay.write(1);
    timers.advance(10);
    await relay.write(0);
    expect(gpio.history(5)).toEqual([
      { level: 1, value: 0, timestampMs: 1000 },
      { level: 0, value: 1, timestampMs: 1010 },
      { level: 1, value: 0, timestampMs: 1020 },
    ]);
  });

  it("lets a wired input follow an output, edges included, until unwired", async () => {
    const gpio = createSimGpio();
    const unwire = gpio.wire(27, 17);
    const out = await gpio.open(27, { direction: "output" });
    const input = await gpio.open(17, { direction: "input", edge: "both" });
    const edges: string[] = [];
    input.watch((e) => edges.push(e.edge));
    await out.write(1);
    expect(await input.read()).toBe(1);
    unwire();
    await out.write(0);
    expect(await input.read()).toBe(1);
    expect(edges).toEqual(["rising"]);
    await gpio.close();
  });

  it("floats an undriven input to its pull, and a driven level wins over the pull", async () => {
    const gpio = createSimGpio();
    const up = await gpio.open(4, { direction: "input", bias: "pull-up" });
    expect(await up.read()).toBe(1);
    gpio.drive(4, 0);
    expect(await up.read()).toBe(0);
    gpio.drive(4, null);
    expect(await up.read()).toBe(1);
    const down = await gpio.open(5, { direction: "input", bias: "pull-down" });
    gpio.drive(5, true);
    expect(await down.read()).toBe(1);
    gpio.drive(5, null);
    expect(await down.read()).toBe(0);
  });

  it("reports a pressed pull-up button to ground as a rising edge when opened active-low", async () => {
    const gpio = createSimGpio();
    const button = await gpio.open(17, {
      direction: "input",
      bias: "pull-up",
      activeLow: true,
      edge: "rising",
    });
    const edges: string[] = [];
    button.watch((e) => edges.push(e.edge));
    gpio.drive(17, 0);
    gpio.drive(17, null);
    expect(edges).toEqual(["rising"]);
  });

  it("shows which lines are open and by whom", async () => {
    const gpio = createSimGpio();
    await gpio.open(17, { direction: "input", consumer: "doorbell" });
    const lines = await gpio.lines();
    expect(lines).toHaveLength(28);
    expect(lines[17]).toEqual({
      offset: 17,
      name: "GPIO17",
      consumer: "doorbell",
      used: true,
      direction: "input",
      activeLow: false,
    });
    expect(lines[18]).toMatchObject({ used: false, consumer: "" });
  });

  it("keeps delivering to the other watchers when one throws, and hands the error to onError", async () => {
    const errors: unknown[] = [];
    const gpio = createSimGpio({ onError: (e) => errors.push(e) });
    const input = await gpio.open(17, { direction: "input", edge: "both" });
    const seen: number[] = [];
    input.watch(() => {
      throw new Error("watcher bug");
    });
    input.watch((e) => seen.push(e.value));
    gpio.drive(17, 1);
    expect(seen).toEqual([1]);
    expect(errors).toHaveLength(1);
  });

  it("refuses bad drive levels and self-wiring with INVALID_ARGUMENT", () => {
    const gpio = createSimGpio();
    expect(() => gpio.drive(17, 2 as never)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => gpio.wire(17, 17)).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
    expect(() => gpio.drive(99, 1)).toThrow(expect.objectContaining({ code: "GPIO_INVALID_LINE" }));
  });
});
