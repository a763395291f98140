import { HearthError } from "../../../errors.ts";
import type { Logger } from "../../log/index.ts";
import type { Run } from "../compose.ts";
import type { CallState } from "../context.ts";
import type { ServiceRetryOptions } from "../types.ts";

/**
 * Re-runs the inner chain (timeout, validation, per-service middleware, handler) of an idempotent service.
 *
 * Unlike the other built-ins this wraps a composed chain instead of being a step in one: running the
 * inner chain again is exactly what the compose guard forbids a middleware to do with `next()`, so the
 * registry composes the chain in two parts and puts this between them.
 *
 * `attempts` counts the first try. The delay before try k+1 is `backoffMs * 2^(k-1)`. A retry that
 * would start after the call's deadline is not made: the last error goes to the caller instead.
 */
export function retry(inner: Run<CallState>, options: ServiceRetryOptions, log: Logger): Run<CallState> {
  const { attempts, backoffMs } = options;
  return async (ctx) => {
    // Validation replaces ctx.params; each attempt must start from what the caller sent.
    const params = ctx.params;
    let delay = backoffMs;
    for (;;) {
      try {
        return await inner(ctx);
      } catch (err) {
        if (ctx.attempt >= attempts || !isRetryable(err) || performance.now() + delay >= ctx.deadline)
          throw err;
        log.debug(
          { service: ctx.service.name, attempt: ctx.attempt, delayMs: delay },
          "retrying service call",
        );
        if (delay > 0) await Bun.sleep(delay);
        delay *= 2;
        ctx.attempt++;
        ctx.params = params;
      }
    }
  };
}

/** Errors we did not make may be transient; ours say so in `retryable`. Bad params never heal. */
function isRetryable(err: unknown): boolean {
  if (!(err instanceof HearthError)) return true;
  return err.retryable && err.code !== "SERVICE_INVALID_PARAMS";
}
