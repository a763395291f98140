import type { PluginDefinition } from "../../sdk/types.ts";
import type { EventBus } from "../bus/types.ts";
import type { PluginConfigEntry } from "../config/types.ts";
import type { HttpRegistry } from "../http/types.ts";
import type { Logger } from "../log/types.ts";
import type { ComponentHealth, ComponentStatus } from "../modules/types.ts";
import type { ServiceRegistry } from "../services/types.ts";
import type { StateEngine } from "../state/types.ts";
import type { StorageOps } from "../storage/types.ts";

/** `plugin.json`, validated with zod (see manifest.ts). */
export interface PluginManifest {
  name: string;
  version: string;
  description?: string;
  author?: string;
  dependencies?: string[];
  isIntegration?: boolean;
  /** Relative to the plugin folder, default `index.ts`; may not leave the folder. */
  entry?: string;
  /** JSON Schema of the plugin's config, for integrations and the admin UI. */
  config?: Record<string, unknown>;
}

export type PluginOrigin = "builtin" | "external";

/** A discovered plugin before its code is imported. */
export interface PluginSource {
  manifest: PluginManifest;
  origin: PluginOrigin;
  /** Folder of an external plugin; undefined for built-ins. */
  dir: string | undefined;
  /** Imports the code; `fresh` asks for a new module instance (hot reload). */
  load(fresh: boolean): Promise<PluginDefinition<unknown>>;
}

/**
 * A plugin compiled into the binary, as `src/builtin-plugins.generated.ts` lists it: the manifest
 * JSON (validated by the manager like any other) and a string-literal dynamic import of its code.
 */
export interface BuiltinPlugin {
  manifest: unknown;
  load: () => Promise<unknown>;
}

export type PluginLifecycleState =
  | "discovered"
  | "loaded"
  | "started"
  | "stopped"
  | "unloaded"
  | "failed"
  | "skipped"
  | "disabled";

export type PluginHookName = "onLoad" | "onStart" | "onStop" | "onUnload";

/** Why a plugin failed or was skipped (or what went wrong while stopping it). */
export interface PluginError {
  code: string;
  message: string;
  hook?: PluginHookName;
  /** Plain JSON detail: `{ plugin, hook, timeoutMs }`, config `issues`, the dependency concerned… */
  data?: unknown;
}

export interface PluginInfo {
  name: string;
  version: string;
  description?: string;
  origin: PluginOrigin;
  state: PluginLifecycleState;
  isIntegration: boolean;
  dependencies: string[];
  enabled: boolean;
  /** Why it failed or was skipped. */
  error?: PluginError;
  loadMs?: number;
  startMs?: number;
  /** Handler errors (bus and services) and hook failures seen since start. */
  errorCount: number;
  serviceCalls: number;
  serviceFailures: number;
}

export type IntegrationStatus = "enabled" | "disabled" | "error";

/** What an integration plugin is declared with (from its manifest). */
export interface IntegrationInfo {
  name: string;
  version: string;
  description?: string;
  configSchema?: Record<string, unknown>;
}

/**
 * Where the manager reports integrations (the IntegrationRegistry fits). Calls may return promises;
 * a failing call is logged and never affects the plugin.
 */
export interface IntegrationSink {
  declare(info: IntegrationInfo): unknown;
  setStatus(name: string, status: IntegrationStatus, error?: unknown): unknown;
}

/** The kernel components plugins reach, always through their scoped context. */
export interface PluginKernel {
  bus: EventBus;
  services: ServiceRegistry;
  state: StateEngine;
  storage: StorageOps;
  http: HttpRegistry;
  integrations?: IntegrationSink;
}

export interface PluginManagerOptions {
  kernel: PluginKernel;
  /** Parent logger: the manager logs under `{ component: "plugins" }`, each plugin under `{ plugin }`. */
  logger?: Logger;
  /** Folder of external plugins (one subfolder with a `plugin.json` each). Missing or undefined = none. */
  pluginsDir?: string | undefined;
  /** Plugins compiled into the binary (see `builtinSource`). */
  builtins?: PluginSource[];
  /** The `plugins` section of the config: `enabled` (default true) and the config slice per plugin. */
  config?: Record<string, Partial<PluginConfigEntry>>;
  /** Bound of each lifecycle hook and of importing the code (default 10000 ms). */
  hookTimeoutMs?: number;
  /** Bound of `onStart` alone (hardware may take longer to come up); default `hookTimeoutMs`. */
  startTimeoutMs?: number;
  /**
   * Names no plugin may take, because their service owner, state prefix and storage namespace belong
   * to the kernel or a module. Defaults to `RESERVED_PLUGIN_NAMES`.
   */
  reservedNames?: readonly string[];
}

/** A folder or built-in that could not become a plugin (bad manifest, duplicate or reserved name). */
export interface PluginProblem {
  /** The plugin folder, or `builtin:<name or index>`. */
  source: string;
  /** The name, when the manifest got far enough to have one. */
  name?: string;
  error: PluginError;
}

export interface PluginHealth extends ComponentHealth {
  state: PluginLifecycleState | "invalid";
}

/** Degraded (never unhealthy: plugins are optional) when an enabled plugin failed or was skipped. */
export interface PluginsHealth extends ComponentHealth {
  status: ComponentStatus;
  /** By plugin name; problems (bad manifests) by their `source`. */
  plugins: Record<string, PluginHealth>;
}

/**
 * Discovers, orders and runs plugins. Lifecycle calls (`discover`, `startAll`, `stopAll`, `reload`,
 * `enable`, `disable`) are serialised: one runs at a time, in call order.
 */
/** The outcome of `PluginManager.plan()`. */
export interface PluginPlan {
  /** Enabled plugins in start order (dependencies first). */
  order: string[];
  /** Enabled plugins that would be skipped, with the reason (missing dependency, cycle). */
  skipped: { name: string; error: PluginError }[];
}

export interface PluginManager {
  /** Reads manifests (never code). Later calls add plugins that appeared since. */
  discover(): Promise<PluginInfo[]>;
  /** Start order and skips, from manifests alone. */
  plan(): Promise<PluginPlan>;
  /** Loads and starts every enabled plugin in dependency order; a failing plugin never stops the rest. */
  startAll(): Promise<void>;
  /** Stops and unloads in reverse start order; failures are logged and stopping goes on. Idempotent. */
  stopAll(): Promise<void>;
  /** Stops the plugin and its dependents, re-imports its code fresh, brings them all back. */
  reload(name: string): Promise<PluginInfo>;
  /** Persists `enabled: true` and, while running, starts it and the dependents it had taken down. */
  enable(name: string): Promise<PluginInfo>;
  /** Persists `enabled: false`; stops and unloads it and its dependents (which become skipped). */
  disable(name: string): Promise<PluginInfo>;
  /** Sorted by name. */
  list(): PluginInfo[];
  /** PLUGIN_NOT_FOUND for an unknown name. */
  get(name: string): PluginInfo;
  /** Folders and built-ins skipped at discovery, with why. */
  problems(): PluginProblem[];
  health(): PluginsHealth;
}
