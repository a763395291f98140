/**
 * The gpiochip driver: the Linux GPIO character device (`/dev/gpiochipN`), v2 uAPI, through libc
 * `ioctl` — no libgpiod, whose v1 and v2 libraries differ between Debian releases. Active-low, bias,
 * edges and debounce are the kernel's (line flags and attributes). Edge events queue in the kernel
 * with its timestamps; the driver drains the request fd (non-blocking) every `eventPollMs` while
 * someone watches, so closing never leaves a blocked read behind.
 */
import { closeSync, openSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import {
  decodeChipInfo,
  decodeLineEvent,
  decodeLineInfo,
  decodeLineValues,
  encodeLineInfoQuery,
  encodeLineRequest,
  encodeLineValues,
  GPIO_GET_CHIPINFO_IOCTL,
  GPIO_V2_GET_LINE_IOCTL,
  GPIO_V2_GET_LINEINFO_IOCTL,
  GPIO_V2_LINE_GET_VALUES_IOCTL,
  GPIO_V2_LINE_SET_VALUES_IOCTL,
  LINE_ATTR_ID,
  LINE_EVENT_ID,
  LINE_FLAG,
  type LineConfig,
  type LineEvent,
  requestFd,
  SIZEOF,
} from "./gpiochip-abi.ts";
import { ERRNO, F_GETFL, F_SETFL, type Libc, loadLibc, O_NONBLOCK } from "./libc.ts";
import { BaseLine, OpenLines, requireChip, resolveLine } from "./line-base.ts";
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

export interface GpiochipGpioOptions extends GpioCommonOptions {
  /** Where the `gpiochipN` device files are. Default `/dev`. */
  devDir?: string;
  /** How often a watched line's queued kernel events are drained. Default 10 ms. */
  eventPollMs?: number;
  /** libc calls (tests inject a fake); default bun:ffi on libc.so.6, loaded here. */
  libc?: Libc;
}

const gpiochipOptionsSchema = z.object({
  devDir: z.string().min(1).default("/dev"),
  eventPollMs: z.number().min(1).max(10_000).default(10),
});

const ERRNO_NAMES = new Map<number, string>(Object.entries(ERRNO).map(([k, v]) => [v, k]));

function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `errno ${errno}`;
}

/** Turns a failed libc call into the port's error. */
export function ioctlError(op: string, errno: number, context: Record<string, unknown>): HearthError {
  const data = { op, errno, errnoName: errnoName(errno), ...context };
  if (errno === ERRNO.EBUSY) {
    return new HearthError("GPIO_LINE_BUSY", `${op}: the line is held by another consumer (EBUSY)`, { data });
  }
  const hint =
    errno === ERRNO.EACCES || errno === ERRNO.EPERM
      ? " (is the user in group `gpio`?)"
      : errno === ERRNO.ENOTTY
        ? " (not a GPIO character device)"
        : errno === ERRNO.EINVAL
          ? " (the kernel refused the request: a flag or attribute this kernel or chip does not support?)"
          : "";
  return new HearthError("GPIO_IO_FAILED", `${op} failed: ${errnoName(errno)}${hint}`, { data });
}

/** Reads every queued gpio_v2_line_event from a non-blocking fd. */
export function drainEvents(libc: Libc, fd: number, buf: Uint8Array): LineEvent[] {
  const events: LineEvent[] = [];
  for (;;) {
    const n = libc.read(fd, buf);
    if (n < 0) {
      const errno = libc.errno();
      if (errno === ERRNO.EAGAIN) return events;
      if (errno === ERRNO.EINTR) continue;
      throw ioctlError("read(line events)", errno, { fd });
    }
    if (n === 0) return events;
    for (let at = 0; at + SIZEOF.gpio_v2_line_event <= n; at += SIZEOF.gpio_v2_line_event) {
      events.push(decodeLineEvent(buf, at));
    }
  }
}

/** The line config for one requested line (bit 0 of every mask). */
export function lineConfigFor(o: ResolvedOpenOptions): LineConfig {
  let flags = o.direction === "input" ? LINE_FLAG.INPUT : LINE_FLAG.OUTPUT;
  if (o.activeLow) flags |= LINE_FLAG.ACTIVE_LOW;
  if (o.bias === "pull-up") flags |= LINE_FLAG.BIAS_PULL_UP;
  else if (o.bias === "pull-down") flags |= LINE_FLAG.BIAS_PULL_DOWN;
  else if (o.bias === "disabled") flags |= LINE_FLAG.BIAS_DISABLED;
  if (o.edge === "rising" || o.edge === "both") flags |= LINE_FLAG.EDGE_RISING;
  if (o.edge === "falling" || o.edge === "both") flags |= LINE_FLAG.EDGE_FALLING;
  const attrs: LineConfig["attrs"] = [];
  if (o.direction === "output") {
    attrs.push({ attr: { id: LINE_ATTR_ID.OUTPUT_VALUES, values: BigInt(o.initial) }, mask: 1n });
  }
  if (o.debounceMs > 0) {
    attrs.push({
      attr: { id: LINE_ATTR_ID.DEBOUNCE, debouncePeriodUs: Math.round(o.debounceMs * 1000) },
      mask: 1n,
    });
  }
  return { flags, attrs };
}

class GpiochipLine extends BaseLine {
  readonly #libc: Libc;
  readonly #fd: number;
  readonly #timers: GpioTimers;
  readonly #pollMs: number;
  readonly #onError: (err: unknown) => void;
  readonly #events = new Uint8Array(16 * SIZEOF.gpio_v2_line_event);
  #poll: GpioTimerHandle | undefined;

  constructor(
    chip: string,
    offset: number,
    options: ResolvedOpenOptions,
    setup: {
      libc: Libc;
      fd: number;
      timers: GpioTimers;
      pollMs: number;
      onError: (err: unknown) => void;
      onClosed: () => void;
    },
  ) {
    super(chip, offset, options, { onError: setup.onError, onClosed: setup.onClosed });
    this.#libc = setup.libc;
    this.#fd = setup.fd;
    this.#timers = setup.timers;
    this.#pollMs = setup.pollMs;
    this.#onError = setup.onError;
  }

  #ioctl(op: string, request: number, buf: Uint8Array): void {
    if (this.#libc.ioctl(this.#fd, request, buf) < 0) {
      throw ioctlError(op, this.#libc.errno(), { chip: this.chip, offset: this.offset });
    }
  }

  protected async readValue(): Promise<GpioValue> {
    const buf = encodeLineValues(0n, 1n);
    this.#ioctl("GPIO_V2_LINE_GET_VALUES_IOCTL", GPIO_V2_LINE_GET_VALUES_IOCTL, buf);
    return (decodeLineValues(buf).bits & 1n) === 1n ? 1 : 0;
  }

  protected async writeValue(value: GpioValue): Promise<void> {
    this.#ioctl(
      "GPIO_V2_LINE_SET_VALUES_IOCTL",
      GPIO_V2_LINE_SET_VALUES_IOCTL,
      encodeLineValues(BigInt(value), 1n),
    );
  }

  protected startEvents(): void {
    // Edges queued while nobody listened are history, not news.
    drainEvents(this.#libc, this.#fd, this.#events);
    this.#poll = this.#timers.setInterval(() => {
      try {
        for (const e of drainEvents(this.#libc, this.#fd, this.#events)) {
          const rising = e.id === LINE_EVENT_ID.RISING_EDGE;
          this.emit(rising ? "rising" : "falling", rising ? 1 : 0, Number(e.timestampNs) / 1e6);
        }
      } catch (err) {
        this.#onError(err);
      }
    }, this.#pollMs);
  }

  protected stopEvents(): void {
    if (this.#poll !== undefined) this.#timers.clearInterval(this.#poll);
    this.#poll = undefined;
  }

  protected async release(): Promise<void> {
    closeSync(this.#fd);
  }
}

/**
 * Creates a gpiochip GPIO (loads libc through bun:ffi).
 *
 * @example
 * const gpio = await createGpiochipGpio();
 * const button = await gpio.open(17, { direction: "input", edge: "falling", bias: "pull-up", debounceMs: 20 });
 */
export async function createGpiochipGpio(options: GpiochipGpioOptions = {}): Promise<Gpio> {
  const { devDir, eventPollMs } = parseOrThrow(
    gpiochipOptionsSchema,
    { devDir: options.devDir, eventPollMs: options.eventPollMs },
    "gpiochip GPIO options",
  );
  const libc = options.libc ?? (await loadLibc());
  const timers = options.timers ?? realTimers;
  const onError = options.onError ?? (() => {});
  const consumer = options.consumer ?? "hearth";
  const open = new OpenLines();

  /** Opens a chip's device file; the caller closes it. */
  const openChip = (name: string): number => {
    const path = join(devDir, name);
    try {
      return openSync(path, "r+");
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (code === "ENOENT" || code === "ENODEV" || code === "ENXIO") {
        throw new HearthError("GPIO_CHIP_NOT_FOUND", `GPIO chip ${path} is gone (${code})`, {
          data: { chip: name, path },
          cause: err,
        });
      }
      const hint = code === "EACCES" ? " (is the user in group `gpio`?)" : "";
      throw new HearthError("GPIO_IO_FAILED", `Cannot open ${path}: ${code ?? String(err)}${hint}`, {
        data: { op: "open", path, errnoName: code },
        cause: err,
      });
    }
  };

  const withChip = <T>(name: string, fn: (fd: number) => T): T => {
    const fd = openChip(name);
    try {
      return fn(fd);
    } finally {
      closeSync(fd);
    }
  };

  const ioctl = (
    fd: number,
    op: string,
    request: number,
    buf: Uint8Array,
    context: Record<string, unknown>,
  ) => {
    if (libc.ioctl(fd, request, buf) < 0) throw ioctlError(op, libc.errno(), context);
  };

  const chips = async (): Promise<GpioChipInfo[]> => {
    let entries: string[];
    try {
      entries = readdirSync(devDir);
    } catch (err) {
      throw new HearthError("GPIO_UNAVAILABLE", `Cannot list ${devDir}: ${String(err)}`, {
        data: { devDir },
        cause: err,
      });
    }
    return entries
      .filter((e) => /^gpiochip\d+$/.test(e))
      .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
      .map((name) =>
        withChip(name, (fd) => {
          const buf = new Uint8Array(SIZEOF.gpiochip_info);
          ioctl(fd, "GPIO_GET_CHIPINFO_IOCTL", GPIO_GET_CHIPINFO_IOCTL, buf, { chip: name });
          const info = decodeChipInfo(buf);
          return { name, label: info.label, lines: info.lines };
        }),
      );
  };

  return {
    driver: "gpiochip",
    selection: {
      driver: "gpiochip",
      requested: "gpiochip",
      reason: `the gpiochip driver was asked for (${devDir})`,
    },
    chips,
    async lines(chipRef?: string | number): Promise<GpioLineInfo[]> {
      const all = await chips();
      const chip = chipRef === undefined ? resolveLine(all, 0, options.chip).chip : requireChip(all, chipRef);
      return withChip(chip.name, (fd) =>
        Array.from({ length: chip.lines }, (_, offset) => {
          const buf = encodeLineInfoQuery(offset);
          ioctl(fd, "GPIO_V2_GET_LINEINFO_IOCTL", GPIO_V2_GET_LINEINFO_IOCTL, buf, {
            chip: chip.name,
            offset,
          });
          const info = decodeLineInfo(buf);
          return {
            offset,
            name: info.name,
            consumer: info.consumer,
            used: (info.flags & LINE_FLAG.USED) !== 0,
            direction: (info.flags & LINE_FLAG.OUTPUT) !== 0 ? "output" : "input",
            activeLow: (info.flags & LINE_FLAG.ACTIVE_LOW) !== 0,
          } satisfies GpioLineInfo;
        }),
      );
    },
    async open(line: GpioLineRef, openOptions: GpioOpenOptions): Promise<GpioLine> {
      const parsed = parseOpen(line, openOptions);
      const o = parsed.options;
      const { chip, offset } = resolveLine(await chips(), parsed.ref, options.chip);
      const req = encodeLineRequest({
        offsets: [offset],
        consumer: o.consumer ?? consumer,
        config: lineConfigFor(o),
        eventBufferSize: 0,
      });
      const fd = withChip(chip.name, (chipFd) => {
        ioctl(chipFd, "GPIO_V2_GET_LINE_IOCTL", GPIO_V2_GET_LINE_IOCTL, req, { chip: chip.name, offset });
        return requestFd(req);
      });
      try {
        if (o.edge !== "none") {
          const flags = libc.fcntl(fd, F_GETFL, 0);
          if (flags < 0 || libc.fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
            throw ioctlError("fcntl(O_NONBLOCK)", libc.errno(), { chip: chip.name, offset });
          }
        }
      } catch (err) {
        closeSync(fd);
        throw err;
      }
      const handle: GpiochipLine = new GpiochipLine(chip.name, offset, o, {
        libc,
        fd,
        timers,
        pollMs: eventPollMs,
        onError,
        onClosed: () => open.delete(handle),
      });
      open.add(handle);
      return handle;
    },
    close: () => open.closeAll(),
  };
}
