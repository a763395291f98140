/**
 * The contract suite against a real GPIO chip. Runs only with HEARTH_HW_TEST=1 on a board with two
 * jumper wires on the header chip:
 *   HEARTH_HW_GPIO_DRIVE (default 22) → HEARTH_HW_GPIO_IN (default 17): the harness drives the input
 *   HEARTH_HW_GPIO_OUT (default 27) → HEARTH_HW_GPIO_SENSE (default 23): the harness reads the output
 * (BCM numbers: header pins 15→11 and 13→16 with the defaults). HEARTH_HW_GPIO_CHIP picks the chip
 * (default: the Raspberry Pi header chip by label).
 */
import { describe, expect, it } from "bun:test";
import { createGpio, type GpioLine } from "../../../../src/hal/gpio/index.ts";
import { gpioContract } from "./gpio.contract.ts";

const enabled = process.env.HEARTH_HW_TEST === "1";
const env = (name: string, fallback: number) => Number(process.env[name] ?? fallback);
const chip = process.env.HEARTH_HW_GPIO_CHIP;
const IN = env("HEARTH_HW_GPIO_IN", 17);
const DRIVE = env("HEARTH_HW_GPIO_DRIVE", 22);
const OUT = env("HEARTH_HW_GPIO_OUT", 27);
const SENSE = env("HEARTH_HW_GPIO_SENSE", 23);

if (enabled) {
  gpioContract("gpiochip (hardware)", async () => {
    const options = { driver: "gpiochip" as const, ...(chip === undefined ? {} : { chip }) };
    const gpio = await createGpio(options);
    // The harness's own hands: a second Gpio, so gpio.close() in the suite leaves them alone.
    const hands = await createGpio({ ...options, consumer: "hearth-test-harness" });
    const drive: GpioLine = await hands.open(DRIVE, { direction: "output" });
    const sense: GpioLine = await hands.open(SENSE, { direction: "input" });
    const lines = (await gpio.chips()).find((c) => c.name === drive.chip)?.lines ?? 0;
    return {
      gpio,
      input: IN,
      output: OUT,
      invalid: lines,
      drive: (level) => drive.write(level),
      observe: () => sense.read(),
      advance: (ms) => Bun.sleep(ms),
      cleanup: () => hands.close(),
    };
  });

  describe("gpiochip (hardware) discovery", () => {
    it("finds the Raspberry Pi header chip and names its lines", async () => {
      const gpio = await createGpio({ driver: "auto" });
      expect(gpio.selection.driver).toBe("gpiochip");
      const lines = await gpio.lines(chip);
      expect(lines[IN]?.name).toMatch(/GPIO/);
    });
  });
} else {
  describe("gpiochip (hardware)", () => {
    it.skip("runs on a Pi with HEARTH_HW_TEST=1 and two jumper wires (see this file's header)", () => {});
  });
}
