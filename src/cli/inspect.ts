import { BUILTIN_PLUGINS } from "../builtin-plugins.generated.ts";
import { createEventBus } from "../kernel/bus/index.ts";
import type { HearthConfig } from "../kernel/config/types.ts";
import { createHttpRegistry } from "../kernel/http/index.ts";
import { silentLogger } from "../kernel/log/index.ts";
import { builtinSource, createPluginManager } from "../kernel/plugins/index.ts";
import type { PluginInfo, PluginPlan, PluginProblem } from "../kernel/plugins/types.ts";
import { createServiceRegistry } from "../kernel/services/index.ts";
import { createStateEngine } from "../kernel/state/index.ts";
import { createMemoryStorage } from "../kernel/storage/index.ts";

export interface PluginInspection {
  plugins: PluginInfo[];
  problems: PluginProblem[];
  plan: PluginPlan;
  /** `plugins.<name>` entries in the config that match no discovered plugin (typos). */
  unknownConfigured: string[];
}

/**
 * Discovers plugins the way `hearth run` would (built-ins plus `pluginsDir`) and plans their start
 * order from manifests alone: no plugin code runs and nothing is written (a throwaway in-memory kernel).
 * Enable/disable switches made at run time through the API live in the database and are not seen here.
 */
export async function inspectPlugins(config: HearthConfig): Promise<PluginInspection> {
  const storage = createMemoryStorage();
  const state = createStateEngine();
  try {
    const manager = createPluginManager({
      kernel: {
        bus: createEventBus(),
        services: createServiceRegistry(),
        state,
        storage,
        http: createHttpRegistry(),
      },
      logger: silentLogger(),
      pluginsDir: config.pluginsDir,
      builtins: BUILTIN_PLUGINS.map(builtinSource),
      config: config.plugins,
    });
    const plugins = await manager.discover();
    const plan = await manager.plan();
    const names = new Set(plugins.map((p) => p.name));
    const unknownConfigured = Object.keys(config.plugins).filter((n) => !names.has(n));
    return { plugins, problems: manager.problems(), plan, unknownConfigured };
  } finally {
    state.close();
    await storage.close();
  }
}
