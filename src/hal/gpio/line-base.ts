/**
 * What the drivers share: the line handle's bookkeeping (closed checks, watchers, sequence numbers),
 * software edge detection with debounce (sysfs and sim), line ownership, and chip/line resolution.
 */
import { HearthError } from "../../errors.ts";
import type { ResolvedOpenOptions } from "./options.ts";
import type {
  GpioChipInfo,
  GpioDirection,
  GpioEdge,
  GpioEdgeEvent,
  GpioLine,
  GpioLineRef,
  GpioTimerHandle,
  GpioTimers,
  GpioValue,
} from "./types.ts";

/** The Raspberry Pi header controllers, by label: Pi 3/Zero 2 W, Pi 4, Pi 5. */
export const RPI_HEADER_CHIP_LABELS: readonly string[] = [
  "pinctrl-bcm2835",
  "pinctrl-bcm2711",
  "pinctrl-rp1",
];

/** Finds the chip a ref names: `gpiochipN` by name or number, or by label. */
export function findChip(chips: readonly GpioChipInfo[], ref: string | number): GpioChipInfo | undefined {
  if (typeof ref === "number") return chips.find((c) => c.name === `gpiochip${ref}`);
  return chips.find((c) => c.name === ref) ?? chips.find((c) => c.label === ref);
}

/** The chip numeric line refs use: the configured one, else the Pi header chip, else the first. */
export function defaultChip(chips: readonly GpioChipInfo[], configured?: string | number): GpioChipInfo {
  if (configured !== undefined) return requireChip(chips, configured);
  const header = chips.find((c) => RPI_HEADER_CHIP_LABELS.includes(c.label));
  const chip = header ?? chips[0];
  if (chip === undefined)
    throw new HearthError("GPIO_CHIP_NOT_FOUND", "No GPIO chip found", { data: { chips: [] } });
  return chip;
}

export function requireChip(chips: readonly GpioChipInfo[], ref: string | number): GpioChipInfo {
  const chip = findChip(chips, ref);
  if (chip !== undefined) return chip;
  const known = chips.map((c) => `${c.name} (${c.label})`);
  throw new HearthError(
    "GPIO_CHIP_NOT_FOUND",
    `No GPIO chip "${ref}"; found: ${known.length > 0 ? known.join(", ") : "none"}`,
    { data: { chip: ref, chips: chips.map((c) => ({ name: c.name, label: c.label })) } },
  );
}

/** Resolves a line ref to its chip and checks the offset is on it. */
export function resolveLine(
  chips: readonly GpioChipInfo[],
  ref: GpioLineRef,
  configuredChip?: string | number,
): { chip: GpioChipInfo; offset: number } {
  const offset = typeof ref === "number" ? ref : ref.offset;
  const chip =
    typeof ref === "number" || ref.chip === undefined
      ? defaultChip(chips, configuredChip)
      : requireChip(chips, ref.chip);
  if (offset >= chip.lines) {
    throw new HearthError(
      "GPIO_INVALID_LINE",
      `Line ${offset} is not on ${chip.name} (${chip.label}), which has lines 0-${chip.lines - 1}`,
      { data: { chip: chip.name, offset, lines: chip.lines } },
    );
  }
  return { chip, offset };
}

/** Lines held by one owner (a Gpio, or a sysfs root shared by every Gpio on it). */
export class LineRegistry {
  readonly #held = new Set<string>();

  claim(chip: string, offset: number): void {
    const key = `${chip}:${offset}`;
    if (this.#held.has(key)) {
      throw new HearthError("GPIO_LINE_BUSY", `Line ${offset} of ${chip} is already open`, {
        data: { chip, offset },
      });
    }
    this.#held.add(key);
  }

  release(chip: string, offset: number): void {
    this.#held.delete(`${chip}:${offset}`);
  }
}

export interface EdgeDetectorOptions {
  edge: GpioEdge;
  debounceMs: number;
  timers: GpioTimers;
  /** The logical value the line starts at. */
  initial: GpioValue;
  emit: (edge: "rising" | "falling", value: GpioValue, timestampMs: number) => void;
}

/**
 * Turns logical samples into edges. With a debounce, a new level counts once it has held for
 * `debounceMs` (a bounce back to the stable level cancels it), and the edge carries the time the
 * level first appeared.
 */
export class EdgeDetector {
  #stable: GpioValue;
  #candidate: { value: GpioValue; since: number; timer: GpioTimerHandle } | undefined;
  readonly #o: EdgeDetectorOptions;

  constructor(options: EdgeDetectorOptions) {
    this.#o = options;
    this.#stable = options.initial;
  }

  sample(value: GpioValue): void {
    const { timers, debounceMs } = this.#o;
    if (debounceMs <= 0) {
      if (value !== this.#stable) this.#accept(value, timers.now());
      return;
    }
    if (this.#candidate !== undefined) {
      if (this.#candidate.value === value) return;
      timers.clearTimeout(this.#candidate.timer);
      this.#candidate = undefined;
    }
    if (value === this.#stable) return;
    const since = timers.now();
    const timer = timers.setTimeout(() => {
      this.#candidate = undefined;
      this.#accept(value, since);
    }, debounceMs);
    this.#candidate = { value, since, timer };
  }

  dispose(): void {
    if (this.#candidate !== undefined) this.#o.timers.clearTimeout(this.#candidate.timer);
    this.#candidate = undefined;
  }

  #accept(value: GpioValue, at: number): void {
    this.#stable = value;
    const edge = value === 1 ? "rising" : "falling";
    const { edge: wanted } = this.#o;
    if (wanted === "both" || wanted === edge) this.#o.emit(edge, value, at);
  }
}

export interface BaseLineHooks {
  onError: (err: unknown) => void;
  /** Runs once, on the first close(), after the driver released the line. */
  onClosed: () => void;
}

/**
 * The handle every driver returns. A driver implements the four protected hooks; this class does
 * the checks and the watcher fan-out so all drivers refuse and report the same way.
 */
export abstract class BaseLine implements GpioLine {
  readonly chip: string;
  readonly offset: number;
  readonly direction: GpioDirection;
  readonly activeLow: boolean;
  protected readonly options: ResolvedOpenOptions;
  readonly #hooks: BaseLineHooks;
  readonly #watchers = new Set<(event: GpioEdgeEvent) => void>();
  #closed = false;
  #closing: Promise<void> | undefined;
  #seqno = 0;

  constructor(chip: string, offset: number, options: ResolvedOpenOptions, hooks: BaseLineHooks) {
    this.chip = chip;
    this.offset = offset;
    this.direction = options.direction;
    this.activeLow = options.activeLow;
    this.options = options;
    this.#hooks = hooks;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Logical value. */
  protected abstract readValue(): Promise<GpioValue>;
  /** Logical value; called for outputs only. */
  protected abstract writeValue(value: GpioValue): Promise<void>;
  /** The first watcher arrived: start delivering edges through `emit`. */
  protected abstract startEvents(): void;
  /** The last watcher left, or the line is closing. */
  protected abstract stopEvents(): void;
  /** Give the line back to the kernel (after stopEvents). */
  protected abstract release(): Promise<void>;

  async read(): Promise<GpioValue> {
    this.#assertOpen("read");
    return this.readValue();
  }

  async write(value: GpioValue | boolean): Promise<void> {
    this.#assertOpen("write");
    if (this.direction !== "output") {
      throw new HearthError("INVALID_ARGUMENT", `Line ${this.offset} of ${this.chip} is an input`, {
        data: { chip: this.chip, offset: this.offset },
      });
    }
    if (value !== 0 && value !== 1 && value !== true && value !== false) {
      throw new HearthError("INVALID_ARGUMENT", "A GPIO value is 0, 1, true or false", { data: { value } });
    }
    await this.writeValue(value === true || value === 1 ? 1 : 0);
  }

  watch(callback: (event: GpioEdgeEvent) => void): () => void {
    this.#assertOpen("watch");
    if (typeof callback !== "function") {
      throw new HearthError("INVALID_ARGUMENT", "watch() needs a callback function");
    }
    if (this.direction !== "input" || this.options.edge === "none") {
      throw new HearthError(
        "INVALID_ARGUMENT",
        `Line ${this.offset} of ${this.chip} was not opened as an input with an edge to watch`,
        {
          data: { chip: this.chip, offset: this.offset, direction: this.direction, edge: this.options.edge },
        },
      );
    }
    const first = this.#watchers.size === 0;
    this.#watchers.add(callback);
    if (first) this.startEvents();
    return () => {
      if (!this.#watchers.delete(callback)) return;
      if (this.#watchers.size === 0 && !this.#closed) this.stopEvents();
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      const hadWatchers = this.#watchers.size > 0;
      this.#watchers.clear();
      try {
        if (hadWatchers) this.stopEvents();
        await this.release();
      } finally {
        this.#hooks.onClosed();
      }
    })();
    return this.#closing;
  }

  /** Delivers one edge to every watcher; a throwing watcher does not stop the others. */
  protected emit(edge: "rising" | "falling", value: GpioValue, timestampMs: number): void {
    if (this.#closed) return;
    this.#seqno += 1;
    const event: GpioEdgeEvent = {
      edge,
      value,
      timestampMs,
      chip: this.chip,
      offset: this.offset,
      seqno: this.#seqno,
    };
    for (const watcher of [...this.#watchers]) {
      try {
        watcher(event);
      } catch (err) {
        this.#hooks.onError(err);
      }
    }
  }

  #assertOpen(op: string): void {
    if (this.#closed) {
      throw new HearthError("GPIO_LINE_CLOSED", `Line ${this.offset} of ${this.chip} is closed (${op})`, {
        data: { chip: this.chip, offset: this.offset, op },
      });
    }
  }
}

/** The lines a Gpio opened, so `gpio.close()` can close them all. */
export class OpenLines {
  readonly #lines = new Set<GpioLine>();

  add(line: GpioLine): void {
    this.#lines.add(line);
  }

  delete(line: GpioLine): void {
    this.#lines.delete(line);
  }

  async closeAll(): Promise<void> {
    const results = await Promise.allSettled([...this.#lines].map((l) => l.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
    if (failed !== undefined) throw failed.reason;
  }
}
