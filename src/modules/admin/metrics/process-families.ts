import { collectDefaultMetrics, Registry } from "prom-client";

const PREFIX = "hearth_";

/**
 * prom-client's default metrics that mean something under Bun. Left out: V8 heap spaces and GC
 * histograms (JavaScriptCore has neither), `process_heap_bytes` (VmData: gigabytes of reserved
 * address space under Bun), the Node version (the build info carries Bun's), and the active
 * handle/request gauges (always empty under Bun, and named `_total` though they are gauges).
 * In each group the first name carries the collector that sets the others.
 */
const KEPT = [
  "process_cpu_user_seconds_total",
  "process_cpu_system_seconds_total",
  "process_cpu_seconds_total",
  "process_start_time_seconds",
  "process_resident_memory_bytes",
  "process_virtual_memory_bytes",
  "process_open_fds",
  "process_max_fds",
  "nodejs_eventloop_lag_seconds",
  "nodejs_eventloop_lag_max_seconds",
  "nodejs_eventloop_lag_p50_seconds",
  "nodejs_eventloop_lag_p90_seconds",
  "nodejs_eventloop_lag_p99_seconds",
  "nodejs_heap_size_total_bytes",
  "nodejs_heap_size_used_bytes",
  "nodejs_external_memory_bytes",
].map((name) => PREFIX + name);

// Built once per process: the event-loop monitor they start cannot be stopped, and the values are
// per process anyway. Each createMetrics() registers the same metric objects in its own registry.
let defaults: Registry | undefined;

/** Adds the process metrics (CPU, memory, file descriptors, event-loop lag) to `registry`. */
export function registerProcessFamilies(registry: Registry): void {
  if (defaults === undefined) {
    defaults = new Registry();
    collectDefaultMetrics({ register: defaults, prefix: PREFIX });
  }
  for (const name of KEPT) {
    const metric = defaults.getSingleMetric(name);
    if (metric !== undefined) registry.registerMetric(metric);
  }
}
