import { afterEach, describe, expect, it } from "bun:test";
import { createSysfsGpio } from "../../../../src/hal/gpio/index.ts";
import { hearthRejection } from "../../../helpers/errors.ts";
import { createFakeSysfs, type FakeSysfs } from "./fake-sysfs.ts";
import { gpioContract } from "./gpio.contract.ts";
import { createManualTimers } from "./manual-timers.ts";

// Header line 17 and 27 on a Pi 4 kernel whose header chip starts at 512.
const IN = 512 + 17;
const OUT = 512 + 27;

gpioContract("sysfs (fake tree)", async () => {
  const fake = createFakeSysfs();
  const timers = createManualTimers();
  const gpio = createSysfsGpio({ root: fake.root, timers, pollIntervalMs: 10 });
  return {
    gpio,
    input: 17,
    output: 27,
    invalid: 58,
    drive: async (level) => fake.setLevel(IN, level),
    observe: async () => fake.level(OUT),
    advance: async (ms) => timers.advance(ms),
    pendingTimers: () => timers.pending(),
    cleanup: async () => fake.cleanup(),
  };
});

describe("sysfs driver", () => {
  let fake: FakeSysfs;
  afterEach(() => fake.cleanup());

  it("reads each chip's base and label instead of assuming numbering", async () => {
    fake = createFakeSysfs([
      { base: 571, label: "pinctrl-rp1", ngpio: 54 },
      { base: 512, label: "gpio-brcmstb@107d508500", ngpio: 32 },
    ]);
    const gpio = createSysfsGpio({ root: fake.root });
    expect(await gpio.chips()).toEqual([
      { name: "gpiochip512", label: "gpio-brcmstb@107d508500", lines: 32, base: 512 },
      { name: "gpiochip571", label: "pinctrl-rp1", lines: 54, base: 571 },
    ]);
    // Numeric refs land on the Pi header chip (found by label), at its base.
    const line = await gpio.open(17, { direction: "output", initial: 1 });
    expect(line.chip).toBe("gpiochip571");
    expect(fake.exported(571 + 17)).toBe(true);
    expect(fake.level(571 + 17)).toBe(1);
    await gpio.close();
  });

  it("opens a line on a chip given by label", async () => {
    fake = createFakeSysfs();
    const gpio = createSysfsGpio({ root: fake.root });
    const line = await gpio.open({ chip: "raspberrypi-exp-gpio", offset: 2 }, { direction: "input" });
    expect(line.chip).toBe("gpiochip570");
    expect(fake.file(572, "direction")).toBe("in");
    await gpio.close();
  });

  it("exports on open and unexports on close", async () => {
    fake = createFakeSysfs();
    const gpio = createSysfsGpio({ root: fake.root });
    const line = await gpio.open(17, { direction: "input" });
    expect(fake.exported(IN)).toBe(true);
    await line.close();
    expect(fake.exported(IN)).toBe(false);
  });

  it("switches an output on at its initial level in one write (high/low), active-low applied in software", async () => {
    fake = createFakeSysfs();
    const gpio = createSysfsGpio({ root: fake.root });
    await gpio.open(27, { direction: "output", activeLow: true, initial: 1 });
    expect(fake.file(OUT, "direction")).toBe("low");
    expect(fake.file(OUT, "active_low")).toBe("0");
    expect(fake.level(OUT)).toBe(0);
    await gpio.close();
  });

  it("reuses a line someone else left exported, and leaves it exported on close", async () => {
    fake = createFakeSysfs();
    fake.preExport(IN);
    const gpio = createSysfsGpio({ root: fake.root });
    const line = await gpio.open(17, { direction: "input" });
    await line.close();
    expect(fake.exported(IN)).toBe(true);
  });

  it("refuses a line held through another Gpio on the same root", async () => {
    fake = createFakeSysfs();
    const a = createSysfsGpio({ root: fake.root });
    const b = createSysfsGpio({ root: fake.root });
    await a.open(17, { direction: "input" });
    await hearthRejection(b.open(17, { direction: "input" }), "GPIO_LINE_BUSY");
    await a.close();
  });

  it("refuses a bias, which sysfs cannot set, naming the alternative", async () => {
    fake = createFakeSysfs();
    const gpio = createSysfsGpio({ root: fake.root });
    const err = await hearthRejection(
      gpio.open(17, { direction: "input", bias: "pull-up" }),
      "INVALID_ARGUMENT",
    );
    expect(err.message).toContain("gpiochip");
  });

  it("reports lines with their export state", async () => {
    fake = createFakeSysfs();
    const gpio = createSysfsGpio({ root: fake.root });
    await gpio.open(27, { direction: "output" });
    const lines = await gpio.lines("pinctrl-bcm2711");
    expect(lines).toHaveLength(58);
    expect(lines[27]).toMatchObject({ used: true, direction: "output" });
    expect(lines[17]).toMatchObject({ used: false });
    await gpio.close();
  });

  it("answers GPIO_UNAVAILABLE when the root does not exist", async () => {
    fake = createFakeSysfs();
    const gpio = createSysfsGpio({ root: `${fake.root}/missing` });
    await hearthRejection(gpio.chips(), "GPIO_UNAVAILABLE");
  });

  it("fails with GPIO_IO_FAILED when export creates nothing", async () => {
    fake = createFakeSysfs();
    fake.stopKernel(); // nobody answers the export
    const gpio = createSysfsGpio({ root: fake.root, exportTimeoutMs: 20 });
    const err = await hearthRejection(gpio.open(17, { direction: "input" }), "GPIO_IO_FAILED");
    expect(err.data).toMatchObject({ op: "export" });
    // The claim was given back: once the kernel answers, the line opens.
    fake.startKernel();
    const line = await gpio.open(17, { direction: "input" });
    await line.close();
  });
});
