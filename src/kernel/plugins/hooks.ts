import { errorMessage, HearthError } from "../../errors.ts";
import { withTimeout } from "../util/index.ts";
import type { PluginHookName } from "./types.ts";

/**
 * Runs one lifecycle hook under its timeout. A throw becomes PLUGIN_HOOK_FAILED (the original error as
 * `cause` and in `data.cause`); the deadline becomes PLUGIN_HOOK_TIMEOUT with `data: { plugin, hook }`.
 */
export async function runHook(
  plugin: string,
  hook: PluginHookName,
  fn: () => void | Promise<void>,
  timeoutMs: number,
): Promise<void> {
  let timedOut: HearthError | undefined;
  try {
    await withTimeout(fn, timeoutMs, () => {
      timedOut = new HearthError(
        "PLUGIN_HOOK_TIMEOUT",
        `Plugin "${plugin}" ${hook} did not finish within ${timeoutMs} ms`,
        { data: { plugin, hook, timeoutMs } },
      );
      return timedOut;
    });
  } catch (err) {
    if (err === timedOut) throw err;
    const code = err instanceof HearthError ? err.code : undefined;
    throw new HearthError("PLUGIN_HOOK_FAILED", `Plugin "${plugin}" ${hook} failed: ${errorMessage(err)}`, {
      data: {
        plugin,
        hook,
        cause: code === undefined ? { message: errorMessage(err) } : { code, message: errorMessage(err) },
      },
      cause: err,
    });
  }
}
