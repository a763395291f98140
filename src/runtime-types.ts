import type { HearthErrorJSON } from "./errors.ts";
import type { BusStats } from "./kernel/bus/types.ts";
import type { ComponentHealth, ComponentStatus, ModuleInfo } from "./kernel/modules/types.ts";
import type { PluginInfo } from "./kernel/plugins/types.ts";
import type { ServiceStats } from "./kernel/services/types.ts";
import type { StateStats } from "./kernel/state/types.ts";
import type { StorageStats } from "./kernel/storage/types.ts";

export type RuntimePhase =
  | "created"
  | "initialised"
  | "starting"
  | "started"
  | "stopping"
  | "stopped"
  | "failed";

export interface HealthReport {
  /** unhealthy: storage or a required module is down; degraded: an optional plugin/module failed. */
  status: ComponentStatus;
  phase: RuntimePhase;
  uptimeMs: number;
  checks: {
    storage: ComponentHealth;
    /** Whether the state mirror agrees with storage (degraded, naming the keys, when it does not). */
    mirror: ComponentHealth;
    modules: ComponentHealth & { modules: Record<string, ComponentHealth> };
    plugins: ComponentHealth & { plugins: Record<string, ComponentHealth> };
    bus: ComponentHealth;
  };
}

export interface RuntimeMetrics {
  phase: RuntimePhase;
  uptimeMs: number;
  /** init() + start() wall time, ms. */
  startMs: number | undefined;
  errors: { unhandledRejections: number; uncaughtExceptions: number };
  bus: BusStats;
  services: Record<string, ServiceStats>;
  state: StateStats;
  storage: StorageStats;
  modules: ModuleInfo[];
  plugins: PluginInfo[];
  process: { rssBytes: number; heapUsedBytes: number };
}

export interface StopResult {
  /** Past shutdownTimeoutMs: the steps still running were abandoned (storage was still closed). */
  timedOut: boolean;
  /** Who had not finished stopping when the deadline passed. */
  hung: string[];
  durationMs: number;
  /** RUNTIME_SHUTDOWN_TIMEOUT naming `hung`, when `timedOut`. */
  error?: HearthErrorJSON;
}
