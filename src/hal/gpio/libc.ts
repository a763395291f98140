/**
 * The few libc calls the gpiochip driver needs, through bun:ffi. Loaded on first use only (a dynamic
 * import keeps bun:ffi out of start-up, also inside a compiled binary). Every call has a fixed
 * signature: `ioctl` and `fcntl` are variadic in C, but on x86-64 and arm64 Linux an int or pointer
 * third argument travels in the same register either way.
 */
import { HearthError } from "../../errors.ts";

export interface Libc {
  /** Returns the raw result: -1 means failure, then read `errno()`. */
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  /** Returns bytes read, 0 at end, -1 on failure (EAGAIN when a non-blocking fd is empty). */
  read(fd: number, buf: Uint8Array): number;
  /** errno of the last failed call on this thread; read it right after the call. */
  errno(): number;
}

/** errno values (asm-generic: the same on x86-64 and arm64). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EINTR: 4,
  ENXIO: 6,
  EAGAIN: 11,
  EACCES: 13,
  EBUSY: 16,
  ENODEV: 19,
  EINVAL: 22,
  ENOTTY: 25,
} as const;

export const F_GETFL = 3;
export const F_SETFL = 4;
export const O_NONBLOCK = 0o4000;

let loading: Promise<Libc> | undefined;

/** Loads libc.so.6 once per process. */
export function loadLibc(): Promise<Libc> {
  loading ??= (async (): Promise<Libc> => {
    try {
      const ffi = await import("bun:ffi");
      const { i32, u64, ptr } = ffi.FFIType;
      const lib = ffi.dlopen("libc.so.6", {
        ioctl: { args: [i32, u64, ptr], returns: i32 },
        fcntl: { args: [i32, i32, i32], returns: i32 },
        read: { args: [i32, ptr, u64], returns: i32 },
        __errno_location: { args: [], returns: ptr },
      });
      const { ioctl, fcntl, read, __errno_location } = lib.symbols;
      return {
        ioctl: (fd, request, arg) => ioctl(fd, request, arg),
        fcntl: (fd, cmd, arg) => fcntl(fd, cmd, arg),
        read: (fd, buf) => read(fd, buf, buf.byteLength),
        errno: () => {
          const at = __errno_location();
          return at === null ? 0 : ffi.read.i32(at, 0);
        },
      };
    } catch (err) {
      loading = undefined;
      throw new HearthError("GPIO_UNAVAILABLE", `Cannot load libc.so.6 through bun:ffi: ${String(err)}`, {
        cause: err,
      });
    }
  })();
  return loading;
}
