import * as z from "zod";
import { tieredSafeParse } from "../../util/tiered-parse.ts";
import type { Run } from "../compose.ts";
import type { CallContext } from "../context.ts";
import type { ServiceHandler, ServiceStats } from "../types.ts";
import { deadlines, Pending } from "./deadlines.ts";
import { recordFailure, recordSuccess } from "./metrics.ts";
import { expire } from "./timeout.ts";
import { invalid, type Parsed, safeParse } from "./validation.ts";

/**
 * The chain of a service with nothing but the built-ins every service has (metrics, timeout, and
 * validation when it has a schema): the same steps as the composed onion, in one function. No
 * closure per step and call, one clock read at each end (the start is the context's), and a
 * handler that answers synchronously never joins the deadline heap or allocates a promise to race it.
 * A params schema with async refinements (zod says so by throwing) sends this and every later call
 * to the composed chain, `fallback`.
 *
 * Semantics match the onion: metrics see the call once; a timed-out call is counted at its deadline
 * and its late answer dropped; the result is checked (never replaced) when `result` is given, within
 * the deadline, and a check that fails or throws is a failed call; a thenable answer is awaited.
 */
export function direct(
  handler: ServiceHandler,
  stats: ServiceStats,
  schema: z.ZodType | undefined,
  result: z.ZodType | undefined,
  fallback: Run<CallContext>,
): Run<CallContext> {
  let asyncSchema = false;

  /** What the result check says: undefined (fine), an error, or a promise of either. */
  const check = (ctx: CallContext, value: unknown): unknown => {
    if (result === undefined) return undefined;
    try {
      const checked = safeParse(result, value);
      if (checked instanceof Promise) {
        return checked.then(
          (c: Parsed) =>
            c.success ? undefined : invalid("SERVICE_INVALID_RESULT", "result", ctx.service.name, c.error),
          (err: unknown) => err,
        );
      }
      return checked.success
        ? undefined
        : invalid("SERVICE_INVALID_RESULT", "result", ctx.service.name, checked.error);
    } catch (err) {
      return err;
    }
  };

  return (ctx) => {
    if (asyncSchema) return fallback(ctx);
    let out: unknown;
    try {
      if (schema !== undefined) {
        let parsed: Parsed;
        try {
          parsed = tieredSafeParse(schema, ctx.params);
        } catch (err) {
          if (err instanceof z.core.$ZodAsyncError) {
            // Async refinements: the composed chain parses this schema, now and from now on.
            asyncSchema = true;
            return fallback(ctx);
          }
          throw err;
        }
        if (!parsed.success)
          throw invalid("SERVICE_INVALID_PARAMS", "params", ctx.service.name, parsed.error);
        ctx.params = parsed.data;
      }
      out = handler(ctx.params, ctx);
    } catch (err) {
      recordFailure(stats, performance.now() - ctx.startedAt, err);
      return Promise.reject(err);
    }
    if (isThenable(out)) return race(ctx, out instanceof Promise ? out : Promise.resolve(out));
    const verdict = check(ctx, out);
    if (verdict === undefined) {
      recordSuccess(stats, performance.now() - ctx.startedAt);
      return Promise.resolve(out);
    }
    if (!(verdict instanceof Promise)) {
      recordFailure(stats, performance.now() - ctx.startedAt, verdict);
      return Promise.reject(verdict);
    }
    return race(ctx, Promise.resolve(out), verdict);
  };

  /**
   * Settles with `answer` (checked) or the timeout error at the deadline, whichever comes first;
   * `verdict` is a result check already under way for a synchronous answer.
   */
  function race(ctx: CallContext, answer: Promise<unknown>, verdict?: Promise<unknown>): Promise<unknown> {
    return new Promise((resolve, reject) => {
      let done = false;
      const pending = new Pending(ctx.deadline, () => {
        done = true;
        const err = expire(ctx);
        recordFailure(stats, performance.now() - ctx.startedAt, err);
        reject(err);
      });
      deadlines.add(pending);
      const succeed = (value: unknown) => {
        if (done) return;
        done = true;
        deadlines.remove(pending);
        recordSuccess(stats, performance.now() - ctx.startedAt);
        resolve(value);
      };
      const fail = (err: unknown) => {
        if (done) return;
        done = true;
        deadlines.remove(pending);
        recordFailure(stats, performance.now() - ctx.startedAt, err);
        reject(err);
      };
      const judge = (value: unknown, v: unknown) => {
        if (v === undefined) succeed(value);
        else if (v instanceof Promise) v.then((w) => (w === undefined ? succeed(value) : fail(w)), fail);
        else fail(v);
      };
      answer.then((value) => {
        if (done) return;
        judge(value, verdict ?? check(ctx, value));
      }, fail);
    });
  }
}

function isThenable(v: unknown): v is PromiseLike<unknown> {
  return (
    v instanceof Promise ||
    (v !== null &&
      (typeof v === "object" || typeof v === "function") &&
      typeof (v as { then?: unknown }).then === "function")
  );
}
