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
 * A schema with async refinements (zod says so by throwing) takes the composed chain, `fallback`.
 *
 * Semantics match the onion: metrics see the call once, a timed-out call is counted at its deadline
 * and its late answer dropped, results are checked (never replaced) when `result` is given.
 */
export function direct(
  handler: ServiceHandler,
  stats: ServiceStats,
  schema: z.ZodType | undefined,
  result: z.ZodType | undefined,
  fallback: Run<CallContext>,
): Run<CallContext> {
  const fail = (ctx: CallContext, err: unknown): Promise<never> => {
    recordFailure(stats, performance.now() - ctx.startedAt, err);
    return Promise.reject(err);
  };
  const check = (ctx: CallContext, value: unknown): unknown => {
    if (result === undefined) return undefined;
    const checked = safeParse(result, value);
    if (checked instanceof Promise) return checked;
    return checked.success
      ? undefined
      : invalid("SERVICE_INVALID_RESULT", "result", ctx.service.name, checked.error);
  };
  return (ctx) => {
    let out: unknown;
    try {
      if (schema !== undefined) {
        let parsed: Parsed;
        try {
          parsed = tieredSafeParse(schema, ctx.params);
        } catch (err) {
          // A schema with async refinements: the composed chain parses it (nothing recorded yet).
          if (err instanceof z.core.$ZodAsyncError) return fallback(ctx);
          throw err;
        }
        if (!parsed.success)
          throw invalid("SERVICE_INVALID_PARAMS", "params", ctx.service.name, parsed.error);
        ctx.params = parsed.data;
      }
      out = handler(ctx.params, ctx);
    } catch (err) {
      return fail(ctx, err);
    }
    if (!(out instanceof Promise)) {
      const bad = check(ctx, out);
      if (bad !== undefined) return settleChecked(ctx, out, bad, stats);
      recordSuccess(stats, performance.now() - ctx.startedAt);
      return Promise.resolve(out);
    }
    return new Promise((resolve, reject) => {
      let done = false;
      const pending = new Pending(ctx.deadline, () => {
        done = true;
        const err = expire(ctx);
        recordFailure(stats, performance.now() - ctx.startedAt, err);
        reject(err);
      });
      deadlines.add(pending);
      out.then(
        (value) => {
          if (done) return;
          deadlines.remove(pending);
          done = true;
          const bad = check(ctx, value);
          if (bad === undefined) {
            recordSuccess(stats, performance.now() - ctx.startedAt);
            resolve(value);
          } else settleChecked(ctx, value, bad, stats).then(resolve, reject);
        },
        (err: unknown) => {
          if (done) return;
          deadlines.remove(pending);
          done = true;
          recordFailure(stats, performance.now() - ctx.startedAt, err);
          reject(err);
        },
      );
    });
  };
}

/** A result check that failed (an error) or has to finish asynchronously (a promise of a parse). */
function settleChecked(
  ctx: CallContext,
  value: unknown,
  bad: unknown,
  stats: ServiceStats,
): Promise<unknown> {
  const finish = (err: unknown): Promise<unknown> => {
    if (err === undefined) {
      recordSuccess(stats, performance.now() - ctx.startedAt);
      return Promise.resolve(value);
    }
    recordFailure(stats, performance.now() - ctx.startedAt, err);
    return Promise.reject(err);
  };
  if (!(bad instanceof Promise)) return finish(bad);
  return (bad as Promise<Parsed>).then((checked) =>
    finish(
      checked.success
        ? undefined
        : invalid("SERVICE_INVALID_RESULT", "result", ctx.service.name, checked.error),
    ),
  );
}
