/**
 * The GPIO port's shared suite: every driver runs it with a harness that can drive an input pin from
 * outside and observe an output pin (sim: the sim's own hands; sysfs: the fake tree's files; gpiochip:
 * jumper wires on a Pi). Time passes only through `advance`, so fake-timer drivers are deterministic.
 */
import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import type {
  Gpio,
  GpioEdgeEvent,
  GpioLine,
  GpioLineRef,
  GpioValue,
} from "../../../../src/hal/gpio/index.ts";
import { hearthRejection } from "../../../helpers/errors.ts";

export interface GpioContractHarness {
  gpio: Gpio;
  /** A line whose pin `drive` sets from outside. */
  input: GpioLineRef;
  /** A line whose pin `observe` reads from outside. */
  output: GpioLineRef;
  /** An offset past the end of the default chip. */
  invalid: GpioLineRef;
  /** Sets the physical level of the input's pin. */
  drive(level: GpioValue): Promise<void>;
  /** Reads the physical level of the output's pin. */
  observe(): Promise<GpioValue>;
  /** Lets `ms` of (fake or real) time pass. */
  advance(ms: number): Promise<void>;
  /** Timers the driver still has scheduled, where the harness can tell. */
  pendingTimers?: () => number;
  cleanup(): Promise<void>;
}

/** Time for an edge to reach watchers: several sysfs poll periods, a few ms on real hardware. */
const SETTLE_MS = 40;

export function gpioContract(name: string, makeHarness: () => Promise<GpioContractHarness>): void {
  describe(`GPIO contract: ${name}`, () => {
    let h: GpioContractHarness;
    beforeEach(async () => {
      h = await makeHarness();
    });
    afterEach(async () => {
      await h.gpio.close();
      await h.cleanup();
    });

    /** Drives a sequence of levels, letting each settle. */
    async function driveAll(levels: GpioValue[], gapMs = SETTLE_MS): Promise<void> {
      for (const level of levels) {
        await h.drive(level);
        await h.advance(gapMs);
      }
    }

    async function watched(line: GpioLine): Promise<GpioEdgeEvent[]> {
      const events: GpioEdgeEvent[] = [];
      line.watch((e) => events.push(e));
      await h.advance(SETTLE_MS);
      return events;
    }

    describe("discovery", () => {
      it("lists chips with a name, a label and a line count", async () => {
        const chips = await h.gpio.chips();
        expect(chips.length).toBeGreaterThan(0);
        for (const chip of chips) {
          expect(chip.name).toMatch(/^gpiochip\d+$/);
          expect(typeof chip.label).toBe("string");
          expect(chip.lines).toBeGreaterThan(0);
        }
      });

      it("lists one entry per line of the default chip", async () => {
        const lines = await h.gpio.lines();
        expect(lines.length).toBeGreaterThan(0);
        expect(lines.map((l) => l.offset)).toEqual(lines.map((_, i) => i));
      });

      it("shows an open line as used", async () => {
        const line = await h.gpio.open(h.output, { direction: "output" });
        const info = (await h.gpio.lines()).find((l) => l.offset === line.offset);
        expect(info?.used).toBe(true);
      });
    });

    describe("outputs", () => {
      it("drives the pin to what is written and reads it back", async () => {
        const line = await h.gpio.open(h.output, { direction: "output" });
        await line.write(1);
        expect(await h.observe()).toBe(1);
        expect(await line.read()).toBe(1);
        await line.write(false);
        expect(await h.observe()).toBe(0);
        expect(await line.read()).toBe(0);
      });

      it("sets the initial value when the line is opened", async () => {
        const line = await h.gpio.open(h.output, { direction: "output", initial: 1 });
        expect(await h.observe()).toBe(1);
        expect(await line.read()).toBe(1);
      });

      it("inverts the pin of an active-low output", async () => {
        const line = await h.gpio.open(h.output, { direction: "output", activeLow: true, initial: 0 });
        expect(await h.observe()).toBe(1);
        await line.write(true);
        expect(await h.observe()).toBe(0);
        expect(await line.read()).toBe(1);
      });

      it("refuses a write to an input", async () => {
        const line = await h.gpio.open(h.input, { direction: "input" });
        await hearthRejection(line.write(1), "INVALID_ARGUMENT");
      });
    });

    describe("inputs", () => {
      it("reads the level driven on the pin", async () => {
        const line = await h.gpio.open(h.input, { direction: "input" });
        await driveAll([1]);
        expect(await line.read()).toBe(1);
        await driveAll([0]);
        expect(await line.read()).toBe(0);
      });

      it("inverts the pin of an active-low input", async () => {
        const line = await h.gpio.open(h.input, { direction: "input", activeLow: true });
        await driveAll([0]);
        expect(await line.read()).toBe(1);
        await driveAll([1]);
        expect(await line.read()).toBe(0);
      });
    });

    describe("edges", () => {
      it("delivers rising edges only to a rising watcher", async () => {
        await driveAll([0]);
        const line = await h.gpio.open(h.input, { direction: "input", edge: "rising" });
        const events = await watched(line);
        await driveAll([1, 0, 1, 0]);
        expect(events.map((e) => [e.edge, e.value])).toEqual([
          ["rising", 1],
          ["rising", 1],
        ]);
      });

      it("delivers falling edges only to a falling watcher", async () => {
        await driveAll([0]);
        const line = await h.gpio.open(h.input, { direction: "input", edge: "falling" });
        const events = await watched(line);
        await driveAll([1, 0, 1, 0]);
        expect(events.map((e) => [e.edge, e.value])).toEqual([
          ["falling", 0],
          ["falling", 0],
        ]);
      });

      it("delivers both kinds, in order, with line, increasing seqno and ordered timestamps", async () => {
        await driveAll([0]);
        const line = await h.gpio.open(h.input, { direction: "input", edge: "both" });
        const events = await watched(line);
        await driveAll([1, 0, 1]);
        expect(events.map((e) => e.edge)).toEqual(["rising", "falling", "rising"]);
        for (const e of events) {
          expect(e.chip).toBe(line.chip);
          expect(e.offset).toBe(line.offset);
        }
        const seq = events.map((e) => e.seqno);
        expect(seq).toEqual([...seq].sort((a, b) => a - b));
        expect(new Set(seq).size).toBe(seq.length);
        const ts = events.map((e) => e.timestampMs);
        expect(ts).toEqual([...ts].sort((a, b) => a - b));
      });

      it("reports logical edges on an active-low input (pin to ground is rising)", async () => {
        await driveAll([1]);
        const line = await h.gpio.open(h.input, { direction: "input", edge: "both", activeLow: true });
        const events = await watched(line);
        await driveAll([0, 1]);
        expect(events.map((e) => [e.edge, e.value])).toEqual([
          ["rising", 1],
          ["falling", 0],
        ]);
      });

      it("delivers each edge to every watcher, and not to one that unwatched", async () => {
        await driveAll([0]);
        const line = await h.gpio.open(h.input, { direction: "input", edge: "both" });
        const a: string[] = [];
        const b: string[] = [];
        const unwatchA = line.watch((e) => a.push(e.edge));
        line.watch((e) => b.push(e.edge));
        await h.advance(SETTLE_MS);
        await driveAll([1]);
        unwatchA();
        await driveAll([0]);
        expect(a).toEqual(["rising"]);
        expect(b).toEqual(["rising", "falling"]);
      });

      it("swallows bounces shorter than the debounce period and reports the settled level once", async () => {
        await driveAll([0]);
        const line = await h.gpio.open(h.input, { direction: "input", edge: "both", debounceMs: 150 });
        const events = await watched(line);
        await driveAll([1, 0, 1, 0, 1], 10);
        await h.advance(600);
        expect(events.map((e) => [e.edge, e.value])).toEqual([["rising", 1]]);
      });

      it("refuses watch() on a line opened without an edge, and on an output", async () => {
        const input = await h.gpio.open(h.input, { direction: "input" });
        expect(() => input.watch(() => {})).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
        const output = await h.gpio.open(h.output, { direction: "output" });
        expect(() => output.watch(() => {})).toThrow(expect.objectContaining({ code: "INVALID_ARGUMENT" }));
      });
    });

    describe("ownership and lifetime", () => {
      it("refuses a line that is already open with GPIO_LINE_BUSY, and frees it on close", async () => {
        const first = await h.gpio.open(h.input, { direction: "input" });
        await hearthRejection(h.gpio.open(h.input, { direction: "input" }), "GPIO_LINE_BUSY");
        await first.close();
        const again = await h.gpio.open(h.input, { direction: "input" });
        expect(again.closed).toBe(false);
      });

      it("refuses read, write and watch after close with GPIO_LINE_CLOSED; close twice is fine", async () => {
        const line = await h.gpio.open(h.output, { direction: "output" });
        await line.close();
        await line.close();
        expect(line.closed).toBe(true);
        await hearthRejection(line.read(), "GPIO_LINE_CLOSED");
        await hearthRejection(line.write(1), "GPIO_LINE_CLOSED");
        expect(() => line.watch(() => {})).toThrow(expect.objectContaining({ code: "GPIO_LINE_CLOSED" }));
      });

      it("refuses an offset outside the chip with GPIO_INVALID_LINE", async () => {
        await hearthRejection(h.gpio.open(h.invalid, { direction: "input" }), "GPIO_INVALID_LINE");
      });

      it("refuses an unknown chip with GPIO_CHIP_NOT_FOUND", async () => {
        await hearthRejection(
          h.gpio.open({ chip: "no-such-chip", offset: 0 }, { direction: "input" }),
          "GPIO_CHIP_NOT_FOUND",
        );
      });

      it("refuses bad options with INVALID_ARGUMENT naming the field", async () => {
        const err = await hearthRejection(
          h.gpio.open(h.input, { direction: "sideways" } as never),
          "INVALID_ARGUMENT",
        );
        expect(err.message).toContain("direction");
        await hearthRejection(
          h.gpio.open(h.output, { direction: "output", edge: "rising" }),
          "INVALID_ARGUMENT",
        );
      });

      it("closes every line on gpio.close(): no edges afterwards, no timers left, lines free again", async () => {
        await driveAll([0]);
        const input = await h.gpio.open(h.input, { direction: "input", edge: "both", debounceMs: 100 });
        const output = await h.gpio.open(h.output, { direction: "output" });
        const events = await watched(input);
        await h.drive(1); // a debounce may now be pending
        await h.advance(5);
        await h.gpio.close();
        expect(input.closed).toBe(true);
        expect(output.closed).toBe(true);
        if (h.pendingTimers) expect(h.pendingTimers()).toBe(0);
        await driveAll([0, 1], 200);
        expect(events).toEqual([]);
        const again = await h.gpio.open(h.input, { direction: "input" });
        await again.close();
      });
    });
  });
}
