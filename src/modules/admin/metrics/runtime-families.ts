import { statSync } from "node:fs";
import { join } from "node:path";
import { Counter, Gauge, type Registry } from "prom-client";
import type { RuntimeMetrics } from "../../../runtime-types.ts";
import type { VersionInfo } from "../../../version.ts";
import { MAX_EVENT_TYPES, OTHER_TYPE } from "./labels.ts";
import { MonotonicFeed } from "./monotonic.ts";
import { readWriteBytes } from "./proc-io.ts";

export interface RuntimeFamiliesOptions {
  version: VersionInfo;
  dataDir: string | undefined;
  procIoPath: string;
}

/** Updates every family from one snapshot; called by render() just before serialising. */
export type UpdateFamilies = (snapshot: RuntimeMetrics | undefined) => void;

const DB_FILES = [
  ["db", "hearth.db"],
  ["wal", "hearth.db-wal"],
] as const;

/**
 * Registers the families derived from the runtime's figures (`getMetrics()`) and the process's
 * `/proc/self/io`. Counters are fed from the runtime's cumulative counts so they stay monotonic.
 */
export function registerRuntimeFamilies(registry: Registry, options: RuntimeFamiliesOptions): UpdateFamilies {
  const registers = [registry];
  const gauge = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new Gauge<L>({ name, help, labelNames, registers });
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
    new MonotonicFeed(new Counter<L>({ name, help, labelNames, registers }));

  const { version } = options;
  gauge("hearth_build_info", "Build of this Hearth process; always 1.", [
    "version",
    "commit",
    "bun",
    "target",
  ]).set({ version: version.version, commit: version.commit, bun: version.bun, target: version.target }, 1);
  const uptime = gauge("hearth_uptime_seconds", "Seconds since the runtime finished starting (0 before).");
  const phase = gauge("hearth_runtime_phase", "Lifecycle phase of the runtime; 1 for the current one.", [
    "phase",
  ]);
  const startup = gauge("hearth_startup_duration_seconds", "Wall time of init() plus start(), in seconds.");
  const uncaught = counter("hearth_uncaught_errors_total", "Errors that escaped every handler, by kind.", [
    "kind",
  ]);

  const pluginState = gauge("hearth_plugin_state", "Current lifecycle state of each plugin; always 1.", [
    "plugin",
    "state",
  ]);
  const pluginErrors = counter(
    "hearth_plugin_errors_total",
    "Handler errors (bus and services) and hook failures of each plugin.",
    ["plugin"],
  );
  const moduleState = gauge("hearth_module_state", "Current lifecycle state of each module; always 1.", [
    "module",
    "state",
  ]);
  const moduleErrors = counter("hearth_module_errors_total", "Hook failures of each module.", ["module"]);

  const busPublished = counter("hearth_bus_events_published_total", "Events published, by type.", ["type"]);
  const busDelivered = counter(
    "hearth_bus_events_delivered_total",
    "Successful handler deliveries, by event type.",
    ["type"],
  );
  const busFailed = counter(
    "hearth_bus_events_failed_total",
    "Handler deliveries that failed after their retries, by event type.",
    ["type"],
  );
  const busSubscriptions = gauge("hearth_bus_subscriptions", "Active bus subscriptions.");
  const busTimedOut = counter(
    "hearth_bus_handler_timeouts_total",
    "Handler runs that outlived eventHandlerTimeoutMs (each also counts as failed).",
  );
  const busStuck = gauge(
    "hearth_bus_handlers_stuck",
    "Handler runs past eventHandlerTimeoutMs that have still not settled, by owner (plugin or module).",
    ["owner"],
  );
  // Event types are chosen in code, but a plugin could mint them from data: bound the label set.
  const typeLabels = new Map<string, string>();
  const typeLabel = (type: string): string => {
    let label = typeLabels.get(type);
    if (label === undefined) {
      label = typeLabels.size < MAX_EVENT_TYPES ? type : OTHER_TYPE;
      typeLabels.set(type, label);
    }
    return label;
  };

  const storageReads = counter("hearth_storage_reads_total", "Storage read calls.");
  const storageWrites = counter(
    "hearth_storage_writes_total",
    "Rows written or deleted in the database (deferred sets count when flushed).",
  );
  const storageTx = counter("hearth_storage_transactions_total", "Top-level storage transactions begun.");
  const storageOps = counter("hearth_storage_operations_total", "Storage document operations run.");
  const storageOpSeconds = counter(
    "hearth_storage_operation_seconds_total",
    "Time spent inside storage operations (latency = rate of this / rate of operations).",
  );
  const storageRollbacks = counter(
    "hearth_storage_rollbacks_total",
    "Top-level storage transactions rolled back.",
  );
  const deferredFlushes = counter(
    "hearth_storage_deferred_flushes_total",
    "Flushes that wrote deferred data (each is one SD-card write burst).",
  );
  const deferredPending = gauge(
    "hearth_storage_deferred_pending",
    "Deferred writes waiting for the next flush.",
  );
  const schemaVersion = gauge("hearth_storage_schema_version", "Database schema version after migrations.");
  const fileBytes = options.dataDir
    ? gauge("hearth_storage_file_bytes", "Size of the database files on disk, in bytes.", ["file"])
    : undefined;

  const stateKeys = gauge("hearth_state_keys", "Keys in the in-memory state.");
  const stateBytes = gauge("hearth_state_bytes", "Approximate size of the in-memory state (JSON), in bytes.");
  const stateWatchers = gauge("hearth_state_watchers", "Active state watchers.");

  // Decided once: if /proc/self/io cannot be read now (not Linux, hardened /proc), the series is left out
  // rather than exported as a misleading 0.
  const diskWrites =
    readWriteBytes(options.procIoPath) === undefined
      ? undefined
      : counter(
          "hearth_disk_write_bytes_total",
          "Bytes this process caused to be written to storage devices (/proc/self/io write_bytes).",
        );

  return (m) => {
    if (diskWrites) {
      const bytes = readWriteBytes(options.procIoPath);
      if (bytes !== undefined) diskWrites.feed("", {}, bytes);
    }
    if (fileBytes && options.dataDir) {
      fileBytes.reset();
      for (const [file, name] of DB_FILES) {
        const size = fileSize(join(options.dataDir, name));
        if (size !== undefined) fileBytes.set({ file }, size);
      }
    }
    if (m === undefined) return;

    uptime.set(m.uptimeMs / 1000);
    phase.reset();
    phase.set({ phase: m.phase }, 1);
    if (m.startMs !== undefined) startup.set(m.startMs / 1000);
    uncaught.feed("unhandled_rejection", { kind: "unhandled_rejection" }, m.errors.unhandledRejections);
    uncaught.feed("uncaught_exception", { kind: "uncaught_exception" }, m.errors.uncaughtExceptions);

    pluginState.reset();
    for (const p of m.plugins) {
      pluginState.set({ plugin: p.name, state: p.state }, 1);
      pluginErrors.feed(p.name, { plugin: p.name }, p.errorCount);
    }
    moduleState.reset();
    for (const mod of m.modules) {
      moduleState.set({ module: mod.name, state: mod.state }, 1);
      moduleErrors.feed(mod.name, { module: mod.name }, mod.errorCount);
    }

    for (const [type, c] of Object.entries(m.bus.byType)) {
      const labels = { type: typeLabel(type) };
      busPublished.feed(type, labels, c.published);
      busDelivered.feed(type, labels, c.delivered);
      busFailed.feed(type, labels, c.failed);
    }
    busSubscriptions.set(m.bus.subscriptions);
    busTimedOut.feed("", {}, m.bus.timedOut);
    busStuck.reset();
    for (const [owner, n] of Object.entries(m.bus.stuckByOwner)) busStuck.set({ owner }, n);

    const s = m.storage;
    storageReads.feed("", {}, s.reads);
    storageWrites.feed("", {}, s.writes);
    storageTx.feed("", {}, s.transactions);
    storageOps.feed("", {}, s.operations);
    storageOpSeconds.feed("", {}, s.operationSeconds);
    storageRollbacks.feed("", {}, s.rollbacks);
    deferredFlushes.feed("", {}, s.deferredFlushes);
    deferredPending.set(s.deferredPending);
    schemaVersion.set(s.schemaVersion);

    stateKeys.set(m.state.keys);
    stateBytes.set(m.state.approxBytes);
    stateWatchers.set(m.state.watchers);
  };
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
}
