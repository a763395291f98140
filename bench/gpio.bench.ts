/**
 * GPIO input edge → `device.state_changed`, on a real runtime (storage on disk, the built-in gpio
 * plugin, `hardware.gpio.driver: "sim"`): the sim world the runtime shares (`kernel.hardware.gpio`)
 * drives a motion sensor's line, and the time runs until a `device.state_changed` handler sees it.
 * Baselines in the same run: a bare bus publish → handler, and the sim driver's own edge → `watch`
 * callback (what the plugin adds on top of the driver is the difference).
 *
 * Debounce is 0 on the measured pin: a debounce is a deliberate wait, not a cost.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import { BUILTIN_PLUGINS } from "../src/builtin-plugins.generated.ts";
import type { SimGpio } from "../src/hal/gpio/index.ts";
import { createEventBus } from "../src/kernel/bus/index.ts";
import { loadConfig } from "../src/kernel/config/index.ts";
import { silentLogger } from "../src/kernel/log/index.ts";
import { builtinSource } from "../src/kernel/plugins/index.ts";
import { CoreRuntime } from "../src/runtime.ts";
import { compare, figure, latencies, percentile, save } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const SAMPLES = 5000;
const PIR_LINE = 4;
const RAW_LINE = 5;

/** `samples` timings of `one`, in µs, sorted. */

const dir = mkdtempSync(join(ROOT, "bench", ".scratch-"));
try {
  const gpioPlugin = BUILTIN_PLUGINS.filter((p) => (p.manifest as { name: string }).name === "gpio").map(
    builtinSource,
  );
  const { config } = loadConfig({
    env: { HEARTH_DATA_DIR: dir },
    cwd: dir,
    overrides: {
      "hardware.gpio": { driver: "sim", sysfsRoot: "/nonexistent", devDir: "/nonexistent" },
      "plugins.gpio": {
        config: {
          // No periodic refresh during the run: only edges report.
          refreshMs: 3_600_000,
          pins: [
            { id: "pir", name: "PIR", role: "input", kind: "motion", line: PIR_LINE, debounceMs: 0 },
            { id: "relay", name: "Relay", role: "output", kind: "relay", line: 17 },
          ],
        },
      },
    },
  });
  const runtime = new CoreRuntime({
    config,
    logger: silentLogger(),
    http: false,
    builtinPlugins: gpioPlugin,
  });
  await runtime.start();
  const { bus, hardware } = runtime.kernel;
  const world = (await hardware.gpio.get()) as SimGpio;
  if (runtime.kernel.plugins.get("gpio").health?.status !== "ok") throw new Error("gpio plugin is not ok");

  // Edge on the PIR line → the devices module's device.state_changed for gpio-pir.
  let resolveChange: (() => void) | undefined;
  bus.subscribe("device.state_changed", (e) => {
    if ((e.payload as { id: string }).id === "gpio-pir") resolveChange?.();
  });
  let level = 0;
  const edgeToStateChanged = () =>
    new Promise<void>((resolve) => {
      resolveChange = resolve;
      level ^= 1;
      world.drive(PIR_LINE, level as 0 | 1);
    });

  // The sim driver alone: an edge on another line of the same world → its watch callback.
  const raw = await world.open(RAW_LINE, { direction: "input", edge: "both", debounceMs: 0 });
  let resolveRaw: (() => void) | undefined;
  raw.watch(() => resolveRaw?.());
  let rawLevel = 0;
  const edgeToWatch = () =>
    new Promise<void>((resolve) => {
      resolveRaw = resolve;
      rawLevel ^= 1;
      world.drive(RAW_LINE, rawLevel as 0 | 1);
    });

  const bare = createEventBus();
  let resolveBare: (() => void) | undefined;
  bare.subscribe("device.state_changed", () => resolveBare?.());
  const bareOnce = () =>
    new Promise<void>((resolve) => {
      resolveBare = resolve;
      void bare.publish("device.state_changed", { id: "gpio-pir", changed: ["motion"] });
    });

  // Each edge is checked to arrive before timing starts.
  await edgeToStateChanged();
  await edgeToWatch();

  await compare("sim GPIO input edge → handler (motion sensor, debounce 0)", [
    { name: "bare bus.publish → handler", baseline: true, fn: bareOnce },
    { name: "sim driver: drive(line) → watch callback", fn: edgeToWatch },
    { name: "gpio plugin: drive(line) → device.state_changed handler", fn: edgeToStateChanged },
  ]);

  const base = await latencies(SAMPLES, bareOnce);
  const watch = await latencies(SAMPLES, edgeToWatch);
  const edge = await latencies(SAMPLES, edgeToStateChanged);
  for (const p of [50, 99]) {
    figure({
      name: `sim edge → device.state_changed p${p}`,
      value: percentile(edge, p),
      unit: "µs",
      ratio: percentile(edge, p) / percentile(base, p),
      note: `bare publish p${p} ${percentile(base, p).toFixed(1)} µs; sim edge → watch p${p} ${percentile(watch, p).toFixed(1)} µs`,
    });
  }
  await raw.close();
  await runtime.stop();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

save("gpio");
