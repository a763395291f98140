import type { Gpio, GpioDriverName, SimGpio } from "../../hal/gpio/index.ts";

/** `hardware.gpio` in the config. */
export interface GpioHardwareConfig {
  /** `auto` (default): gpiochip when `<devDir>/gpiochip0` exists, else sysfs when `sysfsRoot` exists. */
  driver: GpioDriverName | "auto";
  /** The sysfs GPIO tree (default `/sys/class/gpio`; tests point it at a fake tree). */
  sysfsRoot: string;
  /** Where the gpiochip device files are (default `/dev`). */
  devDir: string;
}

/**
 * The process-wide GPIO every plugin shares: one driver instance per process, created on first use,
 * and a record of which plugin holds which line, so a second plugin is refused by name.
 */
export interface SharedGpio {
  readonly config: GpioHardwareConfig;
  /**
   * The GPIO instance, created (and its driver choice logged) on the first call. Throws
   * GPIO_UNAVAILABLE when `auto` finds no GPIO; a failed creation is tried again on the next call.
   */
  get(): Promise<Gpio>;
  /** The plugin holding a line, if any. */
  holder(chip: string, offset: number): string | undefined;
  claim(chip: string, offset: number, plugin: string): void;
  release(chip: string, offset: number, plugin: string): void;
  /** Every line held, as `{ chip, offset, plugin }`. */
  held(): { chip: string; offset: number; plugin: string }[];
  /** A plugin's private sim instances (`ctx.hardware.gpio.sim()`), while the plugin runs. */
  sims(plugin: string): readonly SimGpio[];
  addSim(plugin: string, sim: SimGpio): void;
  removeSim(plugin: string, sim: SimGpio): void;
  /** Closes the process-wide instance (after every plugin stopped). Idempotent. */
  close(): Promise<void>;
}

/** The hardware the kernel hands to plugins (through `ctx.hardware`), one part per port. */
export interface Hardware {
  readonly gpio: SharedGpio;
  /** Closes every part. */
  close(): Promise<void>;
}
