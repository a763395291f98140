import { errorMessage, HearthError } from "../../errors.ts";
import type { SkipReason } from "./order.ts";
import type { PluginError, PluginHookName } from "./types.ts";

/** A thrown value as PluginInfo carries it; anything that is not a HearthError is reported under `fallback`. */
export function toPluginError(
  err: unknown,
  hook: PluginHookName | undefined,
  fallback: "PLUGIN_LOAD_FAILED" | "PLUGIN_HOOK_FAILED",
): PluginError {
  const base =
    err instanceof HearthError
      ? { code: err.code as string, message: err.message, data: err.data }
      : { code: fallback as string, message: errorMessage(err) };
  const out: PluginError = { code: base.code, message: base.message };
  if (hook !== undefined) out.hook = hook;
  if ("data" in base && base.data !== undefined) out.data = base.data;
  return out;
}

/** PLUGIN_DEPENDENCY_MISSING: `dependency` is `why` ("is not installed", "is disabled", "failed"…). */
export function dependencyMissing(
  plugin: string,
  dependency: string,
  why: string,
  root?: string,
): PluginError {
  return {
    code: "PLUGIN_DEPENDENCY_MISSING",
    message: `Plugin "${plugin}" depends on "${dependency}", which ${why}`,
    data:
      root === undefined || root === dependency
        ? { plugin, dependency }
        : { plugin, dependency, missing: root },
  };
}

/**
 * The error of a plugin the sort skipped. `describe(name)` says why an absent dependency is absent
 * ("is not installed", "is disabled").
 */
export function skipError(
  plugin: string,
  reason: SkipReason,
  describe: (name: string) => string,
): PluginError {
  if (reason.kind === "missing") {
    if (reason.root === reason.dependency)
      return dependencyMissing(plugin, reason.dependency, describe(reason.root));
    return dependencyMissing(
      plugin,
      reason.dependency,
      `is skipped: "${reason.root}" ${describe(reason.root)}`,
      reason.root,
    );
  }
  const cycle = reason.cycle.join(" → ");
  const inCycle = reason.cycle.includes(plugin);
  return {
    code: "PLUGIN_DEPENDENCY_CYCLE",
    message: inCycle
      ? `Plugin "${plugin}" is in a dependency cycle: ${cycle}`
      : `Plugin "${plugin}" depends on "${reason.dependency}", which is blocked by a dependency cycle: ${cycle}`,
    data: { plugin, dependency: reason.dependency, cycle: reason.cycle },
  };
}
