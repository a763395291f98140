import { HearthError } from "../../../errors.ts";
import type { Step } from "../compose.ts";
import type { CallState } from "../context.ts";

/**
 * Bounds every call. The budget is the caller's whole call, not one attempt: `ctx.deadline` is fixed when
 * the call starts, and this step (which sits inside retry) arms a timer for whatever remains of it. A
 * caller who asks for 1000 ms therefore never waits much longer than that, however many retries the
 * service allows; the price is that a timed-out attempt is not retried (no budget is left for it).
 *
 * One setTimeout and one clearTimeout per attempt; the timer is cleared as soon as the attempt settles.
 */
export const timeout: Step<CallState> = (ctx, next) => {
  const remaining = ctx.deadline - performance.now();
  if (remaining <= 0) return Promise.reject(expire(ctx));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(expire(ctx)), remaining);
    // After the timer fired, resolve/reject are no-ops: a late result or error is dropped.
    next().then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (err: unknown) => {
        clearTimeout(timer);
        reject(err);
      },
    );
  });
};

function expire(ctx: CallState): HearthError {
  const { name } = ctx.service;
  const err = new HearthError(
    "SERVICE_TIMEOUT",
    `Service "${name}" did not answer within ${ctx.timeoutMs} ms`,
    {
      data: { name, timeoutMs: ctx.timeoutMs },
    },
  );
  ctx.abort(err);
  return err;
}
