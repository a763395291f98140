/**
 * The Raspberry Pi 40-pin header: physical pin ↔ BCM line (the offset on the header chip). The same
 * on every 40-pin board (Pi 3, 4, 5, Zero 2 W, CM carrier boards that copy it).
 */
import { HearthError } from "../../errors.ts";

/** What sits on each physical pin: a BCM line number, or a power/ground name. */
export const RPI_HEADER: Readonly<Record<number, number | "3V3" | "5V" | "GND">> = Object.freeze({
  1: "3V3",
  2: "5V",
  3: 2,
  4: "5V",
  5: 3,
  6: "GND",
  7: 4,
  8: 14,
  9: "GND",
  10: 15,
  11: 17,
  12: 18,
  13: 27,
  14: "GND",
  15: 22,
  16: 23,
  17: "3V3",
  18: 24,
  19: 10,
  20: "GND",
  21: 9,
  22: 25,
  23: 11,
  24: 8,
  25: "GND",
  26: 7,
  27: 0,
  28: 1,
  29: 5,
  30: "GND",
  31: 6,
  32: 12,
  33: 13,
  34: "GND",
  35: 19,
  36: 16,
  37: 26,
  38: 20,
  39: "GND",
  40: 21,
});

/**
 * The BCM line on a physical header pin.
 *
 * @example
 * headerPinToLine(11); // 17
 */
export function headerPinToLine(pin: number): number {
  const what = Number.isInteger(pin) ? RPI_HEADER[pin] : undefined;
  if (typeof what === "number") return what;
  throw new HearthError(
    "GPIO_INVALID_LINE",
    what === undefined
      ? `Header pin ${pin} does not exist (pins are 1-40)`
      : `Header pin ${pin} is ${what}, not a GPIO`,
    { data: { pin, ...(what === undefined ? {} : { is: what }) } },
  );
}

/** The physical header pin of a BCM line, or undefined for lines not on the header (28 and up). */
export function lineToHeaderPin(line: number): number | undefined {
  for (const [pin, what] of Object.entries(RPI_HEADER)) if (what === line) return Number(pin);
  return undefined;
}
