import { BUILTIN_PLUGINS } from "../builtin-plugins.generated.ts";
import { HearthError } from "../errors.ts";
import type { HearthConfig } from "../kernel/config/types.ts";
import { createKernel, type RuntimeView } from "../kernel/index.ts";
import { silentLogger } from "../kernel/log/index.ts";
import { builtinSource } from "../kernel/plugins/index.ts";
import type { PluginError, PluginInfo, PluginPlan, PluginProblem } from "../kernel/plugins/types.ts";
import { createMemoryStorage } from "../kernel/storage/index.ts";

/** A runtime that never starts: the throwaway kernel of an inspection shows this. */
const NOT_RUNNING: RuntimeView = Object.freeze({
  phase: "created",
  health: () => Promise.reject(new HearthError("RUNTIME_NOT_READY", "Nothing runs during an inspection")),
  metrics: () => {
    throw new HearthError("RUNTIME_NOT_READY", "Nothing runs during an inspection");
  },
});

export interface PluginInspection {
  plugins: PluginInfo[];
  problems: PluginProblem[];
  plan: PluginPlan;
  /** `plugins.<name>` entries in the config that match no discovered plugin (typos). */
  unknownConfigured: string[];
  /** Plugins that would start but whose code does not load or whose config slice fails its schema. */
  configFailures: { name: string; error: PluginError }[];
}

/**
 * Discovers plugins the way `hearth run` would (built-ins plus `pluginsDir`), plans their start order
 * from the manifests and, with `checkConfigs`, checks each config slice against its plugin's schema:
 * the code of each plugin that would start is imported to read the schema, but no hook runs and
 * nothing is written (a throwaway in-memory kernel). Enable/disable switches made at run time through the API live in
 * the database and are not seen here.
 */
export async function inspectPlugins(
  config: HearthConfig,
  options: { checkConfigs?: boolean } = {},
): Promise<PluginInspection> {
  const storage = createMemoryStorage();
  const { kernel, plugins: manager } = await createKernel({
    config,
    logger: silentLogger(),
    storage,
    builtinPlugins: BUILTIN_PLUGINS.map(builtinSource),
    hookTimeoutMs: 10_000,
    runtime: NOT_RUNNING,
  });
  try {
    const plugins = await manager.discover();
    const plan = await manager.plan();
    const names = new Set(plugins.map((p) => p.name));
    const unknownConfigured = Object.keys(config.plugins).filter((n) => !names.has(n));
    const configFailures = options.checkConfigs === true ? await manager.checkConfigs() : [];
    return { plugins, problems: manager.problems(), plan, unknownConfigured, configFailures };
  } finally {
    kernel.state.close();
    await storage.close();
  }
}
