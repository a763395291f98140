import { HearthError } from "../../errors.ts";

/** setTimeout fires at once for anything above a signed 32-bit millisecond count. */
export const MAX_TIMER_MS = 2_147_483_647;

/** Throws INVALID_ARGUMENT unless `ms` is a usable timeout: a number of ms in (0, MAX_TIMER_MS]. */
export function checkTimeout(ms: unknown, what: string): number {
  if (typeof ms !== "number" || !Number.isFinite(ms) || ms <= 0 || ms > MAX_TIMER_MS) {
    throw new HearthError("INVALID_ARGUMENT", `${what} must be a number of ms in (0, ${MAX_TIMER_MS}]`, {
      data: { [what]: ms },
    });
  }
  return ms;
}
