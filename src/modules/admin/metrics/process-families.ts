import { readdirSync, readFileSync } from "node:fs";
import { monitorEventLoopDelay } from "node:perf_hooks";
import type { Exposition } from "./exposition.ts";

const NO_LABELS = {};

// Per process, and started on the first scrape (nothing on the start path): the event-loop monitor
// samples every 10 ms from then on, and each scrape reads and resets it.
let loopDelay: ReturnType<typeof monitorEventLoopDelay> | undefined;
const startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
}

/** A `Name:   123 kB` field of /proc/self/status, in bytes. */
function statusBytes(status: string | undefined, field: string): number | undefined {
  const m = status === undefined ? null : new RegExp(`^${field}:\\s+(\\d+) kB$`, "m").exec(status);
  return m?.[1] === undefined ? undefined : Number(m[1]) * 1024;
}

function openFds(): number | undefined {
  try {
    // The listing itself holds one descriptor open.
    return readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}

function maxFds(): number | undefined {
  const m = /^Max open files\s+(\d+)/m.exec(readText("/proc/self/limits") ?? "");
  return m?.[1] === undefined ? undefined : Number(m[1]);
}

function gauge(out: Exposition, name: string, help: string, value: number | undefined): void {
  if (value !== undefined && Number.isFinite(value)) out.gauge(name, help, [[NO_LABELS, value]]);
}

/**
 * The process figures that mean something under Bun: CPU, memory, file descriptors, event-loop
 * delay and the JS heap. (Node's V8 heap spaces and GC histograms have no JavaScriptCore
 * counterpart, and are left out.)
 */
export function renderProcessFamilies(out: Exposition): void {
  const cpu = process.cpuUsage();
  const user = cpu.user / 1e6;
  const system = cpu.system / 1e6;
  out.counter("hearth_process_cpu_user_seconds_total", "User CPU time spent, in seconds.", [
    [NO_LABELS, user],
  ]);
  out.counter("hearth_process_cpu_system_seconds_total", "System CPU time spent, in seconds.", [
    [NO_LABELS, system],
  ]);
  out.counter("hearth_process_cpu_seconds_total", "User and system CPU time spent, in seconds.", [
    [NO_LABELS, user + system],
  ]);
  gauge(
    out,
    "hearth_process_start_time_seconds",
    "Start time of the process since the Unix epoch, in seconds.",
    startTimeSeconds,
  );
  const status = readText("/proc/self/status");
  const mem = process.memoryUsage();
  gauge(
    out,
    "hearth_process_resident_memory_bytes",
    "Resident memory size, in bytes.",
    statusBytes(status, "VmRSS") ?? mem.rss,
  );
  gauge(
    out,
    "hearth_process_virtual_memory_bytes",
    "Virtual memory size, in bytes.",
    statusBytes(status, "VmSize"),
  );
  gauge(out, "hearth_process_open_fds", "Open file descriptors.", openFds());
  gauge(out, "hearth_process_max_fds", "Most file descriptors the process may open.", maxFds());
  renderLoopDelay(out);
  gauge(out, "hearth_nodejs_heap_size_total_bytes", "JS heap size, in bytes.", mem.heapTotal);
  gauge(out, "hearth_nodejs_heap_size_used_bytes", "JS heap in use, in bytes.", mem.heapUsed);
  gauge(
    out,
    "hearth_nodejs_external_memory_bytes",
    "Memory held outside the JS heap (buffers), in bytes.",
    mem.external,
  );
}

function renderLoopDelay(out: Exposition): void {
  if (loopDelay === undefined) {
    loopDelay = monitorEventLoopDelay({ resolution: 10 });
    loopDelay.enable();
  }
  const h = loopDelay;
  const seconds = (ns: number) => (Number.isFinite(ns) && h.count > 0 ? ns / 1e9 : 0);
  const figures: [string, string, number][] = [
    [
      "hearth_nodejs_eventloop_lag_seconds",
      "Mean event-loop delay since the last scrape, in seconds.",
      h.mean,
    ],
    [
      "hearth_nodejs_eventloop_lag_max_seconds",
      "Largest event-loop delay since the last scrape, in seconds.",
      h.max,
    ],
    [
      "hearth_nodejs_eventloop_lag_p50_seconds",
      "Median event-loop delay since the last scrape, in seconds.",
      h.percentile(50),
    ],
    [
      "hearth_nodejs_eventloop_lag_p90_seconds",
      "90th percentile event-loop delay since the last scrape, in seconds.",
      h.percentile(90),
    ],
    [
      "hearth_nodejs_eventloop_lag_p99_seconds",
      "99th percentile event-loop delay since the last scrape, in seconds.",
      h.percentile(99),
    ],
  ];
  for (const [name, help, ns] of figures) out.gauge(name, help, [[NO_LABELS, seconds(ns)]]);
  h.reset();
}
