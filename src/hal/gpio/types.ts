/**
 * The GPIO port: what every driver (gpiochip, sysfs, sim) offers. Values are logical (active-low
 * already applied) everywhere: `read`, `write`, edge kinds and event values.
 */

/** The drivers Hearth ships. `auto` (a choice, not a driver) picks gpiochip, then sysfs. */
export type GpioDriverName = "gpiochip" | "sysfs" | "sim";

export type GpioDirection = "input" | "output";
export type GpioEdge = "none" | "rising" | "falling" | "both";
/** `as-is` leaves the bias the board or a previous user set. */
export type GpioBias = "as-is" | "disabled" | "pull-up" | "pull-down";
export type GpioValue = 0 | 1;

/** One GPIO controller. */
export interface GpioChipInfo {
  /** `gpiochip0` for the character device; `gpiochip512` (named by its base) for sysfs. */
  name: string;
  /** The driver's label, e.g. `pinctrl-bcm2711` (Pi 4), `pinctrl-rp1` (Pi 5). */
  label: string;
  /** Number of lines; offsets run from 0 to lines - 1. */
  lines: number;
  /** sysfs only: the global number of offset 0 (≥ 512 on current Raspberry Pi kernels). */
  base?: number;
}

/** One line of a chip, as discovery reports it. */
export interface GpioLineInfo {
  offset: number;
  /** The line's name from the device tree (`GPIO17`), or "" where the driver has none (sysfs). */
  name: string;
  /** Who holds it ("" when free or unknown). */
  consumer: string;
  used: boolean;
  /** Undefined where the driver cannot tell (an unexported sysfs line). */
  direction?: GpioDirection;
  activeLow: boolean;
}

/** A line: an offset on the default chip, or on a chip given by name (`gpiochip0`), label or number. */
export type GpioLineRef = number | { chip?: string | number; offset: number };

/** How to open a line. Validated with zod at the edge (`open` throws INVALID_ARGUMENT). */
export interface GpioOpenOptions {
  direction: GpioDirection;
  /** Inputs only; default `none`. Edges are logical: on an active-low line a press to ground is `rising`. */
  edge?: GpioEdge;
  /** Default `as-is`. */
  bias?: GpioBias;
  /** Inputs only: an edge is reported once the level has been stable this long. Default 0. */
  debounceMs?: number;
  /** The line is active when the pin is low (relay boards, buttons to ground). Default false. */
  activeLow?: boolean;
  /** Outputs only: the logical value set when the line is requested (no glitch). Default 0. */
  initial?: GpioValue | boolean;
  /** Consumer name shown to other tools (gpioinfo). Default the Gpio's consumer (`hearth`). */
  consumer?: string;
}

/** An edge delivered to `watch` callbacks. */
export interface GpioEdgeEvent {
  /** Logical edge: `rising` means the line became active. */
  edge: "rising" | "falling";
  /** The logical value after the edge. */
  value: GpioValue;
  /**
   * Monotonic time of the edge in ms (fractional). From the kernel for gpiochip, from the driver's
   * clock otherwise: compare timestamps of one Gpio, not against other clocks.
   */
  timestampMs: number;
  chip: string;
  offset: number;
  /** Per-line sequence number, from 1. */
  seqno: number;
}

/** A requested line. Every method after `close()` throws GPIO_LINE_CLOSED. */
export interface GpioLine {
  readonly chip: string;
  readonly offset: number;
  readonly direction: GpioDirection;
  readonly activeLow: boolean;
  readonly closed: boolean;
  /** Logical value (inputs and outputs). */
  read(): Promise<GpioValue>;
  /** Outputs only (INVALID_ARGUMENT on an input). */
  write(value: GpioValue | boolean): Promise<void>;
  /** Inputs opened with an edge only. Returns the unwatch function. */
  watch(callback: (event: GpioEdgeEvent) => void): () => void;
  /** Releases the line, its timers and descriptors. Idempotent. */
  close(): Promise<void>;
}

/** How a Gpio came to use its driver (what `auto` saw). */
export interface GpioSelection {
  driver: GpioDriverName;
  requested: GpioDriverName | "auto";
  reason: string;
}

/** A GPIO driver instance. */
export interface Gpio {
  readonly driver: GpioDriverName;
  readonly selection: GpioSelection;
  chips(): Promise<GpioChipInfo[]>;
  /** Lines of one chip (default chip when omitted). */
  lines(chip?: string | number): Promise<GpioLineInfo[]>;
  open(line: GpioLineRef, options: GpioOpenOptions): Promise<GpioLine>;
  /** Closes every line this Gpio opened. */
  close(): Promise<void>;
}

/** Opaque handle returned by GpioTimers. */
export type GpioTimerHandle = unknown;

/**
 * Time as the sysfs poller and software debounce see it: injectable so tests drive it by hand.
 * `now()` is monotonic milliseconds.
 */
export interface GpioTimers {
  now(): number;
  setTimeout(callback: () => void, ms: number): GpioTimerHandle;
  clearTimeout(handle: GpioTimerHandle): void;
  setInterval(callback: () => void, ms: number): GpioTimerHandle;
  clearInterval(handle: GpioTimerHandle): void;
}

/** Options every driver shares. */
export interface GpioCommonOptions {
  /** Default chip for numeric line refs: name, label or number. Default: the Raspberry Pi header chip, else the first. */
  chip?: string | number;
  /** Consumer name for requested lines. Default `hearth`. */
  consumer?: string;
  /** Default: real timers on `performance.now()`. */
  timers?: GpioTimers;
  /** Called when a watch callback throws (the other callbacks still run). Default: ignored. */
  onError?: (err: unknown) => void;
}
