/**
 * The libc calls the serial driver needs, through bun:ffi, required (not imported) the first time a
 * port is opened: a static import of bun:ffi is hoisted to the top of the bundle and cost every
 * start-up ~0.4 ms, even with this module itself loaded lazily.
 *
 * ioctl is variadic in C; it is bound with a fixed (int, unsigned long, void *) signature, which is
 * how the variadic call is passed on x86-64 and on Linux arm64 (AAPCS64 passes variadic arguments
 * like named ones there; Apple's arm64 ABI would not). Every request used takes a pointer or nothing.
 */
import type * as BunFfi from "bun:ffi";

function load(ffi: typeof BunFfi) {
  const { i32, u32, u64, ptr: pointer, void: none } = ffi.FFIType;
  return ffi.dlopen("libc.so.6", {
    tcgetattr: { args: [i32, pointer], returns: i32 },
    tcsetattr: { args: [i32, i32, pointer], returns: i32 },
    cfmakeraw: { args: [pointer], returns: none },
    cfsetspeed: { args: [pointer, u32], returns: i32 },
    tcdrain: { args: [i32], returns: i32 },
    tcflush: { args: [i32, i32], returns: i32 },
    ioctl: { args: [i32, u64, pointer], returns: i32 },
    flock: { args: [i32, i32], returns: i32 },
    __errno_location: { args: [], returns: pointer },
  }).symbols;
}

/** errno values the driver tells apart (asm-generic/errno-base.h, same on both targets). */
export const ERRNO_NAMES: Readonly<Record<number, string>> = {
  1: "EPERM",
  2: "ENOENT",
  5: "EIO",
  6: "ENXIO",
  9: "EBADF",
  11: "EAGAIN",
  13: "EACCES",
  16: "EBUSY",
  19: "ENODEV",
  22: "EINVAL",
  25: "ENOTTY",
  95: "EOPNOTSUPP",
};

/** A libc call's failure: the errno name (or `errno <n>`) and the call. */
export interface LibcFailure {
  errno: string;
  call: string;
}

/** The thin, checked surface over the symbols: each returns a LibcFailure instead of -1. */
export interface Libc {
  tcgetattr(fd: number, termios: Uint8Array): LibcFailure | undefined;
  tcsetattr(fd: number, termios: Uint8Array): LibcFailure | undefined;
  cfmakeraw(termios: Uint8Array): void;
  cfsetspeed(termios: Uint8Array, speed: number): LibcFailure | undefined;
  tcdrain(fd: number): LibcFailure | undefined;
  tcflush(fd: number, queue: number): LibcFailure | undefined;
  /** ioctl with an int argument read or written through a pointer; `arg` undefined passes NULL. */
  ioctl(fd: number, request: number, arg?: Int32Array): LibcFailure | undefined;
  flock(fd: number, operation: number): LibcFailure | undefined;
}

let cached: Libc | undefined;

/** Binds libc once per process. Throws what dlopen throws (no libc.so.6: musl, not Linux). */
export function libc(): Libc {
  if (cached) return cached;
  const ffi = require("bun:ffi") as typeof BunFfi;
  const { ptr, read } = ffi;
  const sym = load(ffi);
  const errno = (): string => {
    const location = sym.__errno_location();
    const n = location === null ? -1 : read.i32(location, 0);
    return ERRNO_NAMES[n] ?? `errno ${n}`;
  };
  const check = (call: string, rc: number): LibcFailure | undefined =>
    rc === 0 || (rc > 0 && call === "ioctl") ? undefined : { errno: errno(), call };
  cached = {
    tcgetattr: (fd, t) => check("tcgetattr", sym.tcgetattr(fd, ptr(t))),
    tcsetattr: (fd, t) => check("tcsetattr", sym.tcsetattr(fd, 0, ptr(t))),
    cfmakeraw: (t) => sym.cfmakeraw(ptr(t)),
    cfsetspeed: (t, speed) => check("cfsetspeed", sym.cfsetspeed(ptr(t), speed)),
    tcdrain: (fd) => check("tcdrain", sym.tcdrain(fd)),
    tcflush: (fd, queue) => check("tcflush", sym.tcflush(fd, queue)),
    ioctl: (fd, request, arg) => check("ioctl", sym.ioctl(fd, request, arg === undefined ? null : ptr(arg))),
    flock: (fd, operation) => check("flock", sym.flock(fd, operation)),
  };
  return cached;
}
