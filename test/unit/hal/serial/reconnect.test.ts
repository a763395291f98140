import { describe, expect, it } from "bun:test";
import { type ReconnectTimers, reconnecting, SerialError } from "../../../../src/hal/serial/index.ts";
import type { SerialClosePayload, SerialOpenOptions, SerialPort } from "../../../../src/hal/serial/types.ts";
import { hearthRejection } from "../../../helpers/errors.ts";

/** Timers that only fire when the test says so; records every delay asked for. */
function manualTimers() {
  const pending = new Map<number, () => void>();
  const delays: number[] = [];
  let next = 0;
  const timers: ReconnectTimers = {
    setTimeout(callback, ms) {
      delays.push(ms);
      pending.set(++next, callback);
      return next;
    },
    clearTimeout(handle) {
      pending.delete(handle as number);
    },
  };
  const fire = async () => {
    const [[id, callback]] = [...pending] as [[number, () => void]];
    pending.delete(id);
    callback();
    await Bun.sleep(0);
  };
  return { timers, delays, pending, fire };
}

/** A port whose close can be driven from the test. */
function fakePort(path: string): SerialPort & { unplug(): void } {
  let open = true;
  let settle: (p: SerialClosePayload) => void = () => {};
  const closed = new Promise<SerialClosePayload>((r) => {
    settle = r;
  });
  const end = (payload: SerialClosePayload) => {
    if (!open) return;
    open = false;
    settle(payload);
  };
  return {
    path,
    get isOpen() {
      return open;
    },
    closed,
    close: async () => end({ disconnected: false }),
    unplug: () => end({ disconnected: true, code: "EIO" }),
  } as unknown as SerialPort & { unplug(): void };
}

const notFound = (path: string) =>
  new SerialError("SERIAL_PORT_NOT_FOUND", "gone", { path, errno: "ENOENT" });

describe("reconnecting", () => {
  it("retries with doubling delays up to the cap, then yields the port when the path is back", async () => {
    const { timers, delays, fire } = manualTimers();
    let attempts = 0;
    const port = fakePort("/dev/ttyUSB0");
    const open = async (o: SerialOpenOptions) => {
      expect(o).toEqual({ path: "/dev/ttyUSB0", baudRate: 115200 });
      if (++attempts <= 5) throw notFound(o.path);
      return port;
    };
    const abort = new AbortController();
    const ports = reconnecting("/dev/ttyUSB0", {
      baudRate: 115200,
      signal: abort.signal,
      open,
      timers,
      initialDelayMs: 100,
      maxDelayMs: 500,
    });
    const first = ports.next();
    for (let i = 0; i < 5; i++) {
      await Bun.sleep(0);
      await fire();
    }
    expect((await first).value).toBe(port);
    expect(delays).toEqual([100, 200, 400, 500, 500]);
    abort.abort();
    expect((await ports.next()).done).toBe(true);
    expect(port.isOpen).toBe(false);
  });

  it("starts again from the initial delay after a successful open", async () => {
    const { timers, delays, fire } = manualTimers();
    const ports: ReturnType<typeof fakePort>[] = [];
    const fails = [true, false, true, true, false];
    const open = async (o: SerialOpenOptions) => {
      if (fails.shift()) throw notFound(o.path);
      const p = fakePort(o.path);
      ports.push(p);
      return p;
    };
    const abort = new AbortController();
    const it = reconnecting("/dev/x", {
      signal: abort.signal,
      open,
      timers,
      initialDelayMs: 10,
      maxDelayMs: 1000,
    });
    const first = it.next();
    await Bun.sleep(0);
    await fire();
    expect((await first).value).toBe(ports[0]);
    ports[0]?.unplug();
    const second = it.next();
    await Bun.sleep(0);
    await fire();
    await fire();
    expect((await second).value).toBe(ports[1]);
    expect(delays).toEqual([10, 10, 20]);
    abort.abort();
    await it.next();
  });

  it("ends a backoff wait at once on abort, without a port", async () => {
    const { timers, pending } = manualTimers();
    const abort = new AbortController();
    const it = reconnecting("/dev/x", {
      signal: abort.signal,
      open: async (o) => Promise.reject(notFound(o.path)),
      timers,
    });
    const next = it.next();
    await Bun.sleep(0);
    expect(pending.size).toBe(1);
    abort.abort();
    expect(await next).toEqual({ done: true, value: undefined });
    expect(pending.size).toBe(0);
  });

  it("throws errors that retrying cannot fix", async () => {
    const abort = new AbortController();
    const bad = new SerialError("SERIAL_CONFIG_INVALID", "bad", { path: "/dev/x" });
    const it = reconnecting("/dev/x", { signal: abort.signal, open: async () => Promise.reject(bad) });
    await hearthRejection(it.next(), "SERIAL_CONFIG_INVALID");
  });

  it("ends when the consumer closes the port itself, and closes it when the consumer breaks out", async () => {
    const abort = new AbortController();
    const made: ReturnType<typeof fakePort>[] = [];
    const open = async (o: SerialOpenOptions) => {
      const p = fakePort(o.path);
      made.push(p);
      return p;
    };
    for await (const port of reconnecting("/dev/x", { signal: abort.signal, open })) await port.close();
    expect(made).toHaveLength(1);
    for await (const _port of reconnecting("/dev/x", { signal: abort.signal, open })) break;
    expect(made).toHaveLength(2);
    expect(made[1]?.isOpen).toBe(false);
  });

  it("refuses a zero or inverted delay range", async () => {
    const it = reconnecting("/dev/x", { signal: new AbortController().signal, initialDelayMs: 0 });
    await hearthRejection(it.next(), "INVALID_ARGUMENT");
  });
});
