/**
 * createGpio: one entry for every driver. `auto` picks the character device when the kernel has
 * one, else sysfs, and says which (and why) in `gpio.selection`. The gpiochip driver is imported
 * only here, on demand, so code that never touches real GPIO never loads bun:ffi.
 */
import { existsSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { parseOrThrow } from "./options.ts";
import { createSimGpio, type SimChipOptions } from "./sim-gpio.ts";
import { createSysfsGpio } from "./sysfs-gpio.ts";
import type { Gpio, GpioCommonOptions, GpioDriverName, GpioSelection } from "./types.ts";

export interface CreateGpioOptions extends GpioCommonOptions {
  /** Default `auto`: gpiochip when `<devDir>/gpiochip0` exists, else sysfs when `<sysfsRoot>` exists. */
  driver?: GpioDriverName | "auto";
  /** gpiochip: where the device files are. Default `/dev`. */
  devDir?: string;
  /** gpiochip: how often queued edge events are drained. Default 10 ms. */
  eventPollMs?: number;
  /** sysfs: the tree. Default `/sys/class/gpio`. */
  sysfsRoot?: string;
  /** sysfs: how often watched inputs are sampled. Default 10 ms. */
  pollIntervalMs?: number;
  /** sim: the chips to simulate. */
  simChips?: SimChipOptions[];
}

const fn = z.custom<(...args: never[]) => unknown>((v) => typeof v === "function", "expected a function");

const createGpioSchema = z.strictObject({
  driver: z.enum(["auto", "gpiochip", "sysfs", "sim"]).default("auto"),
  chip: z.union([z.string().min(1), z.number().int().min(0)]).optional(),
  consumer: z
    .string()
    .min(1)
    .max(31)
    .regex(/^[\x20-\x7e]+$/, "printable ASCII only")
    .optional(),
  timers: z
    .custom<GpioCommonOptions["timers"]>(
      (v) =>
        typeof v === "object" &&
        v !== null &&
        ["now", "setTimeout", "clearTimeout", "setInterval", "clearInterval"].every(
          (k) => typeof (v as Record<string, unknown>)[k] === "function",
        ),
      "expected { now, setTimeout, clearTimeout, setInterval, clearInterval }",
    )
    .optional(),
  onError: fn.optional(),
  devDir: z.string().min(1).default("/dev"),
  eventPollMs: z.number().min(1).max(10_000).optional(),
  sysfsRoot: z.string().min(1).default("/sys/class/gpio"),
  pollIntervalMs: z.number().min(1).max(10_000).optional(),
  simChips: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^gpiochip\d+$/)
          .optional(),
        label: z.string(),
        lines: z.union([z.number().int().min(1).max(1024), z.array(z.string()).min(1).max(1024)]),
      }),
    )
    .min(1)
    .optional(),
});

/** What `auto` would pick on this machine, and why. */
export function chooseGpioDriver(
  devDir: string,
  sysfsRoot: string,
): { driver: "gpiochip" | "sysfs"; reason: string } {
  const chip0 = join(devDir, "gpiochip0");
  if (existsSync(chip0)) return { driver: "gpiochip", reason: `${chip0} exists` };
  if (existsSync(sysfsRoot)) return { driver: "sysfs", reason: `${chip0} is missing, ${sysfsRoot} exists` };
  throw new HearthError(
    "GPIO_UNAVAILABLE",
    `No GPIO here: neither ${chip0} nor ${sysfsRoot} exists (not a Raspberry Pi, or the kernel has no GPIO support; in a container, pass the device through)`,
    { data: { tried: [chip0, sysfsRoot] } },
  );
}

/**
 * Creates the GPIO driver named by `options.driver` (default `auto`).
 *
 * @example
 * const gpio = await createGpio({ driver: "auto" });
 * log.info({ gpio: gpio.selection }, "GPIO ready"); // { driver: "gpiochip", reason: "/dev/gpiochip0 exists" }
 */
export async function createGpio(options: CreateGpioOptions = {}): Promise<Gpio> {
  const o = parseOrThrow(createGpioSchema, options, "GPIO options");
  const common: GpioCommonOptions = {};
  if (o.chip !== undefined) common.chip = o.chip;
  if (o.consumer !== undefined) common.consumer = o.consumer;
  if (o.timers !== undefined) common.timers = o.timers;
  if (options.onError !== undefined) common.onError = options.onError;

  let selection: GpioSelection;
  if (o.driver === "auto") {
    const chosen = chooseGpioDriver(o.devDir, o.sysfsRoot);
    selection = { driver: chosen.driver, requested: "auto", reason: chosen.reason };
  } else {
    selection = { driver: o.driver, requested: o.driver, reason: `the ${o.driver} driver was asked for` };
  }

  let gpio: Gpio;
  if (selection.driver === "gpiochip") {
    const { createGpiochipGpio } = await import("./gpiochip.ts");
    gpio = await createGpiochipGpio({
      ...common,
      devDir: o.devDir,
      ...(o.eventPollMs === undefined ? {} : { eventPollMs: o.eventPollMs }),
    });
  } else if (selection.driver === "sysfs") {
    gpio = createSysfsGpio({
      ...common,
      root: o.sysfsRoot,
      ...(o.pollIntervalMs === undefined ? {} : { pollIntervalMs: o.pollIntervalMs }),
    });
  } else {
    gpio = createSimGpio({ ...common, ...(o.simChips === undefined ? {} : { chips: o.simChips }) });
  }
  return { ...gpio, selection };
}
