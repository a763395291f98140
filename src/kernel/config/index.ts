export { loadConfig } from "./load.ts";
export { BUILTIN_SECRET_NAMESPACES, DEFAULTS, ENV_VARS } from "./schema.ts";
export type {
  AccessLogMode,
  ConfigIssue,
  ConfigSource,
  HearthConfig,
  LoadConfigOptions,
  LoadedConfig,
  PluginConfigEntry,
} from "./types.ts";
