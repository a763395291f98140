/**
 * The Bun serial driver: no native addon. The device is opened non-blocking, configured through
 * termios on libc (bun:ffi), read through `Bun.file(fd).stream()` — Bun polls the descriptor, so a
 * pending read neither blocks the event loop nor spins — and written with `fs.writeSync`, retrying
 * EAGAIN after a short pause instead of blocking. (Bun's `Bun.file(fd).writer()` blocks on a tty,
 * and `fs.createReadStream`/`tty.ReadStream` keep the process alive after close.)
 */
import { closeSync, fstatSync, openSync, readdirSync, writeSync } from "node:fs";
import type { ReadableStreamDefaultReader as StreamReader } from "node:stream/web";
import { errorMessage, HearthError } from "../../errors.ts";
import type { Libc, LibcFailure } from "./libc.ts";
import { checkBaudRate, resolveSerialOptions } from "./options.ts";
import { errnoOf, SerialError } from "./serial-error.ts";
import {
  applyLineSettings,
  BAUD_RATES,
  decodeTermios,
  LOCK_EX,
  LOCK_NB,
  LOCK_UN,
  O_CLOEXEC,
  O_NOCTTY,
  O_NONBLOCK,
  O_RDWR,
  TCIFLUSH,
  TCIOFLUSH,
  TCOFLUSH,
  TERMIOS_SIZE,
  TIOCCBRK,
  TIOCEXCL,
  TIOCM_CAR,
  TIOCM_CTS,
  TIOCM_DSR,
  TIOCM_DTR,
  TIOCM_RNG,
  TIOCM_RTS,
  TIOCMBIC,
  TIOCMBIS,
  TIOCMGET,
  TIOCNXCL,
  TIOCOUTQ,
  TIOCSBRK,
} from "./termios.ts";
import type {
  ResolvedSerialOptions,
  SerialClosePayload,
  SerialFlushTarget,
  SerialLineStatus,
  SerialOpenOptions,
  SerialPort,
  SerialSignals,
} from "./types.ts";

/** The reader of `Bun.file(fd).stream()` (typed by node:stream/web in @types/bun). */
type Reader = StreamReader<Uint8Array<ArrayBuffer>>;
type ReadResult = Awaited<ReturnType<Reader["read"]>>;

/** errno values meaning the device is gone (USB unplug, pty master closed). */
const GONE = new Set(["EIO", "ENODEV", "ENXIO", "EPIPE"]);
/** errno values meaning the device has no such line or request (a pty has no modem lines). */
const UNSUPPORTED = new Set(["ENOTTY", "EINVAL", "EOPNOTSUPP"]);
const DEFAULT_READ_MAX = 65536;
const MAX_PAUSE_MS = 16;

const noop = (): void => {};

/** Descriptor numbers open in this process (none where /proc is missing). */
function openFds(): number[] {
  try {
    return readdirSync("/proc/self/fd").map(Number);
  } catch {
    return [];
  }
}

/** Descriptors owned by open ports (their own and the stream duplicates), so two ports never claim one. */
const claimedFds = new Set<number>();

/** Device and inode of an open descriptor, to tell whether a number still names the same file. */
function identity(fd: number): string | undefined {
  try {
    const st = fstatSync(fd);
    return `${st.dev}:${st.ino}:${st.rdev}`;
  } catch {
    return undefined;
  }
}

async function loadLibc(path: string): Promise<Libc> {
  try {
    return (await import("./libc.ts")).libc();
  } catch (cause) {
    throw new SerialError("SERIAL_OPEN_FAILED", `Cannot bind libc.so.6 for ${path}: ${errorMessage(cause)}`, {
      path,
      cause,
    });
  }
}

function openFailure(path: string, errno: string | undefined, cause: unknown): SerialError {
  const why = errno ?? errorMessage(cause);
  if (errno === "ENOENT" || errno === "ENXIO" || errno === "ENODEV")
    return new SerialError("SERIAL_PORT_NOT_FOUND", `No serial device at ${path} (${why})`, {
      path,
      errno,
      cause,
    });
  if (errno === "EACCES" || errno === "EPERM")
    return new SerialError(
      "SERIAL_ACCESS_DENIED",
      `Not allowed to open ${path} (${why}); add the user to the dialout group`,
      { path, errno, cause },
    );
  if (errno === "EBUSY" || errno === "EAGAIN" || errno === "EWOULDBLOCK")
    return new SerialError("SERIAL_PORT_BUSY", `${path} is held exclusively by another port or process`, {
      path,
      errno,
      cause,
    });
  return new SerialError("SERIAL_OPEN_FAILED", `Cannot open ${path}: ${why}`, { path, errno, cause });
}

/**
 * Applies `baudRate` and the line settings in one tcsetattr, then reads them back: tcsetattr succeeds
 * when any part was applied, and a driver may silently drop what it cannot do (e.g. CMSPAR).
 */
function configure(lib: Libc, fd: number, path: string, o: ResolvedSerialOptions, raw: boolean): void {
  const fail = (f: LibcFailure, what: string): never => {
    if (GONE.has(f.errno))
      throw new SerialError("SERIAL_DISCONNECTED", `${path} went away while ${what}`, {
        path,
        errno: f.errno,
      });
    const message =
      f.errno === "ENOTTY" ? `${path} is not a terminal device` : `${f.call} failed on ${path} while ${what}`;
    throw new SerialError("SERIAL_OPEN_FAILED", message, { path, errno: f.errno });
  };
  const t = new Uint8Array(TERMIOS_SIZE);
  const got = lib.tcgetattr(fd, t);
  if (got) fail(got, "reading its settings");
  if (raw) lib.cfmakeraw(t);
  applyLineSettings(t, o);
  const speed = lib.cfsetspeed(t, BAUD_RATES.get(o.baudRate) as number);
  if (speed) fail(speed, `setting ${o.baudRate} baud`);
  const set = lib.tcsetattr(fd, t);
  if (set) fail(set, "applying its settings");
  const back = new Uint8Array(TERMIOS_SIZE);
  const again = lib.tcgetattr(fd, back);
  if (again) fail(again, "checking its settings");
  const actual = decodeTermios(back);
  const wanted = { baudRate: o.baudRate, dataBits: o.dataBits, parity: o.parity, stopBits: o.stopBits };
  const mismatched = (Object.keys(wanted) as (keyof typeof wanted)[]).filter((k) => actual[k] !== wanted[k]);
  if (mismatched.length > 0) {
    throw new SerialError(
      "SERIAL_OPEN_FAILED",
      `The driver of ${path} did not accept ${mismatched.map((k) => `${k}=${wanted[k]}`).join(", ")}`,
      { path, data: { mismatched, actual: Object.fromEntries(mismatched.map((k) => [k, actual[k]])) } },
    );
  }
}

/**
 * Opens a serial device: non-blocking, exclusive (TIOCEXCL, and flock so that root — whom TIOCEXCL
 * does not stop — is refused too), raw mode, the given framing and speed.
 *
 * Throws SERIAL_CONFIG_INVALID, SERIAL_PORT_NOT_FOUND, SERIAL_ACCESS_DENIED, SERIAL_PORT_BUSY or
 * SERIAL_OPEN_FAILED.
 *
 * @example
 * const port = await openSerialPort({ path: "/dev/ttyUSB0", baudRate: 115200 });
 * await port.write(new Uint8Array([0xfe, 0x00, 0x21, 0x01, 0x20]));
 * const reply = await port.read();
 * await port.close();
 */
export async function openSerialPort(input: SerialOpenOptions): Promise<SerialPort> {
  const options = resolveSerialOptions(input);
  const { path } = options;
  const lib = await loadLibc(path);
  let fd: number;
  try {
    fd = openSync(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
  } catch (cause) {
    throw openFailure(path, errnoOf(cause), cause);
  }
  try {
    if (options.lock) {
      const locked = lib.flock(fd, LOCK_EX | LOCK_NB);
      if (locked) throw openFailure(path, locked.errno, undefined);
      const excl = lib.ioctl(fd, TIOCEXCL);
      if (excl) throw openFailure(path, excl.errno, undefined);
    }
    configure(lib, fd, path, options, true);
  } catch (err) {
    closeSync(fd);
    throw err;
  }
  return new BunSerialPort(fd, options, lib);
}

class BunSerialPort implements SerialPort {
  readonly path: string;
  readonly closed: Promise<SerialClosePayload>;
  #fd: number;
  #lib: Libc;
  #options: Readonly<ResolvedSerialOptions>;
  #open = true;
  #closing: Promise<void> | undefined;
  #settle: (payload: SerialClosePayload) => void = noop;
  #listeners = new Set<(payload: SerialClosePayload) => void>();
  /** The current stream reader; replaced by an input flush (a generation bump tells readers). */
  #reader: Promise<Reader>;
  #generation = 0;
  #leftover: Uint8Array | undefined;
  #readTail: Promise<unknown> = Promise.resolve();
  #writeTail: Promise<unknown> = Promise.resolve();
  /** Wakes writers and drains sleeping between EAGAIN retries, so close() ends them at once. */
  #wakers = new Set<() => void>();
  /** `fd identity`: what our descriptor names. */
  #identity: string | undefined;
  /** Duplicates Bun's stream made of our descriptor; Bun closes them a moment after a cancel. */
  #duplicates = new Set<number>();

  constructor(fd: number, options: ResolvedSerialOptions, lib: Libc) {
    this.#fd = fd;
    this.#lib = lib;
    this.path = options.path;
    this.#options = Object.freeze({ ...options });
    this.#identity = identity(fd);
    claimedFds.add(fd);
    this.#reader = Promise.resolve(this.#newReader());
    this.closed = new Promise((resolve) => {
      this.#settle = resolve;
    });
  }

  get options(): Readonly<ResolvedSerialOptions> {
    return this.#options;
  }

  get isOpen(): boolean {
    return this.#open;
  }

  on(_event: "close", listener: (payload: SerialClosePayload) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  read(maxBytes = DEFAULT_READ_MAX): Promise<Uint8Array> {
    if (!Number.isInteger(maxBytes) || maxBytes < 1) {
      return Promise.reject(new HearthError("INVALID_ARGUMENT", "read(maxBytes) needs a positive integer"));
    }
    const run = () => this.#readOnce(maxBytes);
    const result = this.#readTail.then(run, run);
    this.#readTail = result.catch(noop);
    return result;
  }

  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    return this.#queueWrite(() => this.#writeAll(bytes));
  }

  drain(): Promise<void> {
    return this.#queueWrite(async () => {
      // Wait on the kernel's output queue without blocking; tcdrain then only waits for the last
      // bytes in the UART (a pty reports 0 at once).
      for (let attempt = 0; ; attempt++) {
        this.#assertOpen();
        const queued = new Int32Array(1);
        if (this.#lib.ioctl(this.#fd, TIOCOUTQ, queued) || queued[0] === 0) break;
        await this.#pause(attempt);
      }
      this.#assertOpen();
      const f = this.#lib.tcdrain(this.#fd);
      if (f) throw this.#ioFailure(f, "drain");
    });
  }

  async flush(target: SerialFlushTarget = "both"): Promise<void> {
    this.#assertOpen();
    const queue = target === "input" ? TCIFLUSH : target === "output" ? TCOFLUSH : TCIOFLUSH;
    if (target === "output") {
      const f = this.#lib.tcflush(this.#fd, queue);
      if (f) throw this.#ioFailure(f, "flush");
      return;
    }
    // Bun's stream reads ahead: drop the stream with what it holds, flush the kernel, start a new one.
    this.#generation++;
    this.#leftover = undefined;
    const old = this.#reader;
    let failure: LibcFailure | undefined;
    this.#reader = (async () => {
      await (await old).cancel().catch(noop);
      failure = this.#open ? this.#lib.tcflush(this.#fd, queue) : undefined;
      return this.#newReader();
    })();
    await this.#reader;
    this.#assertOpen();
    if (failure) throw this.#ioFailure(failure, "flush");
  }

  async update(options: { baudRate: number }): Promise<void> {
    const baudRate = checkBaudRate(options?.baudRate);
    this.#assertOpen();
    const next = { ...this.#options, baudRate };
    configure(this.#lib, this.#fd, this.path, next, false);
    this.#options = Object.freeze(next);
  }

  async getBaudRate(): Promise<number> {
    this.#assertOpen();
    const t = new Uint8Array(TERMIOS_SIZE);
    const f = this.#lib.tcgetattr(this.#fd, t);
    if (f) throw this.#ioFailure(f, "getBaudRate");
    const { baudRate } = decodeTermios(t);
    if (baudRate === undefined) {
      throw new SerialError("SERIAL_IO_FAILED", `${this.path} runs at a non-standard speed`, {
        path: this.path,
      });
    }
    return baudRate;
  }

  async setSignals(signals: SerialSignals): Promise<void> {
    this.#assertOpen();
    let on = 0;
    let off = 0;
    if (signals.dtr === true) on |= TIOCM_DTR;
    if (signals.dtr === false) off |= TIOCM_DTR;
    if (signals.rts === true) on |= TIOCM_RTS;
    if (signals.rts === false) off |= TIOCM_RTS;
    const calls: [number, Int32Array | undefined][] = [];
    if (on) calls.push([TIOCMBIS, Int32Array.of(on)]);
    if (off) calls.push([TIOCMBIC, Int32Array.of(off)]);
    if (signals.brk !== undefined) calls.push([signals.brk ? TIOCSBRK : TIOCCBRK, undefined]);
    for (const [request, arg] of calls) {
      const f = this.#lib.ioctl(this.#fd, request, arg);
      if (f) throw this.#ioFailure(f, "setSignals");
    }
  }

  async getSignals(): Promise<SerialLineStatus> {
    this.#assertOpen();
    const bits = new Int32Array(1);
    const f = this.#lib.ioctl(this.#fd, TIOCMGET, bits);
    if (f) throw this.#ioFailure(f, "getSignals");
    const b = bits[0] as number;
    return {
      dtr: (b & TIOCM_DTR) !== 0,
      rts: (b & TIOCM_RTS) !== 0,
      cts: (b & TIOCM_CTS) !== 0,
      dsr: (b & TIOCM_DSR) !== 0,
      dcd: (b & TIOCM_CAR) !== 0,
      ri: (b & TIOCM_RNG) !== 0,
    };
  }

  close(): Promise<void> {
    return this.#shutdown({ disconnected: false });
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Uint8Array> {
    for (;;) {
      try {
        yield await this.read();
      } catch (err) {
        // The port closed (by close() or a disconnect): `closed` says which.
        if (err instanceof SerialError && (err.canceled || err.code === "SERIAL_DISCONNECTED")) return;
        throw err;
      }
    }
  }

  /**
   * `Bun.file(fd).stream()` reads from a dup of the descriptor, which Bun closes asynchronously after
   * the stream is cancelled. Note its number, so close() can wait until the device is really let go.
   */
  #newReader(): Reader {
    const reader = Bun.file(this.#fd).stream().getReader();
    for (const n of openFds()) {
      if (claimedFds.has(n) || identity(n) !== this.#identity) continue;
      this.#duplicates.add(n);
      claimedFds.add(n);
    }
    return reader;
  }

  /** Waits (up to ~200 ms) until Bun has closed its duplicates of our descriptor. */
  async #duplicatesClosed(): Promise<void> {
    for (let i = 0; i < 200 && this.#duplicates.size > 0; i++) {
      for (const n of this.#duplicates) {
        if (identity(n) === this.#identity) continue;
        this.#duplicates.delete(n);
        claimedFds.delete(n);
      }
      if (this.#duplicates.size > 0) await Bun.sleep(1);
    }
    for (const n of this.#duplicates) claimedFds.delete(n);
    this.#duplicates.clear();
  }

  #assertOpen(): void {
    if (!this.#open) {
      throw new SerialError("SERIAL_PORT_CLOSED", `Serial port ${this.path} is closed`, {
        path: this.path,
        canceled: true,
      });
    }
  }

  #take(max: number): Uint8Array {
    const chunk = this.#leftover as Uint8Array;
    if (chunk.byteLength <= max) {
      this.#leftover = undefined;
      return chunk;
    }
    this.#leftover = chunk.subarray(max);
    return chunk.subarray(0, max);
  }

  async #readOnce(max: number): Promise<Uint8Array> {
    for (;;) {
      this.#assertOpen();
      if (this.#leftover) return this.#take(max);
      const generation = this.#generation;
      const reader = await this.#reader;
      let result: ReadResult;
      try {
        this.#assertOpen();
        result = await reader.read();
      } catch (cause) {
        this.#assertOpen();
        if (generation !== this.#generation) continue;
        throw this.#gone(errnoOf(cause) ?? "EIO", cause);
      }
      this.#assertOpen();
      if (generation !== this.#generation) continue; // flushed while waiting: the data is discarded
      if (result.done) throw this.#gone("EOF", undefined); // hang-up: the tty reads end of file
      if (result.value.byteLength > 0) this.#leftover = result.value;
    }
  }

  #queueWrite(task: () => Promise<void>): Promise<void> {
    const result = this.#writeTail.then(task, task);
    this.#writeTail = result.catch(noop);
    return result;
  }

  async #writeAll(bytes: Uint8Array): Promise<void> {
    let offset = 0;
    let stalled = 0;
    while (offset < bytes.byteLength) {
      this.#assertOpen();
      try {
        offset += writeSync(this.#fd, bytes, offset, bytes.byteLength - offset);
        stalled = 0;
      } catch (cause) {
        const errno = errnoOf(cause);
        if (errno === "EAGAIN" || errno === "EINTR") {
          await this.#pause(stalled++);
          continue;
        }
        if (errno !== undefined && GONE.has(errno)) throw this.#gone(errno, cause);
        throw new SerialError("SERIAL_IO_FAILED", `Writing to ${this.path} failed: ${errorMessage(cause)}`, {
          path: this.path,
          errno,
          cause,
        });
      }
    }
  }

  /** 0 ms (next turn) on the first stall, then 1, 2, 4 … up to 16 ms: quick when the peer keeps up, idle when it does not. */
  #pause(attempt: number): Promise<void> {
    const ms = attempt === 0 ? 0 : Math.min(2 ** (attempt - 1), MAX_PAUSE_MS);
    return new Promise((resolve) => {
      const wake = () => {
        clearTimeout(timer);
        this.#wakers.delete(wake);
        resolve();
      };
      const timer = setTimeout(wake, ms);
      this.#wakers.add(wake);
    });
  }

  #ioFailure(f: LibcFailure, operation: string): SerialError {
    if (GONE.has(f.errno)) return this.#gone(f.errno, undefined);
    if (UNSUPPORTED.has(f.errno) && operation !== "flush" && operation !== "drain") {
      return new SerialError(
        "SERIAL_UNSUPPORTED",
        `${this.path} does not support ${operation} (${f.errno})`,
        {
          path: this.path,
          errno: f.errno,
          data: { operation },
        },
      );
    }
    return new SerialError(
      "SERIAL_IO_FAILED",
      `${operation} on ${this.path} failed (${f.call}: ${f.errno})`,
      {
        path: this.path,
        errno: f.errno,
        data: { operation },
      },
    );
  }

  /** The device went away: close the port (once) and describe it. */
  #gone(code: string, cause: unknown): SerialError {
    void this.#shutdown({ disconnected: true, code });
    return new SerialError("SERIAL_DISCONNECTED", `${this.path} disconnected (${code})`, {
      path: this.path,
      errno: code,
      cause,
    });
  }

  #shutdown(payload: SerialClosePayload): Promise<void> {
    if (this.#closing !== undefined) return this.#closing;
    this.#open = false;
    for (const wake of [...this.#wakers]) wake();
    this.#closing = (async () => {
      // Stop Bun polling the descriptor before closing it, so the number is never polled after reuse.
      const reader = await this.#reader;
      await reader.cancel().catch(noop);
      // Bun's duplicate shares our open file: release the lock and exclusivity now, so a reopen
      // does not find the device busy while that duplicate is still being closed.
      if (this.#options.lock) {
        this.#lib.flock(this.#fd, LOCK_UN);
        this.#lib.ioctl(this.#fd, TIOCNXCL);
      }
      try {
        closeSync(this.#fd);
      } catch {
        // Closing a hung-up tty can report EIO; the descriptor is released all the same.
      }
      claimedFds.delete(this.#fd);
      await this.#duplicatesClosed();
      this.#settle(payload);
      for (const listener of [...this.#listeners]) {
        try {
          listener(payload);
        } catch {
          // A listener's own failure must not stop the others or the close (documented on `on`).
        }
      }
    })();
    return this.#closing;
  }
}
