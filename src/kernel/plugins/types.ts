import type { PluginDefinition, PluginStatus } from "../../sdk/types.ts";
import type { PluginConfigEntry } from "../config/types.ts";
import type { Hardware } from "../hardware/types.ts";
import type { Logger } from "../log/types.ts";
import type { StateMirror } from "../mirror/types.ts";
import type { ComponentHealth, ComponentStatus } from "../modules/types.ts";
import type { StorageOps } from "../storage/types.ts";
import type { Kernel } from "../types.ts";

/** `plugin.json`, validated with zod (see manifest.ts). */
export interface PluginManifest {
  name: string;
  version: string;
  description?: string;
  author?: string;
  dependencies?: string[];
  isIntegration?: boolean;
  /**
   * False for a plugin that runs only once configured (a Zigbee stick): enabled when the config has a
   * `plugins.<name>` section (whose `enabled` defaults to true), disabled otherwise. Default true.
   */
  enabledByDefault?: boolean;
  /** Relative to the plugin folder, default `index.ts`; may not leave the folder. */
  entry?: string;
  /** JSON Schema of the plugin's config, for integrations and the admin UI. */
  config?: Record<string, unknown>;
  /**
   * Storage namespaces of the plugin's own (`<name>` or `<name>.<sub>`) that hold secrets, such as
   * a Zigbee network key: never mirrored into state, never served by the storage routes, never
   * logged. They are in backups (a restore must bring a network key back).
   */
  secretNamespaces?: string[];
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
  /**
   * Reads the manifest again (external plugins: `plugin.json` may have changed since discovery);
   * throws PLUGIN_MANIFEST_INVALID. Absent for built-ins, whose manifest is compiled in.
   */
  reread?(): Promise<PluginManifest>;
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
  /** What the plugin last said of its health while running (absent: nothing said, or not running). */
  health?: PluginHealthReport;
  loadMs?: number;
  startMs?: number;
  /**
   * Failures that are the plugin's own since start: hook failures, bus handler, timer and watcher
   * errors, and service calls that failed with a fault (status 500 or more, or no code). A caller's
   * mistake answered with a 4xx code (NOT_FOUND, INVALID_ARGUMENT) is not counted here.
   */
  errorCount: number;
  serviceCalls: number;
  serviceFailures: number;
}

export type IntegrationStatus = "enabled" | "disabled" | "error";

/** A running plugin's own report of its health (`ctx.integration.setStatus`). */
export interface PluginHealthReport {
  status: PluginStatus;
  /** Why, in words people can read. */
  reason?: string;
  /** ISO 8601 time of the change. */
  since: string;
}

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
  /** The running plugin's own health report; undefined clears it (the plugin stopped). */
  report?(name: string, health: PluginHealthReport | undefined): unknown;
}

/**
 * The part of the kernel view the plugin manager works with; plugins reach it only through their
 * scoped context. Integrations and the mirror are optional for managers built without them (tests).
 */
export type PluginKernel = Pick<Kernel, "bus" | "services" | "state" | "http"> & {
  readonly storage: StorageOps;
  readonly integrations?: IntegrationSink;
  /** Where plugins' declared secret namespaces are recorded (never mirrored, never shown). */
  readonly mirror?: Pick<StateMirror, "addSecret" | "isSecret">;
  /** The shared hardware behind `ctx.hardware`; without it GPIO calls fail with GPIO_UNAVAILABLE. */
  readonly hardware?: Hardware;
};

export interface PluginManagerOptions {
  kernel: PluginKernel;
  /** Parent logger: the manager logs under `{ component: "plugins" }`, each plugin under `{ plugin }`. */
  logger?: Logger;
  /** Folder of external plugins (one subfolder with a `plugin.json` each). Missing or undefined = none. */
  pluginsDir?: string | undefined;
  /** The runtime's data directory: each plugin gets `<dataDir>/plugin-data/<name>` as `ctx.dataDir`. */
  dataDir?: string;
  /** Plugins compiled into the binary (see `builtinSource`). */
  builtins?: PluginSource[];
  /** The `plugins` section of the config: `enabled` (default true) and the config slice per plugin. */
  config?: Record<string, Partial<PluginConfigEntry>>;
  /** Bound of each lifecycle hook and of importing the code (default 10000 ms). */
  hookTimeoutMs?: number;
  /** Bound of `onStart` alone (hardware may take longer to come up); default `hookTimeoutMs`. */
  startTimeoutMs?: number;
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
  /**
   * Imports the code of every enabled plugin that would start (no hook runs) and parses its config
   * slice with its schema; returns the ones that fail, with the reason.
   */
  checkConfigs(): Promise<{ name: string; error: PluginError }[]>;
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
