import { HearthError } from "../../errors.ts";

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
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(
        new HearthError(
          "MODULE_HOOK_TIMEOUT",
          `Module "${module}" ${hook} hook did not finish within ${timeoutMs} ms`,
          { data: { module, hook, timeoutMs } },
        ),
      );
    }, timeoutMs);
    const done = (settle: () => void) => {
      clearTimeout(timer);
      settle();
    };
    let result: void | Promise<void>;
    try {
      result = fn();
    } catch (err) {
      done(() => reject(err));
      return;
    }
    Promise.resolve(result).then(
      () => done(resolve),
      (err: unknown) => done(() => reject(err)),
    );
  });
}
