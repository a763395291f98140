/**
 * The mqtt plugin against Debian's mosquitto (aedes in-process if mosquitto is not installed), on
 * 127.0.0.1:
 *
 * - device report → the state message at a subscriber, p50/p99, against an `mqtt` client publishing
 *   the same JSON directly to the same subscriber, in the same run;
 * - a command across two nodes (B's devices.command on A's imported light → A's demo plugin → A's
 *   state → B's device.state_changed), against the same command made locally on A;
 * - RSS of a runtime with 200 devices with the plugin connected, against the same runtime with the
 *   plugin disabled (fresh child processes).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectAsync } from "mqtt";
import type { CoreRuntime } from "../src/runtime.ts";
import type { PluginContext } from "../src/sdk/index.ts";
import { startBroker } from "../test/helpers/mqtt.ts";
import { figure, freePort, latencies, save } from "./lib.ts";
import { lightsPlugin, runtimeWith } from "./runtime.ts";

const ROOT = join(import.meta.dir, "..");
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 2000);
const mqttManifest = JSON.parse(readFileSync(join(ROOT, "plugins/mqtt/plugin.json"), "utf8"));
const demoManifest = JSON.parse(readFileSync(join(ROOT, "plugins/demo/plugin.json"), "utf8"));
const mqttSource = { manifest: mqttManifest, load: () => import("../plugins/mqtt/index.ts") };
const demoSource = { manifest: demoManifest, load: () => import("../plugins/demo/index.ts") };

/** A broker for the run: mosquitto in its own process, or aedes in this one. */
async function broker(): Promise<{ url: string; kind: string; stop: () => Promise<void> }> {
  if (Bun.which("mosquitto") !== null) {
    const port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), "hearth-bench-mosq-"));
    writeFileSync(
      join(dir, "m.conf"),
      `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\nset_tcp_nodelay true\n`,
    );
    const proc = Bun.spawn(["mosquitto", "-c", join(dir, "m.conf")], { stdout: "ignore", stderr: "ignore" });
    for (let i = 0; i < 100; i++) {
      const c = await connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0 }).catch(() => undefined);
      if (c) {
        await c.endAsync();
        break;
      }
      await Bun.sleep(50);
    }
    return {
      url: `mqtt://127.0.0.1:${port}`,
      kind: "mosquitto",
      stop: async () => {
        proc.kill();
        await proc.exited;
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const b = await startBroker();
  return { url: b.url, kind: "aedes (in-process)", stop: () => b.stop() };
}

const pct = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

// ---- child mode: RSS with 200 devices ----
const mode = Bun.argv[2];
if (mode === "rss-on" || mode === "rss-off") {
  const url = Bun.argv[3] as string;
  const dir = mkdtempSync(join(tmpdir(), "hearth-bench-rss-"));
  try {
    const rt = await runtimeWith(dir, [lightsPlugin(200, {}), mqttSource], {
      "plugins.mqtt.enabled": mode === "rss-on",
      "plugins.mqtt.config": { url, nodeId: "rss" },
    });
    if (mode === "rss-on") {
      for (let i = 0; i < 200; i++) {
        const s = (await rt.kernel.services.call("mqtt.status", {})) as { connected: boolean };
        if (s.connected) break;
        await Bun.sleep(20);
      }
    }
    await Bun.sleep(500);
    Bun.gc(true);
    await Bun.sleep(100);
    console.log(JSON.stringify({ rss: process.memoryUsage().rss }));
    await rt.stop();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  process.exit(0);
}

const log = (m: string) => console.error(`[mqtt bench] ${m}`);
const b = await broker();
console.log(`broker: ${b.kind}`);
const dirs: string[] = [];
const scratch = () => {
  const d = mkdtempSync(join(tmpdir(), "hearth-bench-mqtt-"));
  dirs.push(d);
  return d;
};
try {
  // ---- report → MQTT publish ----
  const holder: { ctx?: PluginContext<unknown> } = {};
  const rt = await runtimeWith(scratch(), [lightsPlugin(1, holder), mqttSource], {
    "plugins.mqtt.config": { url: b.url, nodeId: "bench", qos: 0, discovery: { enabled: false } },
  });
  const ctx = holder.ctx as PluginContext<unknown>;
  const sub = await connectAsync(b.url, { reconnectPeriod: 0 });
  let waiting: ((topic: string) => void) | undefined;
  sub.on("message", (topic) => waiting?.(topic));
  await sub.subscribeAsync(["hearth/bench/devices/bench-l0/state", "bench/direct"], { qos: 0 });
  for (let i = 0; i < 200; i++) {
    if (((await rt.kernel.services.call("mqtt.status", {})) as { connected: boolean }).connected) break;
    await Bun.sleep(20);
  }
  const arrive = (topic: string) =>
    new Promise<void>((resolve) => {
      waiting = (t) => {
        if (t === topic) resolve();
      };
    });
  let level = 0;
  const viaHearth = async () => {
    level = (level + 1) % 100;
    const got = arrive("hearth/bench/devices/bench-l0/state");
    await ctx.services.call("devices.report", { externalId: "l0", state: { brightness: level } });
    await got;
  };
  const pub = await connectAsync(b.url, { reconnectPeriod: 0 });
  const direct = async () => {
    level = (level + 1) % 100;
    const got = arrive("bench/direct");
    pub.publish(
      "bench/direct",
      JSON.stringify({
        on_off: false,
        brightness: level,
        color_temp: 2700,
        state: "OFF",
        color_mode: "color_temp",
      }),
      { qos: 0, retain: true },
    );
    await got;
  };
  log("warm-up report");
  await latencies(200, viaHearth);
  log("warm-up direct");
  await latencies(200, direct);
  const hearthLat: number[] = [];
  const directLat: number[] = [];
  // Alternate in blocks so drift on a shared machine hits both alike.
  for (let blk = 0; blk < 10; blk++) {
    directLat.push(...(await latencies(SAMPLES / 10, direct)));
    hearthLat.push(...(await latencies(SAMPLES / 10, viaHearth)));
  }
  hearthLat.sort((x, y) => x - y);
  directLat.sort((x, y) => x - y);
  for (const p of [50, 99]) {
    figure({
      name: `device report → state message at a subscriber, p${p}`,
      value: pct(hearthLat, p),
      unit: "µs",
      ratio: pct(hearthLat, p) / pct(directLat, p),
      note: `an mqtt client publishing directly: p${p} ${pct(directLat, p).toFixed(0)} µs (${b.kind})`,
    });
  }
  await sub.endAsync();
  await pub.endAsync();
  await rt.stop();

  log("cross-node");
  // ---- a command across two nodes ----
  const a = await runtimeWith(scratch(), [demoSource, mqttSource], {
    "plugins.demo.config": {
      commandDelayMs: 0,
      intervalMs: 3_600_000,
      motionChance: 0,
      doorChance: 0,
      buttonChance: 0,
    },
    "plugins.mqtt.config": { url: b.url, nodeId: "a", discovery: { enabled: false } },
  });
  const bNode = await runtimeWith(scratch(), [mqttSource], {
    "plugins.mqtt.config": { url: b.url, nodeId: "b", import: ["a"], discovery: { enabled: false } },
  });
  for (let i = 0; i < 500; i++) {
    const d = bNode.kernel.state.get("devices/mqtt-a-demo-light") as { available?: boolean } | undefined;
    if (d?.available) break;
    await Bun.sleep(20);
  }
  /** Resolves on the device's next state_changed that reports `on_off` = `value`. */
  const changed = (rt2: CoreRuntime, id: string, value: boolean) =>
    new Promise<void>((resolve) => {
      const off = rt2.kernel.bus.subscribe("device.state_changed", (e) => {
        const p = e.payload as { id: string; new: { on_off?: boolean } };
        if (p.id === id && p.new.on_off === value) {
          off();
          resolve();
        }
      });
    });
  const reported = (rt2: CoreRuntime, id: string) =>
    (rt2.kernel.state.get(`devices/${id}`) as { state: { reported: { on_off?: boolean } } }).state.reported
      .on_off === true;
  /** B has caught up with A (the last local command's state has arrived). */
  const settled = async () => {
    while (reported(bNode, "mqtt-a-demo-light") !== reported(a, "demo-light")) await Bun.sleep(1);
  };
  const crossNode = async () => {
    const on = !reported(bNode, "mqtt-a-demo-light");
    const done = changed(bNode, "mqtt-a-demo-light", on);
    await bNode.kernel.services.call("devices.command", { id: "mqtt-a-demo-light", changes: { on_off: on } });
    await done;
  };
  const local = async () => {
    const on = !reported(a, "demo-light");
    const done = changed(a, "demo-light", on);
    await a.kernel.services.call("devices.command", { id: "demo-light", changes: { on_off: on } });
    await done;
  };
  await latencies(50, crossNode);
  await latencies(50, local);
  await settled();
  const crossLat: number[] = [];
  const localLat: number[] = [];
  for (let blk = 0; blk < 10; blk++) {
    localLat.push(...(await latencies(30, local)));
    await settled();
    crossLat.push(...(await latencies(30, crossNode)));
  }
  crossLat.sort((x, y) => x - y);
  localLat.sort((x, y) => x - y);
  for (const p of [50, 99]) {
    figure({
      name: `command across two nodes (B → broker → A → broker → B), p${p}`,
      value: pct(crossLat, p) / 1000,
      unit: "ms",
      ratio: pct(crossLat, p) / pct(localLat, p),
      note: `the same command on A itself: p${p} ${(pct(localLat, p) / 1000).toFixed(2)} ms`,
    });
  }
  await bNode.stop();
  await a.stop();

  log("rss");
  // ---- RSS with 200 devices ----
  const child = (m: string) => {
    const proc = Bun.spawnSync([process.execPath, "run", import.meta.path, m, b.url], { stderr: "inherit" });
    return (JSON.parse(proc.stdout.toString().trim().split("\n").at(-1) ?? "{}") as { rss: number }).rss;
  };
  const on3: number[] = [];
  const off3: number[] = [];
  for (let i = 0; i < 3; i++) {
    off3.push(child("rss-off"));
    on3.push(child("rss-on"));
  }
  const med = (xs: number[]) => [...xs].sort((x, y) => x - y)[1] as number;
  figure({
    name: "RSS with 200 devices, plugin connected (median of 3)",
    value: med(on3) / 2 ** 20,
    unit: "MiB",
    ratio: med(on3) / med(off3),
    note: `plugin disabled: ${(med(off3) / 2 ** 20).toFixed(1)} MiB; cost ${((med(on3) - med(off3)) / 2 ** 20).toFixed(1)} MiB`,
  });
} finally {
  await b.stop();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}
save("mqtt");
process.exit(0);
