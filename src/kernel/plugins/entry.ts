import type { PluginDefinition } from "../../sdk/types.ts";
import type { Logger } from "../log/types.ts";
import type { ServiceStats } from "../services/types.ts";
import type { PluginScope } from "./context.ts";
import { sumStats } from "./report.ts";
import type {
  PluginError,
  PluginHealthReport,
  PluginInfo,
  PluginLifecycleState,
  PluginManagerOptions,
  PluginManifest,
  PluginSource,
} from "./types.ts";

/** What the manager keeps per discovered plugin. */
export interface Entry {
  readonly source: PluginSource;
  /** As last read: a reload reads an external plugin's `plugin.json` again. */
  manifest: PluginManifest;
  readonly log: Logger;
  state: PluginLifecycleState;
  error: PluginError | undefined;
  /** `plugins.<name>.enabled` in the config file. */
  readonly configEnabled: boolean;
  /** The persisted record (`enable`/`disable`). */
  persistedEnabled: boolean;
  definition: PluginDefinition<unknown> | undefined;
  /** The running plugin's own health report. */
  status: PluginHealthReport | undefined;
  scope: PluginScope | undefined;
  loadMs: number | undefined;
  startMs: number | undefined;
  /** Hook, bus-handler, timer and watcher failures. */
  errors: number;
  /** Service counters of earlier loads (the registry forgets a service when it is unregistered). */
  pastCalls: number;
  pastFailures: number;
  pastFaults: number;
}

export function newEntry(
  source: PluginSource,
  root: Logger,
  config: NonNullable<PluginManagerOptions["config"]>,
): Entry {
  const name = source.manifest.name;
  return {
    source,
    manifest: source.manifest,
    log: root.child({ plugin: name }),
    state: "discovered",
    error: undefined,
    configEnabled:
      config[name] === undefined
        ? source.manifest.enabledByDefault !== false
        : config[name].enabled !== false,
    persistedEnabled: true,
    definition: undefined,
    status: undefined,
    scope: undefined,
    loadMs: undefined,
    startMs: undefined,
    errors: 0,
    pastCalls: 0,
    pastFailures: 0,
    pastFaults: 0,
  };
}

/** Enabled in the config file and not disabled through `disable()`. */
export const enabled = (e: Entry): boolean => e.configEnabled && e.persistedEnabled;

/** The public view of an entry; `stats` is the service registry's counters. */
export function infoOf(e: Entry, stats: Record<string, ServiceStats>): PluginInfo {
  const live =
    e.scope === undefined || e.scope.services.size === 0
      ? { calls: 0, failures: 0, faults: 0 }
      : sumStats(e.scope.services, stats);
  const serviceFailures = e.pastFailures + live.failures;
  // A caller's mistake (NOT_FOUND, a refused argument) is not the plugin's error: only faults count.
  const serviceFaults = e.pastFaults + live.faults;
  const info: PluginInfo = {
    name: e.manifest.name,
    version: e.manifest.version,
    origin: e.source.origin,
    state: e.state,
    isIntegration: e.manifest.isIntegration === true,
    dependencies: [...(e.manifest.dependencies ?? [])],
    enabled: enabled(e),
    errorCount: e.errors + serviceFaults,
    serviceCalls: e.pastCalls + live.calls,
    serviceFailures,
  };
  if (e.manifest.description !== undefined) info.description = e.manifest.description;
  if (e.error !== undefined) info.error = { ...e.error };
  if (e.status !== undefined) info.health = { ...e.status };
  if (e.loadMs !== undefined) info.loadMs = e.loadMs;
  if (e.startMs !== undefined) info.startMs = e.startMs;
  return info;
}
