/**
 * The automation module on a real runtime (storage on disk):
 *
 * - trigger → first action latency, p50/p99: a bus event that a rule triggers on, to the handler of
 *   the event its first action publishes, against a bare bus publish → handler in the same run;
 * - a device report → `device.state_changed` handler, p50/p99, with 1,000 enabled rules loaded (each a
 *   device trigger with a condition, on ten lights) against the same runtime with none;
 * - heap of 1,000 enabled rules (a runtime with them minus one without), in child processes.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { createEventBus } from "../src/kernel/bus/index.ts";
import type { CoreRuntime } from "../src/runtime.ts";
import type { PluginContext } from "../src/sdk/index.ts";
import { compare, figure, inChild, latencies, percentile, save } from "./lib.ts";

/** What a child run of this file reports. */
type Bytes = { bytes: number };

import { runtimeWith } from "./runtime.ts";

const ROOT = join(import.meta.dir, "..");
const scratch = () => mkdtempSync(join(ROOT, "bench", ".scratch-"));

/** A plugin that hands its context out and drives ten lights. */
function driver(holder: { ctx?: PluginContext<unknown> }) {
  return {
    manifest: { name: "bench", version: "1.0.0" },
    load: async () => ({
      default: {
        async onStart(ctx: PluginContext<unknown>) {
          holder.ctx = ctx;
          ctx.services.register("command", () => ({ ok: true }));
          for (let i = 0; i < 10; i++) {
            await ctx.services.call("devices.announce", {
              externalId: `l${i}`,
              name: `Light ${i}`,
              type: "light",
              area: `room-${i}`,
              capabilities: ["on_off", "brightness"],
            });
            await ctx.services.call("devices.report", {
              externalId: `l${i}`,
              state: { on_off: false, brightness: 50 },
            });
          }
        },
      },
    }),
  };
}

/** 1,000 rules like a real house's: a device trigger, a condition, a command. */
async function loadRules(runtime: CoreRuntime, n: number) {
  for (let i = 0; i < n; i++) {
    await runtime.kernel.services.call("automation.create", {
      id: `rule-${i}`,
      name: `Rule ${i}`,
      triggers: [{ type: "device", device: `bench-l${i % 10}`, capability: "brightness", above: 1000 + i }],
      conditions: [{ type: "time", after: "06:00", before: "23:00" }],
      actions: [
        { type: "device_command", device: `bench-l${(i + 1) % 10}`, changes: { on_off: true } },
        { type: "delay", ms: 60_000 },
        { type: "device_command", device: `bench-l${(i + 1) % 10}`, changes: { on_off: false } },
      ],
    });
  }
}

const mode = Bun.argv[2];
if (mode === "memory-0" || mode === "memory") {
  const dir = scratch();
  try {
    const runtime = await runtimeWith(dir, [driver({})]);
    if (mode === "memory") await loadRules(runtime, 1000);
    await runtime.kernel.storage.flush();
    Bun.gc(true);
    console.log(JSON.stringify({ bytes: process.memoryUsage().heapUsed }));
    await runtime.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

const dir = scratch();
try {
  const holder: { ctx?: PluginContext<unknown> } = {};
  const runtime = await runtimeWith(dir, [driver(holder)]);
  const { bus, services } = runtime.kernel;

  // Trigger → first action.
  await services.call("automation.create", {
    id: "latency",
    name: "Latency",
    mode: "parallel",
    max: 100,
    maxRunsPerMinute: 6000,
    triggers: [{ type: "event", event: "bench.go" }],
    actions: [{ type: "publish", event: "bench.acted", payload: { n: "{{ trigger.event.payload.n }}" } }],
  });
  let resolveActed: (() => void) | undefined;
  bus.subscribe("bench.acted", () => resolveActed?.());
  let n = 0;
  const ruleOnce = () =>
    new Promise<void>((resolve) => {
      resolveActed = resolve;
      void bus.publish("bench.go", { n: ++n });
    });
  const bare = createEventBus();
  let resolveBare: (() => void) | undefined;
  bare.subscribe("bench.acted", () => resolveBare?.());
  const bareOnce = () =>
    new Promise<void>((resolve) => {
      resolveBare = resolve;
      void bare.publish("bench.acted", { n: ++n });
    });
  // maxRunsPerMinute bounds a real rule; the bench lifts it by running in bursts under the cap.
  const base = await latencies(3000, bareOnce);
  const rule: number[] = [];
  for (let burst = 0; burst < 3; burst++) {
    await runtime.kernel.services.call("automation.replace", {
      id: "latency",
      name: `Latency ${burst}`,
      mode: "parallel",
      max: 100,
      maxRunsPerMinute: 6000,
      triggers: [{ type: "event", event: "bench.go" }],
      actions: [{ type: "publish", event: "bench.acted", payload: { n: "{{ trigger.event.payload.n }}" } }],
    });
    rule.push(...(await latencies(1000, ruleOnce)));
  }
  rule.sort((a, b) => a - b);
  for (const p of [50, 99]) {
    figure({
      name: `trigger → first action p${p}`,
      value: percentile(rule, p),
      unit: "µs",
      ratio: percentile(rule, p) / percentile(base, p),
      note: `bare publish → handler p${p} ${percentile(base, p).toFixed(1)} µs`,
    });
  }
  await services.call("automation.delete", { id: "latency" });

  // A device report with 1,000 enabled rules loaded, against none.
  const ctx = holder.ctx as PluginContext<unknown>;
  let resolveChange: (() => void) | undefined;
  bus.subscribe("device.state_changed", () => resolveChange?.());
  let level = 0;
  const reportOnce = () =>
    new Promise<void>((resolve) => {
      resolveChange = resolve;
      level = (level + 1) % 100;
      void ctx.services.call("devices.report", { externalId: "l0", state: { brightness: level } });
    });
  const none = await latencies(3000, reportOnce);
  await compare("devices.report → device.state_changed handler", [
    { name: "no rules", baseline: true, fn: reportOnce },
  ]);
  await loadRules(runtime, 1000);
  const loaded = await latencies(3000, reportOnce);
  await compare("devices.report → device.state_changed handler, 1,000 enabled rules", [
    { name: "1,000 rules (100 on this light)", baseline: true, fn: reportOnce },
  ]);
  for (const p of [50, 99]) {
    figure({
      name: `report with 1,000 enabled rules p${p}`,
      value: percentile(loaded, p),
      unit: "µs",
      ratio: percentile(loaded, p) / percentile(none, p),
      note: `no rules p${p} ${percentile(none, p).toFixed(1)} µs`,
    });
  }
  await runtime.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const withRules = inChild<Bytes>(import.meta.path, "memory").bytes;
const without = inChild<Bytes>(import.meta.path, "memory-0").bytes;
figure({
  name: "heap of 1,000 enabled rules (a runtime with them minus one without)",
  value: (withRules - without) / 1024 / 1024,
  unit: "MiB",
  note: `runtime heap without rules ${(without / 1024 / 1024).toFixed(1)} MiB`,
});
save("automation");
