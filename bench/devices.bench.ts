/**
 * The devices module on a real runtime (storage on disk, the demo plugin where a plugin is needed):
 *
 * - report → `device.state_changed` latency, p50/p99, against a bare bus publish → handler in the
 *   same run;
 * - a command's round trip through the demo plugin (command → owner → report → state_changed),
 *   against a bare service call to the same plugin;
 * - memory per 1,000 devices, against the same records held in a plain Map;
 * - bytes written to disk per 1,000 reports, with reported state deferred (as the module writes it)
 *   against the same records written durably.
 *
 * Memory and disk figures are taken in child processes, so one case's heap and page cache do not
 * skew the next.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createEventBus } from "../src/kernel/bus/index.ts";
import { CoreRuntime } from "../src/runtime.ts";
import type { PluginContext } from "../src/sdk/index.ts";
import { compare, figure, inChild, latencies, percentile, save } from "./lib.ts";

/** What a child run of this file reports. */
type Bytes = { bytes: number };

/** Three attributes per light: the heap per device below was measured with them. */
const BENCH_ATTRIBUTES = { manufacturer: "Bench", model: "L1", firmware: "1.0.0" };

import { lightsPlugin, runtimeWith } from "./runtime.ts";

const ROOT = join(import.meta.dir, "..");
/** On the real disk (not a tmpfs), so write_bytes means something. */
const scratch = () => mkdtempSync(join(ROOT, "bench", ".scratch-"));

/** A plugin that hands its context out and announces `n` lights. */

// ---- child modes: memory and disk, one fresh process each ----

const mode = Bun.argv[2];
if (mode === "memory-0" || mode === "memory" || mode === "memory-baseline") {
  const dir = scratch();
  try {
    Bun.gc(true);
    const before = process.memoryUsage().heapUsed;
    let keep: unknown;
    if (mode === "memory" || mode === "memory-0") {
      keep = await runtimeWith(dir, [lightsPlugin(mode === "memory" ? 1000 : 0, {}, BENCH_ATTRIBUTES)]);
    } else {
      const map = new Map<string, unknown>();
      for (let i = 0; i < 1000; i++) {
        map.set(`bench-l${i}`, {
          id: `bench-l${i}`,
          name: `Light ${i}`,
          type: "light",
          area: `room-${i % 20}`,
          capabilities: ["on_off", "brightness", "color_temp"].map((name) => ({
            name,
            kind: "x",
            commandable: true,
          })),
          attributes: { manufacturer: "Bench", model: "L1", firmware: "1.0.0" },
          state: { reported: { on_off: false, brightness: 50, color_temp: 2700 } },
        });
      }
      keep = map;
    }
    Bun.gc(true);
    const grown = process.memoryUsage().heapUsed - before;
    console.log(JSON.stringify({ bytes: grown, kept: keep !== undefined }));
    if (keep instanceof CoreRuntime) await keep.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}
if (mode === "disk-deferred" || mode === "disk-durable") {
  const dir = scratch();
  const writeBytes = () =>
    Number(/^write_bytes:\s*(\d+)/m.exec(readFileSync("/proc/self/io", "utf8"))?.[1] ?? 0);
  try {
    const holder: { ctx?: PluginContext<unknown> } = {};
    const runtime = await runtimeWith(dir, [lightsPlugin(10, holder, BENCH_ATTRIBUTES)]);
    const ctx = holder.ctx as PluginContext<unknown>;
    const { storage } = runtime.kernel;
    await storage.flush();
    Bun.spawnSync(["sync"]);
    const before = writeBytes();
    for (let i = 0; i < 1000; i++) {
      if (mode === "disk-deferred") {
        await ctx.services.call("devices.report", {
          externalId: `l${i % 10}`,
          state: { brightness: i % 100 },
        });
      } else {
        // The same state record the module keeps, written durably on every report.
        await storage.set("devices.state", `bench-l${i % 10}`, {
          reported: { on_off: false, brightness: i % 100, color_temp: 2700 },
          desired: { on_off: false, brightness: i % 100, color_temp: 2700 },
          available: true,
          lastSeen: new Date().toISOString(),
        });
      }
    }
    await storage.flush();
    await runtime.stop();
    Bun.spawnSync(["sync"]);
    console.log(JSON.stringify({ bytes: writeBytes() - before }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

// ---- latency and round trip, in this process ----

const dir = scratch();
try {
  const holder: { ctx?: PluginContext<unknown> } = {};
  const runtime = await runtimeWith(dir, [lightsPlugin(1, holder, BENCH_ATTRIBUTES)]);
  const ctx = holder.ctx as PluginContext<unknown>;
  const { bus } = runtime.kernel;

  let resolveChange: (() => void) | undefined;
  bus.subscribe("device.state_changed", () => resolveChange?.());
  let level = 0;
  const reportOnce = () =>
    new Promise<void>((resolve) => {
      resolveChange = resolve;
      level = (level + 1) % 100;
      void ctx.services.call("devices.report", { externalId: "l0", state: { brightness: level } });
    });

  const bare = createEventBus();
  let resolveBare: (() => void) | undefined;
  bare.subscribe("device.state_changed", () => resolveBare?.());
  const bareOnce = () =>
    new Promise<void>((resolve) => {
      resolveBare = resolve;
      void bare.publish("device.state_changed", { id: "l0", changed: ["brightness"] });
    });

  await compare("report → device.state_changed delivered (one device, brightness changing)", [
    { name: "bare bus.publish → handler", baseline: true, fn: bareOnce },
    { name: "devices.report → device.state_changed handler", fn: reportOnce },
  ]);
  const base = await latencies(5000, bareOnce);
  const rep = await latencies(5000, reportOnce);
  for (const p of [50, 99]) {
    figure({
      name: `report → state_changed p${p}`,
      value: percentile(rep, p),
      unit: "µs",
      ratio: percentile(rep, p) / percentile(base, p),
      note: `bare publish p${p} ${percentile(base, p).toFixed(1)} µs`,
    });
  }
  await runtime.stop();

  // Command round trip through the demo plugin (its simulated delay set to 0).
  const demoDir = scratch();
  try {
    const demo = (await import("../plugins/demo/index.ts")).default;
    const manifest = JSON.parse(readFileSync(join(ROOT, "plugins/demo/plugin.json"), "utf8"));
    const rt = await runtimeWith(demoDir, [{ manifest, load: async () => ({ default: demo }) }], {
      "plugins.demo.config": { commandDelayMs: 0, intervalMs: 3_600_000 },
    });
    const { services, bus: demoBus } = rt.kernel;
    let resolveDemo: (() => void) | undefined;
    demoBus.subscribe("device.state_changed", (e) => {
      if ((e.payload as { id: string }).id === "demo-light") resolveDemo?.();
    });
    let on = false;
    const roundTrip = () =>
      new Promise<void>((resolve, reject) => {
        resolveDemo = resolve;
        on = !on;
        services.call("devices.command", { id: "demo-light", changes: { on_off: on } }).catch(reject);
      });
    await compare("command round trip through the demo plugin", [
      {
        name: "services.call demo.ping (bare call to the plugin)",
        baseline: true,
        fn: () => services.call("demo.ping"),
      },
      { name: "devices.command → demo → report → state_changed", fn: roundTrip },
    ]);
    await rt.stop();
  } finally {
    rmSync(demoDir, { recursive: true, force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const memory =
  inChild<Bytes>(import.meta.path, "memory").bytes - inChild<Bytes>(import.meta.path, "memory-0").bytes;
const memoryBase = inChild<Bytes>(import.meta.path, "memory-baseline");
figure({
  name: "heap per 1,000 devices (a runtime with 1,000 minus one with none)",
  value: memory / 1024 / 1024,
  unit: "MiB",
  ratio: memory / memoryBase.bytes,
  note: `the same records in a plain Map: ${(memoryBase.bytes / 1024 / 1024).toFixed(2)} MiB`,
});
const deferred = inChild<Bytes>(import.meta.path, "disk-deferred");
const durable = inChild<Bytes>(import.meta.path, "disk-durable");
figure({
  name: "bytes written per 1,000 reports, deferred (as the module does)",
  value: deferred.bytes / 1024,
  unit: "KiB",
  ratio: durable.bytes > 0 ? deferred.bytes / durable.bytes : undefined,
  note: `durable, one write per report: ${(durable.bytes / 1024).toFixed(0)} KiB`,
});
save("devices");
