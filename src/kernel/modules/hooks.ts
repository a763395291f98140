import { HearthError } from "../../errors.ts";
import { withTimeout } from "../util/index.ts";

export type LifecycleHook = "register" | "start" | "stop";

/**
 * Runs one hook (sync or async) and settles within `timeoutMs`. A sync throw becomes a rejection; a
 * hook still running at the deadline rejects with MODULE_HOOK_TIMEOUT and is abandoned (its late
 * outcome is ignored).
 */
export function runHook(
  module: string,
  hook: LifecycleHook,
  fn: () => void | Promise<void>,
  timeoutMs: number,
): Promise<void> {
  return withTimeout(
    fn,
    timeoutMs,
    () =>
      new HearthError(
        "MODULE_HOOK_TIMEOUT",
        `Module "${module}" ${hook} hook did not finish within ${timeoutMs} ms`,
        {
          data: { module, hook, timeoutMs },
        },
      ),
  );
}
