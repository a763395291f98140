import { afterEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../../../src/kernel/config/index.ts";
import { silentLogger } from "../../../../../src/kernel/log/index.ts";
import { builtinSource } from "../../../../../src/kernel/plugins/index.ts";
import type { PluginSource } from "../../../../../src/kernel/plugins/types.ts";
import { createMetrics } from "../../../../../src/modules/admin/metrics/index.ts";
import { CoreRuntime } from "../../../../../src/runtime.ts";
import type { PluginDefinition } from "../../../../../src/sdk/index.ts";
import { find, parseExposition, type Sample, VERSION, value } from "./exposition.ts";

const runtimes: CoreRuntime[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const r of runtimes.splice(0)) await r.stop();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function plugin(name: string, definition: PluginDefinition<unknown>): PluginSource {
  return builtinSource({ manifest: { name, version: "1.0.0" }, load: async () => ({ default: definition }) });
}

/** A real runtime without the HTTP listener, plus an exporter over it (default service registry). */
async function startedRuntime(plugins: PluginSource[] = []) {
  const dir = mkdtempSync(join(tmpdir(), "hearth-metrics-rt-"));
  dirs.push(dir);
  const { config } = loadConfig({ env: { HEARTH_DATA_DIR: dir }, cwd: dir });
  const runtime = new CoreRuntime({
    config,
    logger: silentLogger(),
    http: false,
    builtinPlugins: plugins,
    hookTimeoutMs: 200,
  });
  runtimes.push(runtime);
  await runtime.start();
  const metrics = createMetrics({ getMetrics: () => runtime.getMetrics(), version: VERSION, dataDir: dir });
  const scrape = async (): Promise<Sample[]> => parseExposition((await metrics.render()).body);
  return { runtime, metrics, scrape };
}

describe("metrics of a real runtime", () => {
  it("shows each plugin with its state", async () => {
    const { scrape } = await startedRuntime([
      plugin("alpha", {}),
      plugin("beta", {
        onStart: () => {
          throw new Error("no");
        },
      }),
    ]);
    const samples = await scrape();
    expect(value(samples, "hearth_plugin_state", { plugin: "alpha" })).toBe(1);
    expect(find(samples, "hearth_plugin_state", { plugin: "alpha" })[0]?.labels.state).toBe("started");
    expect(find(samples, "hearth_plugin_state", { plugin: "beta" })[0]?.labels.state).toBe("failed");
  });

  it("shows the logger module started", async () => {
    const { scrape } = await startedRuntime();
    expect(value(await scrape(), "hearth_module_state", { module: "logger", state: "started" })).toBe(1);
  });

  it("counts service calls made through the runtime's registry", async () => {
    const { runtime, scrape } = await startedRuntime([
      plugin("gamma-rt", { onStart: (ctx) => ctx.services.register("ping", () => "pong") }),
    ]);
    await runtime.kernel.services.call("gamma-rt.ping");
    await runtime.kernel.services.call("gamma-rt.ping");
    const samples = await scrape();
    // The default registry is per process: this service name is used by no other test.
    expect(value(samples, "hearth_service_calls_total", { service: "gamma-rt.ping" })).toBe(2);
    expect(value(samples, "hearth_service_call_duration_seconds_count", { service: "gamma-rt.ping" })).toBe(
      2,
    );
  });

  it("counts bus events by type from the runtime's bus", async () => {
    const { runtime, scrape } = await startedRuntime();
    runtime.kernel.bus.subscribe("metrics.probed", () => undefined);
    await runtime.kernel.bus.publish("metrics.probed", {});
    await runtime.kernel.bus.publish("metrics.probed", {});
    const samples = await scrape();
    expect(value(samples, "hearth_bus_events_published_total", { type: "metrics.probed" })).toBe(2);
    expect(value(samples, "hearth_bus_events_delivered_total", { type: "metrics.probed" })).toBe(2);
    expect(value(samples, "hearth_bus_events_published_total", { type: "$runtime.started" })).toBe(1);
  });

  it("counts storage writes and state keys", async () => {
    const { runtime, scrape } = await startedRuntime();
    const before = await scrape();
    await runtime.kernel.storage.set("metrics", "k", { v: 1 });
    runtime.kernel.state.set("metrics/probe", 42);
    const after = await scrape();
    expect(value(after, "hearth_storage_writes_total")).toBeGreaterThan(
      value(before, "hearth_storage_writes_total"),
    );
    expect(value(after, "hearth_state_keys")).toBe(value(before, "hearth_state_keys") + 1);
    expect(value(after, "hearth_storage_file_bytes", { file: "db" })).toBeGreaterThan(0);
  });

  it("reports the uptime and phase of the runtime", async () => {
    const { scrape } = await startedRuntime();
    const samples = await scrape();
    expect(value(samples, "hearth_runtime_phase", { phase: "started" })).toBe(1);
    expect(value(samples, "hearth_uptime_seconds")).toBeGreaterThanOrEqual(0);
  });
});
