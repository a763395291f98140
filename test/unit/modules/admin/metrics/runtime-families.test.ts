import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../../src/errors.ts";
import { createMetrics, type MetricsOptions } from "../../../../../src/modules/admin/metrics/index.ts";
import type { RuntimeMetrics } from "../../../../../src/runtime.ts";
import { fakeMetrics, find, parseExposition, plugin, VERSION, value } from "./exposition.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function readable(path: string): boolean {
  try {
    readFileSync(path);
    return true;
  } catch {
    return false;
  }
}

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "hearth-metrics-"));
  dirs.push(dir);
  return dir;
}

/** An exporter over a mutable fake snapshot: change `current` between scrapes. */
function exporter(initial: RuntimeMetrics = fakeMetrics(), options: Partial<MetricsOptions> = {}) {
  const box = { current: initial };
  const metrics = createMetrics({
    getMetrics: () => box.current,
    version: VERSION,
    ...options,
  });
  const scrape = async () => parseExposition((await metrics.render()).body);
  return { box, metrics, scrape };
}

const NO_TIMEOUTS = { timedOut: 0, stuckByOwner: {} };

describe("runtime families", () => {
  it("exports the build info as labels on a constant 1", async () => {
    const { scrape } = exporter();
    const samples = await scrape();
    expect(find(samples, "hearth_build_info")).toEqual([
      {
        name: "hearth_build_info",
        labels: { version: "9.8.7", commit: "abc1234", bun: "1.4.5", target: "bun-linux-arm64" },
        value: 1,
      },
    ]);
  });

  it("exports uptime and startup time in seconds", async () => {
    const { scrape } = exporter(fakeMetrics({ uptimeMs: 12_500, startMs: 250 }));
    const samples = await scrape();
    expect(value(samples, "hearth_uptime_seconds")).toBe(12.5);
    expect(value(samples, "hearth_startup_duration_seconds")).toBe(0.25);
    expect(value(samples, "hearth_runtime_phase", { phase: "started" })).toBe(1);
  });

  it("keeps exactly one state series per plugin, following its current state", async () => {
    const { box, scrape } = exporter(
      fakeMetrics({ plugins: [plugin("zigbee", "started"), plugin("mqtt", "failed")] }),
    );
    await scrape();
    box.current = fakeMetrics({ plugins: [plugin("zigbee", "stopped"), plugin("mqtt", "failed")] });
    const series = find(await scrape(), "hearth_plugin_state");
    expect(series.map((s) => [s.labels.plugin, s.labels.state, s.value])).toEqual([
      ["zigbee", "stopped", 1],
      ["mqtt", "failed", 1],
    ]);
  });

  it("drops the state series of a plugin that is gone", async () => {
    const { box, scrape } = exporter(fakeMetrics({ plugins: [plugin("zigbee", "started")] }));
    await scrape();
    box.current = fakeMetrics({ plugins: [] });
    expect(find(await scrape(), "hearth_plugin_state")).toEqual([]);
  });

  it("exports one state series per module", async () => {
    const modules = [
      { name: "logger", required: true, state: "started" as const, errorCount: 0 },
      { name: "admin", required: true, state: "failed" as const, errorCount: 2 },
    ];
    const samples = await exporter(fakeMetrics({ modules })).scrape();
    expect(value(samples, "hearth_module_state", { module: "logger", state: "started" })).toBe(1);
    expect(value(samples, "hearth_module_state", { module: "admin", state: "failed" })).toBe(1);
    expect(value(samples, "hearth_module_errors_total", { module: "admin" })).toBe(2);
  });

  it("counts plugin handler errors from the plugins' counts", async () => {
    const { box, scrape } = exporter(fakeMetrics({ plugins: [plugin("zigbee", "started", 3)] }));
    expect(value(await scrape(), "hearth_plugin_errors_total", { plugin: "zigbee" })).toBe(3);
    box.current = fakeMetrics({ plugins: [plugin("zigbee", "started", 5)] });
    expect(value(await scrape(), "hearth_plugin_errors_total", { plugin: "zigbee" })).toBe(5);
  });

  it("never lets a counter go down when the source count restarts (a plugin reload)", async () => {
    const { box, scrape } = exporter(fakeMetrics({ plugins: [plugin("zigbee", "started", 4)] }));
    await scrape();
    box.current = fakeMetrics({ plugins: [plugin("zigbee", "started", 1)] });
    // 4 before the restart, then 1 new error.
    expect(value(await scrape(), "hearth_plugin_errors_total", { plugin: "zigbee" })).toBe(5);
  });

  it("exports bus published, delivered and failed counts by event type", async () => {
    const byType = {
      "device.changed": { published: 7, delivered: 12, failed: 1 },
      "$runtime.started": { published: 1, delivered: 0, failed: 0 },
    };
    const bus = { ...NO_TIMEOUTS, published: 8, delivered: 12, failed: 1, subscriptions: 3, byType };
    const samples = await exporter(fakeMetrics({ bus })).scrape();
    expect(value(samples, "hearth_bus_events_published_total", { type: "device.changed" })).toBe(7);
    expect(value(samples, "hearth_bus_events_delivered_total", { type: "device.changed" })).toBe(12);
    expect(value(samples, "hearth_bus_events_failed_total", { type: "device.changed" })).toBe(1);
    expect(value(samples, "hearth_bus_events_failed_total", { type: "$runtime.started" })).toBe(0);
    expect(value(samples, "hearth_bus_subscriptions")).toBe(3);
  });

  it("exports handler timeouts and the handlers still stuck past them, by owner", async () => {
    const bus = {
      published: 3,
      delivered: 0,
      failed: 3,
      subscriptions: 2,
      byType: {},
      timedOut: 3,
      stuckByOwner: { zigbee: 2, automation: 1 },
    };
    const { box, scrape } = exporter(fakeMetrics({ bus }));
    const samples = await scrape();
    expect(value(samples, "hearth_bus_handler_timeouts_total")).toBe(3);
    expect(value(samples, "hearth_bus_handlers_stuck", { owner: "zigbee" })).toBe(2);
    expect(value(samples, "hearth_bus_handlers_stuck", { owner: "automation" })).toBe(1);
    // Once they settle, their series go away.
    box.current = fakeMetrics({ bus: { ...bus, stuckByOwner: {} } });
    expect(find(await scrape(), "hearth_bus_handlers_stuck")).toHaveLength(0);
  });

  it("follows the bus counts across scrapes without double counting", async () => {
    const bus = (published: number) => ({
      ...NO_TIMEOUTS,
      published,
      delivered: 0,
      failed: 0,
      subscriptions: 0,
      byType: { "a.b": { published, delivered: 0, failed: 0 } },
    });
    const { box, scrape } = exporter(fakeMetrics({ bus: bus(2) }));
    await scrape();
    await scrape();
    box.current = fakeMetrics({ bus: bus(10) });
    expect(value(await scrape(), "hearth_bus_events_published_total", { type: "a.b" })).toBe(10);
  });

  it("folds event types past the 500th into type=other, keeping the totals", async () => {
    const byType: RuntimeMetrics["bus"]["byType"] = {};
    for (let i = 0; i < 510; i++) byType[`t.n${i}`] = { published: 2, delivered: 0, failed: 0 };
    const bus = { ...NO_TIMEOUTS, published: 1020, delivered: 0, failed: 0, subscriptions: 0, byType };
    const samples = await exporter(fakeMetrics({ bus })).scrape();
    const series = find(samples, "hearth_bus_events_published_total");
    expect(series).toHaveLength(501);
    expect(value(samples, "hearth_bus_events_published_total", { type: "other" })).toBe(20);
    expect(series.reduce((sum, s) => sum + s.value, 0)).toBe(1020);
  });

  it("exports storage operations, their time, deferred flushes and pending writes", async () => {
    const storage = {
      reads: 40,
      writes: 12,
      transactions: 5,
      rollbacks: 1,
      operations: 52,
      operationSeconds: 0.25,
      deferredPending: 3,
      deferredFlushes: 4,
      schemaVersion: 2,
    };
    const samples = await exporter(fakeMetrics({ storage })).scrape();
    expect(value(samples, "hearth_storage_reads_total")).toBe(40);
    expect(value(samples, "hearth_storage_writes_total")).toBe(12);
    expect(value(samples, "hearth_storage_transactions_total")).toBe(5);
    expect(value(samples, "hearth_storage_rollbacks_total")).toBe(1);
    expect(value(samples, "hearth_storage_operations_total")).toBe(52);
    expect(value(samples, "hearth_storage_operation_seconds_total")).toBe(0.25);
    expect(value(samples, "hearth_storage_deferred_flushes_total")).toBe(4);
    expect(value(samples, "hearth_storage_deferred_pending")).toBe(3);
    expect(value(samples, "hearth_storage_schema_version")).toBe(2);
  });

  it("exports state keys, bytes and watchers", async () => {
    const state = { keys: 9, approxBytes: 1234, watchers: 2, keysWithTtl: 0 };
    const samples = await exporter(fakeMetrics({ state })).scrape();
    expect(value(samples, "hearth_state_keys")).toBe(9);
    expect(value(samples, "hearth_state_bytes")).toBe(1234);
    expect(value(samples, "hearth_state_watchers")).toBe(2);
  });

  it("counts uncaught errors by kind", async () => {
    const errors = { unhandledRejections: 2, uncaughtExceptions: 1 };
    const samples = await exporter(fakeMetrics({ errors })).scrape();
    expect(value(samples, "hearth_uncaught_errors_total", { kind: "unhandled_rejection" })).toBe(2);
    expect(value(samples, "hearth_uncaught_errors_total", { kind: "uncaught_exception" })).toBe(1);
  });

  it("exports the sizes of the database files present in the data directory", async () => {
    const dir = tempDir();
    writeFileSync(join(dir, "hearth.db"), Buffer.alloc(8192));
    const samples = await exporter(fakeMetrics(), { dataDir: dir }).scrape();
    expect(value(samples, "hearth_storage_file_bytes", { file: "db" })).toBe(8192);
    expect(find(samples, "hearth_storage_file_bytes", { file: "wal" })).toEqual([]);
  });

  it("still answers with process and build figures when the runtime is not initialised", async () => {
    const metrics = createMetrics({
      getMetrics: () => {
        throw new HearthError("RUNTIME_NOT_READY", "The runtime is not initialised");
      },
      version: VERSION,
    });
    const samples = parseExposition((await metrics.render()).body);
    expect(value(samples, "hearth_build_info", { commit: "abc1234" })).toBe(1);
    expect(value(samples, "hearth_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(find(samples, "hearth_runtime_phase")).toEqual([]);
  });
});

describe("process and disk families", () => {
  it("exports resident memory and heap usage", async () => {
    const samples = await exporter().scrape();
    expect(value(samples, "hearth_process_resident_memory_bytes")).toBeGreaterThan(0);
    expect(value(samples, "hearth_nodejs_heap_size_used_bytes")).toBeGreaterThan(0);
  });

  it("leaves out the default metrics that mean nothing under Bun", async () => {
    const names = new Set((await exporter().scrape()).map((s) => s.name));
    expect(
      [...names].filter((n) => /heap_space|gc_duration|version_info|active_|process_heap_bytes/.test(n)),
    ).toEqual([]);
  });

  it("reads hearth_disk_write_bytes_total from write_bytes in /proc/self/io", async () => {
    const io = join(tempDir(), "io");
    const text = (bytes: number) =>
      `rchar: 10\nwchar: 99999\nsyscr: 1\nsyscw: 1\nread_bytes: 0\nwrite_bytes: ${bytes}\ncancelled_write_bytes: 0\n`;
    writeFileSync(io, text(4096));
    const { scrape } = exporter(fakeMetrics(), { procIoPath: io });
    expect(value(await scrape(), "hearth_disk_write_bytes_total")).toBe(4096);
    writeFileSync(io, text(12288));
    expect(value(await scrape(), "hearth_disk_write_bytes_total")).toBe(12288);
  });

  it("omits hearth_disk_write_bytes_total when /proc/self/io cannot be read", async () => {
    const { scrape } = exporter(fakeMetrics(), { procIoPath: join(tempDir(), "missing") });
    const samples = await scrape();
    expect(find(samples, "hearth_disk_write_bytes_total")).toEqual([]);
    expect(value(samples, "hearth_build_info", { commit: "abc1234" })).toBe(1);
  });

  it("reads the real /proc/self/io by default where the kernel offers it", async () => {
    if (!readable("/proc/self/io")) return;
    const samples = await exporter().scrape();
    expect(find(samples, "hearth_disk_write_bytes_total")).toHaveLength(1);
  });

  it("lets two exporters live in one process without clashing", async () => {
    const a = exporter(fakeMetrics({ uptimeMs: 1000 }));
    const b = exporter(fakeMetrics({ uptimeMs: 2000 }));
    expect(value(await a.scrape(), "hearth_uptime_seconds")).toBe(1);
    expect(value(await b.scrape(), "hearth_uptime_seconds")).toBe(2);
  });
});
