import { HearthError } from "../../../errors.ts";
import type { Step } from "../compose.ts";
import type { CallState } from "../context.ts";
import { deadlines, Pending } from "./deadlines.ts";

/**
 * Bounds every call. The budget is the caller's whole call, not one attempt: `ctx.deadline` is fixed when
 * the call starts, and this step (which sits inside retry) bounds each attempt by whatever remains of it.
 * A caller who asks for 1000 ms therefore never waits much longer than that, however many retries the
 * service allows; the price is that a timed-out attempt is not retried (no budget is left for it).
 *
 * No timer per attempt: the attempt joins the shared deadline heap (`deadlines.ts`, one timer for every
 * call in flight) and leaves it as soon as it settles.
 */
export const timeout: Step<CallState> = (ctx, next) => {
  if (ctx.deadline - performance.now() <= 0) return Promise.reject(expire(ctx));
  return new Promise((resolve, reject) => {
    // After the deadline passed, resolve/reject are no-ops: a late result or error is dropped.
    const pending = new Pending(ctx.deadline, () => reject(expire(ctx)));
    deadlines.add(pending);
    next().then(
      (value) => {
        deadlines.remove(pending);
        resolve(value);
      },
      (err: unknown) => {
        deadlines.remove(pending);
        reject(err);
      },
    );
  });
};

/** The timeout error of `ctx`'s call; aborts its signal. */
export function expire(ctx: CallState): HearthError {
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
