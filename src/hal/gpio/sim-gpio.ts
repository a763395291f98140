/**
 * The simulated GPIO driver: in-memory chips whose inputs a test (or the demo plugin) drives, whose
 * outputs keep a history, and whose outputs can be wired to inputs. Modelled on gpiozero's mock pin
 * factory: a pin's level is what an output drives, else what the outside drives, else its pull.
 */
import { HearthError } from "../../errors.ts";
import { BaseLine, EdgeDetector, LineRegistry, OpenLines, requireChip, resolveLine } from "./line-base.ts";
import { lineRefSchema, parseOpen, parseOrThrow, type ResolvedOpenOptions } from "./options.ts";
import { realTimers } from "./timers.ts";
import type {
  Gpio,
  GpioChipInfo,
  GpioCommonOptions,
  GpioLine,
  GpioLineInfo,
  GpioLineRef,
  GpioOpenOptions,
  GpioTimers,
  GpioValue,
} from "./types.ts";

export interface SimChipOptions {
  /** Default `gpiochip<index>`. */
  name?: string;
  label: string;
  /** A line count, or the line names (their count is the line count). */
  lines: number | string[];
}

export interface SimGpioOptions extends GpioCommonOptions {
  /** Default: one chip `gpiochip0` labelled `hearth-sim` with lines GPIO0…GPIO27, like a Pi header. */
  chips?: SimChipOptions[];
}

/** A level an output took, in order. */
export interface SimLevelChange {
  /** Physical level on the pin. */
  level: GpioValue;
  /** The same as the handle saw it (active-low applied). */
  value: GpioValue;
  timestampMs: number;
}

/** The sim driver: a Gpio plus the hands of the outside world. */
export interface SimGpio extends Gpio {
  /** Drives a line's pin from outside (a button, a sensor); `null` lets it float back to its pull. */
  drive(line: GpioLineRef, level: GpioValue | boolean | null): void;
  /** The physical level on a line's pin now. */
  level(line: GpioLineRef): GpioValue;
  /** Every level an output took since it was first opened (physical and logical). */
  history(line: GpioLineRef): readonly SimLevelChange[];
  /** Wires an output pin to an input pin: the input follows the output. Returns the unwire function. */
  wire(from: GpioLineRef, to: GpioLineRef): () => void;
}

interface SimPin {
  chip: string;
  offset: number;
  name: string;
  /** Last physical level (a floating pin with no pull keeps it). */
  level: GpioValue;
  driven: GpioValue | null;
  output: GpioValue | null;
  handle: SimLine | undefined;
  history: SimLevelChange[];
  wires: Set<SimPin>;
}

const DEFAULT_CHIPS: SimChipOptions[] = [
  { name: "gpiochip0", label: "hearth-sim", lines: Array.from({ length: 28 }, (_, i) => `GPIO${i}`) },
];

class SimLine extends BaseLine {
  /** The pull the world floats the pin to. */
  readonly biasSetting: ResolvedOpenOptions["bias"];
  readonly consumer: string;
  readonly #pin: SimPin;
  readonly #world: SimWorld;
  readonly #detector: EdgeDetector;
  #watching = false;

  constructor(
    pin: SimPin,
    world: SimWorld,
    options: ResolvedOpenOptions,
    consumer: string,
    onClosed: () => void,
  ) {
    super(pin.chip, pin.offset, options, { onError: world.onError, onClosed });
    this.biasSetting = options.bias;
    this.consumer = consumer;
    this.#pin = pin;
    this.#world = world;
    this.#detector = new EdgeDetector({
      edge: options.edge,
      debounceMs: options.debounceMs,
      timers: world.timers,
      initial: this.#logical(pin.level),
      emit: (edge, value, at) => this.emit(edge, value, at),
    });
  }

  /** The pin's level changed (called by the world for inputs). */
  levelChanged(level: GpioValue): void {
    if (this.#watching) this.#detector.sample(this.#logical(level));
  }

  protected async readValue(): Promise<GpioValue> {
    return this.#logical(this.#pin.level);
  }

  protected async writeValue(value: GpioValue): Promise<void> {
    this.#world.setOutput(this.#pin, this.#logical(value), value);
  }

  protected startEvents(): void {
    // Edges count from the level at the moment someone starts listening.
    this.#detector.dispose();
    this.#detector.sample(this.#logical(this.#pin.level));
    this.#watching = true;
  }

  protected stopEvents(): void {
    this.#watching = false;
    this.#detector.dispose();
  }

  protected async release(): Promise<void> {
    this.#world.release(this.#pin);
  }

  #logical(v: GpioValue): GpioValue {
    return this.activeLow ? ((1 - v) as GpioValue) : v;
  }
}

class SimWorld {
  readonly chips: GpioChipInfo[];
  readonly pins = new Map<string, SimPin[]>();
  readonly timers: GpioTimers;
  readonly onError: (err: unknown) => void;

  constructor(chips: SimChipOptions[], timers: GpioTimers, onError: (err: unknown) => void) {
    this.timers = timers;
    this.onError = onError;
    this.chips = chips.map((c, i) => {
      const names = Array.isArray(c.lines) ? c.lines : Array.from({ length: c.lines }, () => "");
      const info: GpioChipInfo = { name: c.name ?? `gpiochip${i}`, label: c.label, lines: names.length };
      this.pins.set(
        info.name,
        names.map((name, offset) => ({
          chip: info.name,
          offset,
          name,
          level: 0,
          driven: null,
          output: null,
          handle: undefined,
          history: [],
          wires: new Set(),
        })),
      );
      return info;
    });
  }

  pin(chip: GpioChipInfo, offset: number): SimPin {
    return (this.pins.get(chip.name) as SimPin[])[offset] as SimPin;
  }

  bias(pin: SimPin): GpioValue {
    const bias = pin.handle?.direction === "input" ? pin.handle.biasSetting : "as-is";
    return bias === "pull-up" ? 1 : bias === "pull-down" ? 0 : pin.level;
  }

  /** Recomputes a pin's level from output > drive > pull and tells whoever listens. */
  settle(pin: SimPin): void {
    const level = pin.output ?? pin.driven ?? this.bias(pin);
    if (level === pin.level) return;
    pin.level = level;
    for (const target of pin.wires) this.drive(target, level);
    if (pin.handle !== undefined && pin.output === null) pin.handle.levelChanged(level);
  }

  drive(pin: SimPin, level: GpioValue | null): void {
    pin.driven = level;
    this.settle(pin);
  }

  setOutput(pin: SimPin, level: GpioValue, value: GpioValue): void {
    const changed = pin.output !== level;
    pin.output = level;
    if (changed) pin.history.push({ level, value, timestampMs: this.timers.now() });
    this.settle(pin);
  }

  release(pin: SimPin): void {
    pin.handle = undefined;
    pin.output = null;
    this.settle(pin);
  }
}

/**
 * Creates a simulated GPIO.
 *
 * @example
 * const gpio = createSimGpio();
 * const button = await gpio.open(17, { direction: "input", edge: "falling", bias: "pull-up" });
 * button.watch((e) => console.log(e.edge));
 * gpio.drive(17, 0); // logs "falling"
 */
export function createSimGpio(options: SimGpioOptions = {}): SimGpio {
  const timers = options.timers ?? realTimers;
  const onError = options.onError ?? (() => {});
  const world = new SimWorld(options.chips ?? DEFAULT_CHIPS, timers, onError);
  const registry = new LineRegistry();
  const open = new OpenLines();
  const consumer = options.consumer ?? "hearth";

  const pinOf = (ref: unknown): SimPin => {
    const parsed = parseOrThrow(lineRefSchema, ref, "GPIO line");
    const { chip, offset } = resolveLine(world.chips, parsed, options.chip);
    return world.pin(chip, offset);
  };

  return {
    driver: "sim",
    selection: { driver: "sim", requested: "sim", reason: "the sim driver was asked for" },
    async chips() {
      return world.chips.map((c) => ({ ...c }));
    },
    async lines(chipRef?: string | number): Promise<GpioLineInfo[]> {
      const chip =
        chipRef === undefined
          ? resolveLine(world.chips, 0, options.chip).chip
          : requireChip(world.chips, chipRef);
      return (world.pins.get(chip.name) as SimPin[]).map((p) => {
        const info: GpioLineInfo = {
          offset: p.offset,
          name: p.name,
          consumer: p.handle === undefined ? "" : p.handle.consumer,
          used: p.handle !== undefined,
          activeLow: p.handle?.activeLow ?? false,
        };
        if (p.handle !== undefined) info.direction = p.handle.direction;
        return info;
      });
    },
    async open(line: GpioLineRef, openOptions: GpioOpenOptions): Promise<GpioLine> {
      const parsed = parseOpen(line, openOptions);
      const { chip, offset } = resolveLine(world.chips, parsed.ref, options.chip);
      registry.claim(chip.name, offset);
      const pin = world.pin(chip, offset);
      const handle: SimLine = new SimLine(
        pin,
        world,
        parsed.options,
        parsed.options.consumer ?? consumer,
        () => {
          registry.release(chip.name, offset);
          open.delete(handle);
        },
      );
      pin.handle = handle;
      open.add(handle);
      if (parsed.options.direction === "output") {
        const level = (
          parsed.options.activeLow ? 1 - parsed.options.initial : parsed.options.initial
        ) as GpioValue;
        world.setOutput(pin, level, parsed.options.initial);
      } else {
        world.settle(pin);
      }
      return handle;
    },
    close: () => open.closeAll(),
    drive(line, level) {
      const pin = pinOf(line);
      if (level !== null && level !== 0 && level !== 1 && level !== true && level !== false) {
        throw new HearthError("INVALID_ARGUMENT", "A driven level is 0, 1, true, false or null", {
          data: { level },
        });
      }
      world.drive(pin, level === null ? null : level === true || level === 1 ? 1 : 0);
    },
    level: (line) => pinOf(line).level,
    history: (line) => [...pinOf(line).history],
    wire(from, to) {
      const a = pinOf(from);
      const b = pinOf(to);
      if (a === b) throw new HearthError("INVALID_ARGUMENT", "A line cannot be wired to itself");
      a.wires.add(b);
      world.drive(b, a.level);
      return () => {
        if (a.wires.delete(b)) world.drive(b, null);
      };
    },
  };
}
