import { afterEach, describe, expect, it } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createGpio } from "../../../../src/hal/gpio/index.ts";
import { hearthRejection } from "../../../helpers/errors.ts";

let dir: string | undefined;
afterEach(() => {
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function machine(has: { chip?: boolean; sysfs?: boolean }): { devDir: string; sysfsRoot: string } {
  dir = mkdtempSync(join(tmpdir(), "hearth-machine-"));
  const devDir = join(dir, "dev");
  const sysfsRoot = join(dir, "sys/class/gpio");
  mkdirSync(devDir, { recursive: true });
  if (has.chip) symlinkSync("/dev/null", join(devDir, "gpiochip0"));
  if (has.sysfs) mkdirSync(sysfsRoot, { recursive: true });
  return { devDir, sysfsRoot };
}

describe("createGpio", () => {
  it("auto picks gpiochip when <devDir>/gpiochip0 exists, and says why", async () => {
    const paths = machine({ chip: true, sysfs: true });
    const gpio = await createGpio({ driver: "auto", ...paths });
    expect(gpio.driver).toBe("gpiochip");
    expect(gpio.selection).toEqual({
      driver: "gpiochip",
      requested: "auto",
      reason: `${join(paths.devDir, "gpiochip0")} exists`,
    });
  });

  it("auto falls back to sysfs when there is no character device", async () => {
    const paths = machine({ sysfs: true });
    const gpio = await createGpio(paths);
    expect(gpio.driver).toBe("sysfs");
    expect(gpio.selection.requested).toBe("auto");
    expect(gpio.selection.reason).toContain("missing");
    expect(await gpio.chips()).toEqual([]);
  });

  it("auto fails with GPIO_UNAVAILABLE naming both places it looked", async () => {
    const paths = machine({});
    const err = await hearthRejection(createGpio(paths), "GPIO_UNAVAILABLE");
    expect(err.data).toEqual({ tried: [join(paths.devDir, "gpiochip0"), paths.sysfsRoot] });
  });

  it("never picks sim by itself, but gives it when asked, with the chips asked for", async () => {
    const gpio = await createGpio({ driver: "sim", simChips: [{ label: "test", lines: 4 }] });
    expect(gpio.selection).toMatchObject({ driver: "sim", requested: "sim" });
    expect(await gpio.chips()).toEqual([{ name: "gpiochip0", label: "test", lines: 4 }]);
    await hearthRejection(gpio.open(4, { direction: "input" }), "GPIO_INVALID_LINE");
  });

  it("refuses unknown drivers and options with INVALID_ARGUMENT", async () => {
    const err = await hearthRejection(createGpio({ driver: "wiringpi" } as never), "INVALID_ARGUMENT");
    expect(err.message).toContain("driver");
    await hearthRejection(createGpio({ driver: "sim", pollIntervalMs: 0 }), "INVALID_ARGUMENT");
    await hearthRejection(createGpio({ driver: "sim", timers: {} } as never), "INVALID_ARGUMENT");
    await hearthRejection(createGpio({ driver: "sim", colour: "red" } as never), "INVALID_ARGUMENT");
  });

  it("uses the configured chip for numeric line refs", async () => {
    const gpio = await createGpio({
      driver: "sim",
      chip: "expander",
      simChips: [
        { label: "pinctrl-bcm2711", lines: 58 },
        { label: "expander", lines: 8 },
      ],
    });
    const line = await gpio.open(3, { direction: "output" });
    expect(line.chip).toBe("gpiochip1");
    await gpio.close();
  });
});
