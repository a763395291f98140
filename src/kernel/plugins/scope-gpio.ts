/**
 * `ctx.hardware.gpio`: the process-wide GPIO seen by one plugin. Lines it opens are recorded as its
 * own (another plugin asking for one is told who holds it) and closed when the plugin's load ends.
 */
import { errorMessage, HearthError, isHearthError } from "../../errors.ts";
import {
  createSimGpio,
  type Gpio,
  type GpioLine,
  type GpioLineRef,
  type GpioOpenOptions,
  headerPinToLine,
  type SimChipOptions,
  type SimGpio,
} from "../../hal/gpio/index.ts";
import type { PluginGpio } from "../../sdk/hardware.ts";
import type { SharedGpio } from "../hardware/types.ts";
import type { HardwarePart } from "./scope-hardware.ts";
import type { ScopeLife } from "./scope-life.ts";

interface Held {
  line: GpioLine;
  chip: string;
  offset: number;
}

/** The consumer name the kernel shows for the plugin's lines (gpioinfo): `hearth:<plugin>`, ≤ 31 chars. */
function consumerOf(plugin: string): string {
  return `hearth:${plugin}`.slice(0, 31);
}

export function scopedGpio(life: ScopeLife, shared: SharedGpio | undefined): HardwarePart<PluginGpio> {
  const { plugin } = life;
  const held = new Set<Held>();
  const sims = new Set<SimGpio>();
  let released = false;

  const usable = (): void => {
    life.live();
    if (released) throw stopping(plugin);
  };
  const gpio = async (): Promise<Gpio> => {
    usable();
    if (shared === undefined) {
      throw new HearthError("GPIO_UNAVAILABLE", "No GPIO is set up for plugins in this runtime", {
        data: { plugin },
      });
    }
    return shared.get();
  };

  const closeOne = async (entry: Held): Promise<void> => {
    held.delete(entry);
    try {
      await entry.line.close();
    } finally {
      shared?.release(entry.chip, entry.offset, plugin);
    }
  };

  const api: PluginGpio = Object.freeze({
    async selection() {
      return (await gpio()).selection;
    },
    async chips() {
      return (await gpio()).chips();
    },
    async lines(chip?: string | number) {
      return (await gpio()).lines(chip);
    },
    async open(ref: GpioLineRef, options: GpioOpenOptions) {
      const g = await gpio();
      let line: GpioLine;
      try {
        line = await g.open(ref, { consumer: consumerOf(plugin), ...options });
      } catch (err) {
        throw withHolder(err, shared);
      }
      if (released || life.disposed) {
        await line.close();
        throw stopping(plugin);
      }
      const entry: Held = { line, chip: line.chip, offset: line.offset };
      held.add(entry);
      shared?.claim(line.chip, line.offset, plugin);
      return handle(entry, life, closeOne);
    },
    headerPinToLine(pin: number) {
      return headerPinToLine(pin);
    },
    async sim(options?: { chips?: SimChipOptions[] }) {
      usable();
      const sim = createSimGpio({
        consumer: consumerOf(plugin),
        ...(options?.chips === undefined ? {} : { chips: options.chips }),
        onError: (err) => life.report("watcher", err),
      });
      sims.add(sim);
      shared?.addSim(plugin, sim);
      return sim;
    },
  } satisfies PluginGpio);

  return {
    api,
    async release() {
      released = true;
      const failures: string[] = [];
      for (const entry of [...held]) {
        await closeOne(entry).catch((err: unknown) =>
          failures.push(`line ${entry.offset} of ${entry.chip}: ${errorMessage(err)}`),
        );
      }
      for (const sim of [...sims]) {
        sims.delete(sim);
        shared?.removeSim(plugin, sim);
        await sim.close().catch((err: unknown) => failures.push(`sim: ${errorMessage(err)}`));
      }
      if (failures.length > 0) {
        throw new HearthError(
          "GPIO_IO_FAILED",
          `Closing the plugin's GPIO lines failed: ${failures.join("; ")}`,
          {
            data: { plugin, failures },
          },
        );
      }
    },
  };
}

/** The plugin's view of a line: watch callbacks are guarded, and close gives the line back. */
function handle(entry: Held, life: ScopeLife, closeOne: (entry: Held) => Promise<void>): GpioLine {
  const { line } = entry;
  let closing: Promise<void> | undefined;
  return Object.freeze({
    chip: line.chip,
    offset: line.offset,
    direction: line.direction,
    activeLow: line.activeLow,
    get closed() {
      return line.closed;
    },
    read: () => line.read(),
    write: (value: Parameters<GpioLine["write"]>[0]) => line.write(value),
    watch(callback: Parameters<GpioLine["watch"]>[0]) {
      life.live();
      if (typeof callback !== "function") return line.watch(callback);
      return line.watch(life.guarded(callback, "watcher"));
    },
    close() {
      closing ??= closeOne(entry);
      return closing;
    },
  } satisfies GpioLine);
}

/** A driver's GPIO_LINE_BUSY, retold naming the plugin that holds the line. */
function withHolder(err: unknown, shared: SharedGpio | undefined): unknown {
  if (!isHearthError(err, "GPIO_LINE_BUSY") || shared === undefined) return err;
  const data = (err.data ?? {}) as { chip?: unknown; offset?: unknown };
  if (typeof data.chip !== "string" || typeof data.offset !== "number") return err;
  const holder = shared.holder(data.chip, data.offset);
  if (holder === undefined) return err;
  return new HearthError(
    "GPIO_LINE_BUSY",
    `Line ${data.offset} of ${data.chip} is held by plugin "${holder}"`,
    { data: { chip: data.chip, offset: data.offset, holder }, cause: err },
  );
}

function stopping(plugin: string): HearthError {
  return new HearthError("PLUGIN_STATE_CONFLICT", `Plugin "${plugin}" is stopping: its GPIO is closed`, {
    data: { plugin },
  });
}
