import { isHearthError } from "../../../errors.ts";
import type { Step } from "../compose.ts";
import type { MiddlewareContext, ServiceStats } from "../types.ts";

/** Counts calls, failures and timeouts of one service into `stats`, and sums call durations. */
export function metrics(stats: ServiceStats): Step<MiddlewareContext> {
  // Written with then() rather than async/try/finally: this runs on every call of every service.
  return (_ctx, next) => {
    const start = performance.now();
    stats.calls++;
    return next().then(
      (value) => {
        stats.totalMs += performance.now() - start;
        return value;
      },
      (err: unknown) => {
        stats.totalMs += performance.now() - start;
        stats.failures++;
        if (isHearthError(err, "SERVICE_TIMEOUT")) stats.timeouts++;
        throw err;
      },
    );
  };
}
