/**
 * Admin API throughput on loopback: requests/s for `GET /health` and an authenticated
 * `GET /api/v1/state/{key}` against a bare Hono route returning the same kind of JSON, all served by
 * `Bun.serve` in this process and measured in the same run. The load comes from `wrk` when installed
 * (a separate process), else from a fixed number of concurrent fetch loops in this process. Each case
 * runs a short warm-up, then a fixed duration: the whole suite is bounded to well under a minute.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { loadConfig } from "../src/kernel/config/index.ts";
import { createLogger } from "../src/kernel/log/index.ts";
import { createTokenStore } from "../src/modules/admin/auth/index.ts";
import { createIdleWatch, watchedFetch } from "../src/modules/admin/idle-watch.ts";
import { createAdminApp, IDLE_TIMEOUT_SECONDS } from "../src/modules/admin/index.ts";
import { CoreRuntime } from "../src/runtime.ts";
import { figure, save } from "./lib.ts";

const SECONDS = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const WARMUP_SECONDS = 1;
const CONNECTIONS = 16;
const WRK = Bun.which("wrk");

const dir = mkdtempSync(join(tmpdir(), "hearth-bench-http-"));
const { config } = loadConfig({ env: { HEARTH_DATA_DIR: dir }, cwd: dir });
// The access log line is part of every request's cost: format it, write it nowhere.
const logger = createLogger({ level: "info", destination: { write() {} } });
const runtime = new CoreRuntime({ config, logger, http: false, builtinPlugins: [] });
await runtime.start();
runtime.kernel.state.set("bench/lamp", { on: true, brightness: 80 });
const tokens = createTokenStore({ storage: runtime.kernel.storage });
const { token } = await tokens.create({ name: "bench", scopes: ["read"] });
const admin = createAdminApp({ kernel: runtime.kernel, tokens, logger });
// The same app with every request logged at info (`http.accessLog: "all"`, the behaviour before the
// access log had levels): the cost of formatting one line per request.
const { config: allConfig } = loadConfig({
  env: { HEARTH_DATA_DIR: dir },
  cwd: dir,
  overrides: { "http.accessLog": "all" },
});
const adminAll = createAdminApp({ kernel: { ...runtime.kernel, config: allConfig }, tokens, logger });

const bare = new Hono();
bare.get("/bare", (c) => c.json({ status: "healthy" }));

// Served as the admin module serves it (idle-timeout watch included), so the figure is the product's.
const idle = createIdleWatch({ log: logger, idleTimeoutSeconds: IDLE_TIMEOUT_SECONDS });
const adminServer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: IDLE_TIMEOUT_SECONDS,
  fetch: watchedFetch((req, srv) => admin.fetch(req, { server: srv }), idle),
});
const bareServer = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: bare.fetch });
const allServer = Bun.serve({
  hostname: "127.0.0.1",
  port: 0,
  idleTimeout: IDLE_TIMEOUT_SECONDS,
  fetch: watchedFetch((req, srv) => adminAll.fetch(req, { server: srv }), idle),
});

interface Load {
  url: string;
  headers?: Record<string, string>;
}

async function withWrk(load: Load, seconds: number): Promise<number> {
  const args = [WRK as string, "-t1", `-c${CONNECTIONS}`, `-d${seconds}s`];
  for (const [k, v] of Object.entries(load.headers ?? {})) args.push("-H", `${k}: ${v}`);
  const proc = Bun.spawn([...args, load.url], { stdout: "pipe", stderr: "pipe" });
  const [code, out] = await Promise.all([proc.exited, new Response(proc.stdout).text()]);
  if (code !== 0) throw new Error(`wrk failed (${code}): ${out}`);
  if (/Non-2xx/.test(out)) throw new Error(`non-2xx responses from ${load.url}:\n${out}`);
  const rps = /Requests\/sec:\s+([\d.]+)/.exec(out)?.[1];
  if (rps === undefined) throw new Error(`cannot read wrk output:\n${out}`);
  return Number(rps);
}

async function withFetch(load: Load, seconds: number): Promise<number> {
  const until = performance.now() + seconds * 1000;
  let done = 0;
  const loop = async () => {
    while (performance.now() < until) {
      const res = await fetch(load.url, { headers: load.headers });
      if (res.status !== 200) throw new Error(`${load.url} answered ${res.status}`);
      await res.arrayBuffer();
      done++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: CONNECTIONS }, loop));
  return done / ((performance.now() - t0) / 1000);
}

async function measure(load: Load): Promise<number> {
  const run = WRK ? withWrk : withFetch;
  await run(load, WARMUP_SECONDS);
  return run(load, SECONDS);
}

const driver = WRK ? `wrk, ${CONNECTIONS} connections` : `${CONNECTIONS} fetch loops in-process`;
const ROUNDS = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
console.log(`\nAdmin API requests/s on loopback (${SECONDS} s per case, ${ROUNDS} rounds, ${driver})`);
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)] as number;
};
try {
  const cases = {
    baseline: { url: `http://127.0.0.1:${bareServer.port}/bare` },
    health: { url: `http://127.0.0.1:${adminServer.port}/health` },
    state: {
      url: `http://127.0.0.1:${adminServer.port}/api/v1/state/bench/lamp`,
      headers: { Authorization: `Bearer ${token}` },
    },
    stateAll: {
      url: `http://127.0.0.1:${allServer.port}/api/v1/state/bench/lamp`,
      headers: { Authorization: `Bearer ${token}` },
    },
  } satisfies Record<string, Load>;
  // Rounds alternate the cases so a slow moment of the shared VM falls on all of them; each case's
  // figure is its median, each ratio the median of the per-round ratios to that round's baseline.
  const seen: Record<keyof typeof cases, number[]> = { baseline: [], health: [], state: [], stateAll: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const name of Object.keys(cases) as (keyof typeof cases)[])
      seen[name].push(await measure(cases[name]));
  }
  const ratio = (name: keyof typeof cases) =>
    median(seen[name].map((v, i) => v / (seen.baseline[i] as number)));
  figure({
    name: "bare Hono GET route (baseline)",
    value: median(seen.baseline),
    unit: "req/s",
    note: `${driver}; median of ${ROUNDS}`,
  });
  figure({
    name: "GET /health",
    value: median(seen.health),
    unit: "req/s",
    ratio: ratio("health"),
    note: "ratio = median of per-round req/s ÷ baseline's; runs the health check (a storage probe) each time",
  });
  figure({
    name: "GET /api/v1/state/{key} (bearer token)",
    value: median(seen.state),
    unit: "req/s",
    ratio: ratio("state"),
    note: "token hash + cached lookup, key validation; access line at debug (not formatted)",
  });
  figure({
    name: "GET /api/v1/state/{key}, http.accessLog all (every request at info)",
    value: median(seen.stateAll),
    unit: "req/s",
    ratio: ratio("stateAll"),
    note: "one info line formatted per request",
  });
} finally {
  await adminServer.stop(true);
  await bareServer.stop(true);
  await allServer.stop(true);
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
}
save("http");
