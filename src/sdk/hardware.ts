/**
 * The hardware a plugin reaches through `ctx.hardware`: one part per port. Types only (an external
 * plugin imports them with `import type`).
 */
import type {
  GpioChipInfo,
  GpioLine,
  GpioLineInfo,
  GpioLineRef,
  GpioOpenOptions,
  GpioSelection,
  SimChipOptions,
  SimGpio,
} from "../hal/gpio/index.ts";
import type { PluginSerial } from "./types.ts";

export type {
  GpioBias,
  GpioChipInfo,
  GpioDirection,
  GpioDriverName,
  GpioEdge,
  GpioEdgeEvent,
  GpioLine,
  GpioLineInfo,
  GpioLineRef,
  GpioOpenOptions,
  GpioSelection,
  GpioValue,
  SimChipOptions,
  SimGpio,
  SimLevelChange,
} from "../hal/gpio/index.ts";

/**
 * GPIO through the process-wide driver chosen by `hardware.gpio.driver` (`auto`: gpiochip when
 * `/dev/gpiochip0` exists, else sysfs). Every call throws GPIO_UNAVAILABLE when there is no GPIO here.
 * A line the plugin opens is its own until it closes it or stops (then Hearth closes it); another
 * plugin opening it gets GPIO_LINE_BUSY naming the holder (`data.holder`).
 */
export interface PluginGpio {
  /** Which driver the process uses, and why (`{ driver: "gpiochip", reason: "/dev/gpiochip0 exists" }`). */
  selection(): Promise<GpioSelection>;
  chips(): Promise<GpioChipInfo[]>;
  /** Lines of one chip (default: the Raspberry Pi header chip, else the first). */
  lines(chip?: string | number): Promise<GpioLineInfo[]>;
  /**
   * Requests a line: a BCM number on the header chip (`17`), or `{ chip, offset }`.
   *
   * @example
   * const relay = await ctx.hardware.gpio.open(17, { direction: "output", activeLow: true, initial: 0 });
   * await relay.write(1);
   */
  open(line: GpioLineRef, options: GpioOpenOptions): Promise<GpioLine>;
  /** The BCM line of a physical header pin (`11` → `17`); GPIO_INVALID_LINE for power/ground pins. */
  headerPinToLine(pin: number): number;
  /**
   * A private simulated GPIO (in-memory lines the plugin drives, outputs with a history), closed when
   * the plugin stops. For demos and tests; it never touches real pins.
   *
   * @example
   * const sim = await ctx.hardware.gpio.sim();
   * const pir = await sim.open(4, { direction: "input", edge: "both" });
   * sim.drive(4, 1); // the PIR saw someone
   */
  sim(options?: { chips?: SimChipOptions[] }): Promise<SimGpio>;
}

/** `ctx.hardware`: one member per port. */
export interface PluginHardware {
  readonly serial: PluginSerial;
  readonly gpio: PluginGpio;
}
