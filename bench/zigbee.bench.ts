/**
 * The zigbee plugin against the Z-Stack simulator over a socat pty:
 *
 * - a ZCL attribute report frame written on the pty (by the simulated stick) → `device.state_changed`
 *   delivered, p50/p99, against a bare bus publish → handler in the same run (in process: the
 *   runtime with the plugin, and the simulator on the other end of the pty);
 * - the compiled `hearth run` without a `plugins.zigbee` section (the baseline), configured (network
 *   up), and configured with 50 simulated devices joined and interviewed: exec → first /health 200,
 *   exec → "zigbee network up", and resident memory (VmRSS) once settled. The simulator runs in its
 *   own process (scripts/zstack-sim.ts), so its memory is not counted.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import manifest from "../plugins/zigbee/plugin.json" with { type: "json" };
import { installSerialportShim } from "../src/hal/serial/bindings-cpp-plugin.ts";
import { createEventBus } from "../src/kernel/bus/index.ts";
import { loadConfig } from "../src/kernel/config/index.ts";
import { silentLogger } from "../src/kernel/log/index.ts";
import { builtinSource } from "../src/kernel/plugins/index.ts";
import { CoreRuntime } from "../src/runtime.ts";
import { startPtyPair } from "../test/helpers/socat.ts";
import { attachPty, SIM_DEVICE_KINDS, ZnpStick } from "../test/zigbee/sim/index.ts";
import { figure, freePort, save } from "./lib.ts";

installSerialportShim();
const ROOT = join(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "hearth-bench-zigbee-"));
const SAMPLES = Number(process.env.BENCH_SAMPLES ?? 500);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DEVICES = 50;

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

async function waitFor(cond: () => boolean | Promise<boolean>, what: string, ms = 60_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
}

// ---- report latency, in process ----

async function reportLatency(): Promise<void> {
  const pty = await startPtyPair();
  const stick = new ZnpStick();
  const sim = attachPty(stick, pty.b);
  const dir = mkdtempSync(join(work, "latency-"));
  const { config } = loadConfig({
    env: { HEARTH_DATA_DIR: dir },
    cwd: dir,
    overrides: { "plugins.zigbee.config": { port: pty.a, pingIntervalMs: 0 } },
  });
  const runtime = new CoreRuntime({
    config,
    logger: silentLogger(),
    http: false,
    hookTimeoutMs: 8000,
    builtinPlugins: [builtinSource({ manifest, load: () => import("../plugins/zigbee/index.ts") })],
  });
  await runtime.start();
  const { bus } = runtime.kernel;
  // Permit join through the plugin: it answers once herdsman has started the network.
  await waitFor(
    () =>
      runtime.kernel.services.call("zigbee.permit_join", { seconds: 60 }).then(
        () => true,
        () => false,
      ),
    "the network",
  );
  stick.join("climate");

  let expect = 0;
  let resolveReport: (() => void) | undefined;
  bus.subscribe("device.state_changed", (e) => {
    if ((e.payload as { new?: { temperature?: number } }).new?.temperature === expect) resolveReport?.();
  });
  let value = 1000;
  const reportOnce = () =>
    new Promise<void>((resolve) => {
      resolveReport = resolve;
      value = value >= 3000 ? 1000 : value + 10;
      expect = value / 100;
      stick.report("climate", 0x0402, { 0: value });
    });

  const bare = createEventBus();
  let resolveBare: (() => void) | undefined;
  bare.subscribe("device.state_changed", () => resolveBare?.());
  const bareOnce = () =>
    new Promise<void>((resolve) => {
      resolveBare = resolve;
      void bare.publish("device.state_changed", { id: "x", changed: ["temperature"] });
    });

  const sample = async (n: number, one: () => Promise<void>) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const t0 = performance.now();
      await one();
      out.push((performance.now() - t0) * 1000);
    }
    return out.sort((a, b) => a - b);
  };
  // Reports reach state_changed once the sensor is interviewed and announced.
  let landed = false;
  const first = bus.subscribe("device.state_changed", () => {
    landed = true;
  });
  await waitFor(() => {
    if (!landed) stick.report("climate", 0x0402, { 0: 999 });
    return Bun.sleep(20).then(() => landed);
  }, "the climate sensor's first report");
  first();
  await sample(50, reportOnce); // warm-up
  await sample(500, bareOnce);
  const base = await sample(SAMPLES * 4, bareOnce);
  const rep = await sample(SAMPLES, reportOnce);
  console.log(`\nZCL report frame on the pty → device.state_changed (${SAMPLES} reports, one at a time)`);
  for (const p of [50, 99]) {
    figure({
      name: `report frame on the pty → state_changed p${p}`,
      value: percentile(rep, p),
      unit: "µs",
      ratio: percentile(rep, p) / percentile(base, p),
      note: `bare publish → handler p${p} ${percentile(base, p).toFixed(1)} µs`,
    });
  }
  await runtime.stop();
  await sim.close();
  await pty.dispose();
}

// ---- the compiled binary: start, network up, RSS ----

const rssMiB = (pid: number) =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? Number.NaN) / 1024;

interface RunResult {
  healthMs: number;
  networkMs?: number;
  devicesMs?: number;
  rss: number;
}

/** One `hearth run`: without zigbee, configured (network up), or configured with DEVICES joined. */
async function once(bin: string, kind: "off" | "on" | "devices"): Promise<RunResult> {
  const dir = mkdtempSync(join(work, `${kind}-`));
  const pty = kind === "off" ? undefined : await startPtyPair();
  const sim =
    pty === undefined
      ? undefined
      : Bun.spawn([process.execPath, join(ROOT, "scripts/zstack-sim.ts"), "--pty", pty.b], {
          stdin: "pipe",
          stdout: "ignore",
          stderr: "inherit",
        });
  const config = pty ? { plugins: { zigbee: { config: { port: pty.a } } } } : {};
  writeFileSync(join(dir, "hearth.json"), JSON.stringify(config));
  const port = await freePort();
  const t0 = performance.now();
  const proc = Bun.spawn([bin, "run", "--data-dir", join(dir, "data")], {
    cwd: dir,
    env: {
      PATH: process.env.PATH ?? "",
      HEARTH_CONFIG: join(dir, "hearth.json"),
      HEARTH_HTTP_HOST: "127.0.0.1",
      HEARTH_HTTP_PORT: String(port),
      HEARTH_LOG_LEVEL: "info",
    },
    stdout: "pipe",
    stderr: "inherit",
  });
  let networkMs: number | undefined;
  const pump = (async () => {
    let buf = "";
    for await (const chunk of proc.stdout) {
      buf += new TextDecoder().decode(chunk);
      if (networkMs === undefined && buf.includes('"msg":"zigbee network up"'))
        networkMs = performance.now() - t0;
      buf = buf.slice(-4096);
    }
  })();
  const url = (p: string) => `http://127.0.0.1:${port}${p}`;
  let healthMs = Number.NaN;
  await waitFor(async () => {
    const ok = await fetch(url("/health")).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) healthMs = performance.now() - t0;
    return ok;
  }, "/health 200");
  let devicesMs: number | undefined;
  if (kind !== "off") await waitFor(() => networkMs !== undefined, "zigbee network up");
  if (kind === "devices" && sim) {
    const token = readFileSync(join(dir, "data", "admin.token"), "utf8").trim();
    const lines = [{ op: "permit", seconds: 254 }];
    for (let i = 0; i < DEVICES; i++)
      lines.push({ op: "join", kind: SIM_DEVICE_KINDS[i % SIM_DEVICE_KINDS.length], force: true } as never);
    sim.stdin.write(lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
    await sim.stdin.flush();
    const t1 = performance.now();
    await waitFor(
      async () => {
        const body = (await (
          await fetch(url("/api/v1/devices?owner=zigbee"), { headers: { Authorization: `Bearer ${token}` } })
        ).json()) as { devices: unknown[] };
        return body.devices.length >= DEVICES;
      },
      `${DEVICES} devices`,
      180_000,
    );
    devicesMs = performance.now() - t1;
  }
  await Bun.sleep(3000); // settle: timers, deferred writes, the allocator
  const rss = rssMiB(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  await pump;
  sim?.kill("SIGTERM");
  await sim?.exited;
  await pty?.dispose();
  rmSync(dir, { recursive: true, force: true });
  return {
    healthMs,
    rss,
    ...(networkMs === undefined ? {} : { networkMs }),
    ...(devicesMs === undefined ? {} : { devicesMs }),
  };
}

async function binaryFigures(): Promise<void> {
  const build = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outdir", work], {
    cwd: ROOT,
  });
  if (build.exitCode !== 0) throw new Error(`build failed: ${build.stderr}`);
  const bin = join(work, `hearth-linux-${process.arch === "arm64" ? "arm64" : "x64"}`);
  const runs = { off: [] as RunResult[], on: [] as RunResult[], devices: [] as RunResult[] };
  await once(bin, "off"); // warms the page cache
  for (let i = 0; i < RUNS; i++) {
    runs.off.push(await once(bin, "off"));
    runs.on.push(await once(bin, "on"));
    runs.devices.push(await once(bin, "devices"));
  }
  const m = (k: keyof typeof runs, f: (r: RunResult) => number | undefined) =>
    median(runs[k].map((r) => f(r) ?? Number.NaN));
  const offHealth = m("off", (r) => r.healthMs);
  const offRss = m("off", (r) => r.rss);
  console.log(`\ncompiled hearth run, median of ${RUNS} alternating runs`);
  figure({ name: "exec → /health 200: zigbee not configured (baseline)", value: offHealth, unit: "ms" });
  figure({
    name: "exec → /health 200: zigbee configured",
    value: m("on", (r) => r.healthMs),
    unit: "ms",
    ratio: m("on", (r) => r.healthMs) / offHealth,
    note: "the network starts in a task after start-up",
  });
  figure({
    name: "exec → zigbee network up (first start: a new network is formed)",
    value: m("on", (r) => r.networkMs),
    unit: "ms",
    note: "herdsman waits ~3 s for the NIB after commissioning",
  });
  figure({ name: "RSS settled: zigbee not configured (baseline)", value: offRss, unit: "MiB" });
  figure({
    name: "RSS settled: zigbee configured, network up, no devices",
    value: m("on", (r) => r.rss),
    unit: "MiB",
    ratio: m("on", (r) => r.rss) / offRss,
    note: `+${(m("on", (r) => r.rss) - offRss).toFixed(1)} MiB`,
  });
  figure({
    name: `RSS settled: zigbee with ${DEVICES} simulated devices`,
    value: m("devices", (r) => r.rss),
    unit: "MiB",
    ratio: m("devices", (r) => r.rss) / offRss,
    note: `+${(m("devices", (r) => r.rss) - offRss).toFixed(1)} MiB; ${DEVICES} joined and interviewed in ${(m("devices", (r) => r.devicesMs) / 1000).toFixed(1)} s`,
  });
}

try {
  await reportLatency();
  await binaryFigures();
  save("zigbee");
} finally {
  rmSync(work, { recursive: true, force: true });
}
