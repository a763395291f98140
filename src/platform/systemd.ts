/**
 * systemd integration without a native addon: sd_notify(3) is one datagram on a unix socket, sent
 * here through libc via bun:ffi (socket + sendto), with `systemd-notify` as the fallback where libc
 * cannot be loaded. Everything is a no-op when $NOTIFY_SOCKET is unset (not under systemd).
 */
import type { Logger } from "../kernel/log/index.ts";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const SUN_PATH_MAX = 108;

interface Libc {
  socket(domain: number, type: number, protocol: number): number;
  sendto(
    fd: number,
    buf: Uint8Array,
    len: number,
    flags: number,
    addr: Uint8Array,
    addrlen: number,
  ): number | bigint;
  close(fd: number): number;
}

let libc: Libc | null | undefined;

async function loadLibc(): Promise<Libc | null> {
  if (libc !== undefined) return libc;
  try {
    const { dlopen, FFIType } = await import("bun:ffi");
    const lib = dlopen("libc.so.6", {
      socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
      sendto: {
        args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32],
        returns: FFIType.i64,
      },
      close: { args: [FFIType.i32], returns: FFIType.i32 },
    });
    libc = lib.symbols as unknown as Libc;
  } catch {
    libc = null;
  }
  return libc;
}

/**
 * `struct sockaddr_un` for a path, or an abstract name written `@name` (as systemd does); undefined
 * when the path does not fit (systemd never hands out such a socket, so there is nobody to notify).
 */
export function sockaddrUn(path: string): { addr: Uint8Array; len: number } | undefined {
  const abstract = path.startsWith("@");
  const name = new TextEncoder().encode(abstract ? path.slice(1) : path);
  if (name.length + 1 > SUN_PATH_MAX) return undefined;
  const addr = new Uint8Array(2 + SUN_PATH_MAX);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  // Abstract names start with a NUL byte and are not NUL-terminated; their length is exact.
  addr.set(name, abstract ? 3 : 2);
  return { addr, len: abstract ? 3 + name.length : 2 + name.length + 1 };
}

/**
 * Sends one sd_notify message (`READY=1`, `STOPPING=1`, `WATCHDOG=1`, `STATUS=…`).
 * Returns false when not under systemd or when sending failed (never throws).
 */
export async function sdNotify(state: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const socketPath = env.NOTIFY_SOCKET;
  if (!socketPath) return false;
  const c = await loadLibc();
  if (c) {
    const sockaddr = sockaddrUn(socketPath);
    if (sockaddr === undefined) return false;
    const { addr, len } = sockaddr;
    const fd = c.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    try {
      const msg = new TextEncoder().encode(state);
      return Number(c.sendto(fd, msg, msg.length, 0, addr, len)) === msg.length;
    } finally {
      c.close(fd);
    }
  }
  // No libc (a musl build of Bun, which Hearth does not ship): the systemd-notify tool does the same,
  // but as a child process, so only under NotifyAccess=all (the shipped unit says main).
  try {
    const proc = Bun.spawn(["systemd-notify", `--pid=${process.pid}`, ...state.split("\n")], {
      env: { ...env },
      stdout: "ignore",
      stderr: "ignore",
    });
    return (await proc.exited) === 0;
  } catch {
    return false;
  }
}

/** The watchdog interval asked for by systemd (WatchdogSec=), in ms, or undefined. */
export function watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const usec = Number(env.WATCHDOG_USEC);
  if (!Number.isFinite(usec) || usec <= 0) return undefined;
  // WATCHDOG_PID, when set, names the process the watchdog is meant for.
  if (env.WATCHDOG_PID && Number(env.WATCHDOG_PID) !== process.pid) return undefined;
  return usec / 1000;
}

/**
 * Pings the systemd watchdog at half its interval, but only while `healthy()` says so: a wedged event
 * loop or an unhealthy runtime stops the pings and systemd restarts the service. Returns a stopper.
 */
export function startWatchdog(options: {
  healthy: () => Promise<boolean>;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}): () => void {
  const env = options.env ?? process.env;
  const interval = watchdogIntervalMs(env);
  if (interval === undefined) return () => {};
  let missed = false;
  const timer = setInterval(() => {
    void (async () => {
      const ok = await options.healthy().catch(() => false);
      if (ok) {
        if (missed) options.logger.info("healthy again: watchdog pings resumed");
        missed = false;
        await sdNotify("WATCHDOG=1", env);
      } else if (!missed) {
        missed = true;
        options.logger.error(
          { intervalMs: interval },
          "unhealthy: withholding watchdog pings (systemd will restart)",
        );
      }
    })();
  }, interval / 2);
  timer.unref();
  return () => clearInterval(timer);
}
