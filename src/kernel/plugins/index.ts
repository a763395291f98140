/**
 * Plugins: manifest-only discovery, dependency order, one scoped context per load, failure isolation,
 * hot reload and persisted enable/disable.
 *
 * @example
 * const plugins = createPluginManager({ kernel, logger, pluginsDir, builtins: BUILTIN_PLUGINS.map(builtinSource) });
 * await plugins.discover();
 * await plugins.startAll();
 */
export { builtinSource } from "./discovery.ts";
export {
  createPluginManager,
  DEFAULT_HOOK_TIMEOUT_MS,
  PLUGIN_RECORDS_NAMESPACE,
} from "./manager.ts";
export { parseManifest } from "./manifest.ts";
export type {
  BuiltinPlugin,
  IntegrationInfo,
  IntegrationSink,
  IntegrationStatus,
  PluginError,
  PluginHealth,
  PluginHealthReport,
  PluginHookName,
  PluginInfo,
  PluginKernel,
  PluginLifecycleState,
  PluginManager,
  PluginManagerOptions,
  PluginManifest,
  PluginOrigin,
  PluginPlan,
  PluginProblem,
  PluginSource,
  PluginsHealth,
} from "./types.ts";
