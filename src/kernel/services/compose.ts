import { HearthError } from "../../errors.ts";
import type { Next } from "./types.ts";

/** A middleware over a context type `C` (the built-ins see more of the call than `MiddlewareContext`). */
export type Step<C> = (ctx: C, next: Next) => Promise<unknown>;
/** A composed chain, or the innermost step that runs the handler. */
export type Run<C> = (ctx: C) => Promise<unknown>;

/**
 * Composes an onion, outermost first, around `terminal`. Called once per registration, not per call.
 * With no middleware the terminal itself is returned, so an empty chain costs nothing.
 */
export function compose<C>(middleware: readonly Step<C>[], terminal: Run<C>): Run<C> {
  const steps = [...middleware];
  const n = steps.length;
  if (n === 0) return terminal;
  return (ctx) => {
    let reached = -1;
    const dispatch = (i: number): Promise<unknown> => {
      // A second next() would run the rest of the chain (and the handler) again behind the caller's back.
      if (i <= reached) {
        return Promise.reject(
          new HearthError("INTERNAL_ERROR", "A service middleware called next() more than once"),
        );
      }
      reached = i;
      const step = steps[i];
      if (step === undefined) return terminal(ctx);
      try {
        return step(ctx, () => dispatch(i + 1));
      } catch (err) {
        return Promise.reject(err);
      }
    };
    return dispatch(0);
  };
}
