import { isHearthError } from "../../../errors.ts";
import type { Step } from "../compose.ts";
import type { MiddlewareContext, ServiceStats } from "../types.ts";

/** Upper bounds of the duration histogram, ms: sub-millisecond local calls up to timed-out remote ones. */
export const SERVICE_DURATION_BUCKETS_MS: readonly number[] = Object.freeze([
  0.5, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000, 30000,
]);

const CODE = /^[A-Z][A-Z0-9_]{0,63}$/;

/** The stable code of an error (a HearthError's, or a Node errno code), else `UNKNOWN`. */
export function errorCode(err: unknown): string {
  const code = (err as { code?: unknown } | null | undefined)?.code;
  return typeof code === "string" && CODE.test(code) ? code : "UNKNOWN";
}

/** Fresh counters for a service. */
export function newServiceStats(): ServiceStats {
  return {
    calls: 0,
    failures: 0,
    faults: 0,
    timeouts: 0,
    totalMs: 0,
    errors: {},
    durationBuckets: new Array(SERVICE_DURATION_BUCKETS_MS.length + 1).fill(0),
  };
}

function observe(stats: ServiceStats, ms: number): void {
  stats.totalMs += ms;
  const bounds = SERVICE_DURATION_BUCKETS_MS;
  let i = 0;
  while (i < bounds.length && ms > (bounds[i] as number)) i++;
  (stats.durationBuckets[i] as number)++;
}

/** One call that answered, after `ms`. */
export function recordSuccess(stats: ServiceStats, ms: number): void {
  stats.calls++;
  observe(stats, ms);
}

/** One call that failed with `err`, after `ms`. */
export function recordFailure(stats: ServiceStats, ms: number, err: unknown): void {
  stats.calls++;
  observe(stats, ms);
  stats.failures++;
  const code = errorCode(err);
  stats.errors[code] = (stats.errors[code] ?? 0) + 1;
  if (!isHearthError(err) || err.httpStatus >= 500) stats.faults++;
  if (code === "SERVICE_TIMEOUT") stats.timeouts++;
}

/**
 * Counts calls, failures by code, faults and timeouts of one service into `stats`, and its call
 * durations into the histogram. Outermost but for global middleware, so it sees each call once,
 * retries and timeouts included.
 */
export function metrics(stats: ServiceStats): Step<MiddlewareContext> {
  // Written with then() rather than async/try/finally: this runs on every call of every service.
  return (_ctx, next) => {
    const start = performance.now();
    return next().then(
      (value) => {
        recordSuccess(stats, performance.now() - start);
        return value;
      },
      (err: unknown) => {
        recordFailure(stats, performance.now() - start, err);
        throw err;
      },
    );
  };
}
