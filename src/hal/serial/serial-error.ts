/** The error every serial operation throws: a HearthError that also speaks serialport's dialect. */
import { type ErrorCode, HearthError } from "../../errors.ts";

export interface SerialErrorOptions {
  path: string;
  /** errno name (`EIO`, `EACCES` …) or `EOF`, when the OS said why. */
  errno?: string;
  /** True for operations cut short by `close()` (serialport's binding interface requires it). */
  canceled?: boolean;
  /** Extra JSON detail. */
  data?: Record<string, unknown>;
  cause?: unknown;
}

/**
 * A serial failure with a stable code. `canceled` is true exactly for operations ended by `close()`,
 * which `@serialport/stream` ignores; any other error makes it treat the port as disconnected.
 *
 * @example
 * port.read().catch((err) => { if (err instanceof SerialError && err.canceled) return; throw err; });
 */
export class SerialError extends HearthError {
  readonly canceled: boolean;
  readonly errno: string | undefined;

  constructor(code: ErrorCode, message: string, options: SerialErrorOptions) {
    super(code, message, {
      data: { path: options.path, ...(options.errno ? { errno: options.errno } : {}), ...options.data },
      cause: options.cause,
    });
    this.name = "SerialError";
    this.canceled = options.canceled ?? false;
    this.errno = options.errno;
  }
}

/** The errno name carried by a Node-style error (`err.code`), if any. */
export function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
