/**
 * The sysfs GPIO driver (`/sys/class/gpio`), for kernels without the character device. Line numbers
 * are global there: each chip's `base` is read, never assumed (current Raspberry Pi kernels start at
 * 512 or more). Active-low is applied here, not through the `active_low` file, so a line left
 * configured by someone else cannot flip our meaning. Edges come from polling `value`: sysfs
 * interrupts need poll(2) on the file, which a fake tree cannot give and Bun has no handle for.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { BaseLine, EdgeDetector, LineRegistry, OpenLines, requireChip, resolveLine } from "./line-base.ts";
import { parseOpen, parseOrThrow, type ResolvedOpenOptions } from "./options.ts";
import { realTimers } from "./timers.ts";
import type {
  Gpio,
  GpioChipInfo,
  GpioCommonOptions,
  GpioLine,
  GpioLineInfo,
  GpioLineRef,
  GpioOpenOptions,
  GpioTimerHandle,
  GpioTimers,
  GpioValue,
} from "./types.ts";

export interface SysfsGpioOptions extends GpioCommonOptions {
  /** Default `/sys/class/gpio`. */
  root?: string;
  /** How often watched inputs are sampled. Default 10 ms. */
  pollIntervalMs?: number;
  /** How long to wait for the kernel (and udev's permission change) after `export`. Default 2000 ms. */
  exportTimeoutMs?: number;
}

const sysfsOptionsSchema = z.object({
  root: z.string().min(1).default("/sys/class/gpio"),
  pollIntervalMs: z.number().min(1).max(10_000).default(10),
  exportTimeoutMs: z.number().min(0).max(60_000).default(2000),
});

/** Lines held per sysfs root, shared by every Gpio in the process (sysfs has no owner of its own). */
const heldByRoot = new Map<string, LineRegistry>();
/** export/unexport per root run one at a time: each waits for its effect before the next. */
const exportQueue = new Map<string, Promise<unknown>>();

function serialised<T>(root: string, task: () => Promise<T>): Promise<T> {
  const previous = exportQueue.get(root) ?? Promise.resolve();
  const next = previous.then(task, task);
  exportQueue.set(
    root,
    next.catch(() => {}),
  );
  return next;
}

function errnoCode(err: unknown): string | undefined {
  return typeof err === "object" && err !== null && "code" in err ? String(err.code) : undefined;
}

function ioFailed(op: string, path: string, err: unknown): HearthError {
  const errno = errnoCode(err);
  const hint = errno === "EACCES" || errno === "EPERM" ? " (is the user in group `gpio`?)" : "";
  return new HearthError(
    "GPIO_IO_FAILED",
    `GPIO sysfs ${op} ${path} failed: ${errno ?? String(err)}${hint}`,
    {
      data: { op, path, errno },
      cause: err,
    },
  );
}

function readText(path: string): string {
  try {
    return readFileSync(path, "utf8").trim();
  } catch (err) {
    throw ioFailed("read", path, err);
  }
}

function writeText(path: string, text: string): void {
  try {
    writeFileSync(path, text);
  } catch (err) {
    throw ioFailed("write", path, err);
  }
}

function parseLevel(text: string, path: string): GpioValue {
  if (text === "0") return 0;
  if (text === "1") return 1;
  throw new HearthError("GPIO_IO_FAILED", `GPIO sysfs ${path} holds "${text}", not 0 or 1`, {
    data: { op: "read", path },
  });
}

/** Waits (real time: this is the kernel and udev, not the poller) until `done()` or the deadline. */
async function until(done: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    if (done()) return true;
    if (performance.now() >= deadline) return false;
    await Bun.sleep(5);
  }
}

/** Writes a file the kernel creates root-owned and udev then opens to group `gpio`: retry EACCES. */
async function writeWhenAllowed(path: string, text: string, timeoutMs: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    try {
      writeFileSync(path, text);
      return;
    } catch (err) {
      if (errnoCode(err) !== "EACCES" || performance.now() >= deadline) throw ioFailed("write", path, err);
      await Bun.sleep(10);
    }
  }
}

class SysfsLine extends BaseLine {
  readonly #dir: string;
  readonly #timers: GpioTimers;
  readonly #pollMs: number;
  readonly #unexport: (() => Promise<void>) | undefined;
  readonly #onError: (err: unknown) => void;
  #poll: GpioTimerHandle | undefined;
  #detector: EdgeDetector | undefined;

  constructor(
    chip: string,
    offset: number,
    options: ResolvedOpenOptions,
    setup: {
      dir: string;
      timers: GpioTimers;
      pollMs: number;
      unexport: (() => Promise<void>) | undefined;
      onError: (err: unknown) => void;
      onClosed: () => void;
    },
  ) {
    super(chip, offset, options, { onError: setup.onError, onClosed: setup.onClosed });
    this.#dir = setup.dir;
    this.#timers = setup.timers;
    this.#pollMs = setup.pollMs;
    this.#unexport = setup.unexport;
    this.#onError = setup.onError;
  }

  #level(): GpioValue {
    const path = join(this.#dir, "value");
    return parseLevel(readText(path), path);
  }

  #logical(v: GpioValue): GpioValue {
    return this.activeLow ? ((1 - v) as GpioValue) : v;
  }

  protected async readValue(): Promise<GpioValue> {
    return this.#logical(this.#level());
  }

  protected async writeValue(value: GpioValue): Promise<void> {
    writeText(join(this.#dir, "value"), String(this.#logical(value)));
  }

  protected startEvents(): void {
    const detector = new EdgeDetector({
      edge: this.options.edge,
      debounceMs: this.options.debounceMs,
      timers: this.#timers,
      initial: this.#logical(this.#level()),
      emit: (edge, value, at) => this.emit(edge, value, at),
    });
    this.#detector = detector;
    this.#poll = this.#timers.setInterval(() => {
      try {
        detector.sample(this.#logical(this.#level()));
      } catch (err) {
        this.#onError(err);
      }
    }, this.#pollMs);
  }

  protected stopEvents(): void {
    if (this.#poll !== undefined) this.#timers.clearInterval(this.#poll);
    this.#poll = undefined;
    this.#detector?.dispose();
    this.#detector = undefined;
  }

  protected async release(): Promise<void> {
    await this.#unexport?.();
  }
}

/**
 * Creates a sysfs GPIO over `root` (a fake tree in tests).
 *
 * @example
 * const gpio = createSysfsGpio({ root: "/sys/class/gpio" });
 * const relay = await gpio.open({ chip: "pinctrl-bcm2711", offset: 17 }, { direction: "output" });
 */
export function createSysfsGpio(options: SysfsGpioOptions = {}): Gpio {
  const {
    root: givenRoot,
    pollIntervalMs,
    exportTimeoutMs,
  } = parseOrThrow(
    sysfsOptionsSchema,
    { root: options.root, pollIntervalMs: options.pollIntervalMs, exportTimeoutMs: options.exportTimeoutMs },
    "sysfs GPIO options",
  );
  const root = resolve(givenRoot);
  const timers = options.timers ?? realTimers;
  const onError = options.onError ?? (() => {});
  let registry = heldByRoot.get(root);
  if (registry === undefined) {
    registry = new LineRegistry();
    heldByRoot.set(root, registry);
  }
  const held = registry;
  const open = new OpenLines();

  const chips = async (): Promise<GpioChipInfo[]> => {
    let entries: string[];
    try {
      entries = readdirSync(root);
    } catch (err) {
      throw new HearthError(
        "GPIO_UNAVAILABLE",
        `No sysfs GPIO at ${root} (${errnoCode(err) ?? String(err)})`,
        {
          data: { root },
          cause: err,
        },
      );
    }
    return entries
      .filter((e) => /^gpiochip\d+$/.test(e))
      .map((name) => {
        const dir = join(root, name);
        const base = Number(readText(join(dir, "base")));
        const lines = Number(readText(join(dir, "ngpio")));
        if (!Number.isInteger(base) || !Number.isInteger(lines) || lines <= 0) {
          throw new HearthError("GPIO_IO_FAILED", `GPIO sysfs ${dir} has no valid base/ngpio`, {
            data: { op: "read", path: dir },
          });
        }
        return { name, label: readText(join(dir, "label")), lines, base };
      })
      .sort((a, b) => a.base - b.base);
  };

  return {
    driver: "sysfs",
    selection: { driver: "sysfs", requested: "sysfs", reason: `the sysfs driver was asked for (${root})` },
    chips,
    async lines(chipRef?: string | number): Promise<GpioLineInfo[]> {
      const all = await chips();
      const chip = chipRef === undefined ? resolveLine(all, 0, options.chip).chip : requireChip(all, chipRef);
      return Array.from({ length: chip.lines }, (_, offset) => {
        const dir = join(root, `gpio${(chip.base as number) + offset}`);
        if (!existsSync(dir)) return { offset, name: "", consumer: "", used: false, activeLow: false };
        return {
          offset,
          name: "",
          consumer: "sysfs",
          used: true,
          direction: readText(join(dir, "direction")) === "in" ? "input" : "output",
          activeLow: readText(join(dir, "active_low")) === "1",
        };
      });
    },
    async open(line: GpioLineRef, openOptions: GpioOpenOptions): Promise<GpioLine> {
      const parsed = parseOpen(line, openOptions);
      const o = parsed.options;
      if (o.bias !== "as-is") {
        throw new HearthError(
          "INVALID_ARGUMENT",
          `sysfs GPIO cannot set a bias ("${o.bias}"); use the gpiochip driver or set it in config.txt (gpio=<n>=pu|pd|pn)`,
          { data: { bias: o.bias } },
        );
      }
      const { chip, offset } = resolveLine(await chips(), parsed.ref, options.chip);
      const number = (chip.base as number) + offset;
      const dir = join(root, `gpio${number}`);
      held.claim(chip.name, offset);
      let unexport: (() => Promise<void>) | undefined;
      try {
        if (!existsSync(dir)) {
          await serialised(root, async () => {
            try {
              writeFileSync(join(root, "export"), String(number));
            } catch (err) {
              const code = errnoCode(err);
              if (code === "EBUSY") {
                throw new HearthError(
                  "GPIO_LINE_BUSY",
                  `GPIO ${number} (${chip.name} line ${offset}) is held by the kernel or another consumer`,
                  {
                    data: { chip: chip.name, offset, number },
                    cause: err,
                  },
                );
              }
              if (code === "EINVAL") {
                throw new HearthError("GPIO_INVALID_LINE", `The kernel refused to export GPIO ${number}`, {
                  data: { chip: chip.name, offset, number },
                  cause: err,
                });
              }
              throw ioFailed("export", join(root, "export"), err);
            }
            if (!(await until(() => existsSync(dir), exportTimeoutMs))) {
              throw new HearthError("GPIO_IO_FAILED", `Exporting GPIO ${number} did not create ${dir}`, {
                data: { op: "export", path: dir, number },
              });
            }
          });
          unexport = () =>
            serialised(root, async () => {
              writeText(join(root, "unexport"), String(number));
              await until(() => !existsSync(dir), exportTimeoutMs);
            });
        }
        await writeWhenAllowed(join(dir, "active_low"), "0", exportTimeoutMs);
        if (o.direction === "input") {
          await writeWhenAllowed(join(dir, "direction"), "in", exportTimeoutMs);
        } else {
          const level = o.activeLow ? 1 - o.initial : o.initial;
          // "high"/"low" switch to output at that level in one step: a relay never sees a glitch.
          await writeWhenAllowed(join(dir, "direction"), level === 1 ? "high" : "low", exportTimeoutMs);
          writeText(join(dir, "value"), String(level));
        }
      } catch (err) {
        held.release(chip.name, offset);
        await unexport?.().catch(() => {});
        throw err;
      }
      const handle: SysfsLine = new SysfsLine(chip.name, offset, o, {
        dir,
        timers,
        pollMs: pollIntervalMs,
        unexport,
        onError,
        onClosed: () => {
          held.release(chip.name, offset);
          open.delete(handle);
        },
      });
      open.add(handle);
      return handle;
    },
    close: () => open.closeAll(),
  };
}
