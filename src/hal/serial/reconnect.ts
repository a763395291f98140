/** Keeps a serial device open across unplug/replug, with capped exponential backoff. */
import { HearthError } from "../../errors.ts";
import { openSerialPort } from "./bun-serial.ts";
import type { SerialOpenOptions, SerialPort } from "./types.ts";

/** The timer functions the helper uses (tests inject fakes). */
export interface ReconnectTimers {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What `onRetry` hears after each failed open. */
export interface ReconnectRetryPayload {
  /** 1 for the first failure since the last successful open. */
  attempt: number;
  delayMs: number;
  error: HearthError;
}

export interface ReconnectingOptions extends Omit<SerialOpenOptions, "path"> {
  /** Stops the helper: closes the open port, ends a backoff wait, ends the iteration. */
  signal: AbortSignal;
  /** First delay after a failed open. Default 100 ms. */
  initialDelayMs?: number;
  /** Cap of the doubling delay. Default 5000 ms. */
  maxDelayMs?: number;
  /** Opens a port (default: the Bun driver). */
  open?: (options: SerialOpenOptions) => Promise<SerialPort>;
  timers?: ReconnectTimers;
  /** Called after each failed open, before the wait (for a log line). */
  onRetry?: (payload: ReconnectRetryPayload) => void;
}

const realTimers: ReconnectTimers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function wait(ms: number, signal: AbortSignal, timers: ReconnectTimers): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      timers.clearTimeout(handle);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const handle = timers.setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Yields an open port each time `path` can be opened. After a yielded port disconnects (unplug) it
 * tries again, waiting `initialDelayMs`, doubling up to `maxDelayMs`, and yields the new port once
 * the device is back. Retryable open errors (not found, access denied — udev fixes permissions a
 * moment after a replug —, busy) are retried; others (invalid options, not a tty) end the iteration
 * by throwing. The iteration ends when `signal` aborts (the open port is closed), when a yielded port
 * is closed with `close()`, or when the consumer breaks out of the loop (the port is closed).
 *
 * @example
 * for await (const port of reconnecting("/dev/serial/by-id/usb-ITead_Sonoff…", { baudRate: 115200, signal })) {
 *   for await (const chunk of port) handle(chunk); // ends when the stick is unplugged
 * }
 */
export async function* reconnecting(
  path: string,
  options: ReconnectingOptions,
): AsyncGenerator<SerialPort, void, undefined> {
  const {
    signal,
    initialDelayMs = 100,
    maxDelayMs = 5000,
    open = openSerialPort,
    timers = realTimers,
    onRetry,
    ...openOptions
  } = options;
  if (!(initialDelayMs > 0) || !(maxDelayMs >= initialDelayMs)) {
    throw new HearthError("INVALID_ARGUMENT", "reconnecting needs 0 < initialDelayMs <= maxDelayMs", {
      data: { initialDelayMs, maxDelayMs },
    });
  }
  let failures = 0;
  while (!signal.aborted) {
    let port: SerialPort;
    try {
      port = await open({ ...openOptions, path });
    } catch (err) {
      if (!(err instanceof HearthError) || !err.retryable) throw err;
      const delayMs = Math.min(maxDelayMs, initialDelayMs * 2 ** failures);
      failures++;
      onRetry?.({ attempt: failures, delayMs, error: err });
      await wait(delayMs, signal, timers);
      continue;
    }
    failures = 0;
    const closeOnAbort = () => void port.close();
    signal.addEventListener("abort", closeOnAbort, { once: true });
    try {
      if (signal.aborted) return;
      yield port;
      const { disconnected } = await port.closed;
      if (!disconnected) return;
    } finally {
      signal.removeEventListener("abort", closeOnAbort);
      if (port.isOpen) await port.close();
    }
  }
}
