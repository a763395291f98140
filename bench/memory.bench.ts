/**
 * Memory under load: peak RSS (VmHWM) of the compiled `hearth run` (embedded defaults, demo house)
 * after 30 s of a mixed API load — `/metrics`, an authenticated `GET /api/v1/state/{key}` and
 * `/health` in turn, from `wrk` (1 thread, 16 connections) — against a compiled bare Hono app answering
 * the same three paths under the same load, one after the other in the same run.
 *
 *   BENCH_MEMORY_SECONDS  load duration (default 30)
 *   BENCH_HEARTH_BIN      an already built hearth binary (else scripts/build.ts builds one)
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { figure, freePort, save } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const SECONDS = Number(process.env.BENCH_MEMORY_SECONDS ?? 30);
const WRK = Bun.which("wrk");
const work = mkdtempSync(join(tmpdir(), "hearth-bench-mem-"));

const status = (pid: number, field: string) =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;

function build(): { hearth: string; bare: string } {
  const bare = join(work, "bare-hono");
  const flags = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv"];
  const b = Bun.spawnSync([
    process.execPath,
    "build",
    ...flags,
    join(import.meta.dir, "fixtures/bare-hono.ts"),
    `--outfile=${bare}`,
  ]);
  if (b.exitCode !== 0) throw new Error(`bare Hono build failed: ${b.stderr}`);
  const given = process.env.BENCH_HEARTH_BIN;
  if (given) return { hearth: given, bare };
  const out = join(work, "dist");
  const r = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outdir", out], {
    cwd: ROOT,
  });
  if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr}`);
  return { hearth: join(out, `hearth-linux-${process.arch === "arm64" ? "arm64" : "x64"}`), bare };
}

interface Result {
  rps: number;
  peak: number;
  after: number;
}

async function underLoad(cmd: string[], hearth: boolean): Promise<Result> {
  const data = mkdtempSync(join(work, "data-"));
  const port = await freePort();
  const proc = Bun.spawn(cmd, {
    cwd: data,
    env: {
      PATH: process.env.PATH ?? "",
      HEARTH_HTTP_HOST: "127.0.0.1",
      HEARTH_HTTP_PORT: String(port),
      HEARTH_DATA_DIR: data,
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; i < 2000; i++) {
      if (
        await fetch(`${base}/health`).then(
          (r) => r.status === 200,
          () => false,
        )
      )
        break;
      await Bun.sleep(10);
    }
    let token = "none";
    let key = "bench/lamp";
    if (hearth) {
      token = readFileSync(join(data, "admin.token"), "utf8").trim();
      const res = await fetch(`${base}/api/v1/state`, { headers: { Authorization: `Bearer ${token}` } });
      key = ((await res.json()) as { keys: string[] }).keys[0] as string;
    }
    const script = join(work, "mixed.lua");
    writeFileSync(
      script,
      [
        `local paths = { "/metrics", "/api/v1/state/${key}", "/health" }`,
        "local i = 0",
        "request = function()",
        "  i = i % 3 + 1",
        `  return wrk.format("GET", paths[i], { ["Authorization"] = "Bearer ${token}" })`,
        "end",
      ].join("\n"),
    );
    const wrk = Bun.spawn([WRK as string, "-t1", "-c16", `-d${SECONDS}s`, "-s", script, base], {
      stdout: "pipe",
    });
    const out = await new Response(wrk.stdout).text();
    await wrk.exited;
    if (/Non-2xx/.test(out)) throw new Error(`non-2xx responses under load:\n${out}`);
    const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
    await Bun.sleep(1000);
    return { rps, peak: status(proc.pid, "VmHWM"), after: status(proc.pid, "VmRSS") };
  } finally {
    proc.kill("SIGTERM");
    await proc.exited;
  }
}

if (!WRK) {
  console.log("wrk not installed (apt-get install wrk): memory under load skipped");
} else {
  const { hearth, bare } = build();
  console.log(`\npeak RSS under ${SECONDS} s of mixed load (/metrics, state read, /health; wrk -c16)`);
  try {
    const b = await underLoad([bare], false);
    const h = await underLoad([hearth, "run"], true);
    figure({
      name: "peak RSS under mixed load: bare Hono (baseline)",
      value: b.peak,
      unit: "MiB",
      note: `${b.rps.toFixed(0)} req/s`,
    });
    figure({
      name: "peak RSS under mixed load: hearth run",
      value: h.peak,
      unit: "MiB",
      ratio: h.peak / b.peak,
      note: `${h.rps.toFixed(0)} req/s`,
    });
    figure({ name: "RSS 1 s after the load: bare Hono (baseline)", value: b.after, unit: "MiB" });
    figure({
      name: "RSS 1 s after the load: hearth run",
      value: h.after,
      unit: "MiB",
      ratio: h.after / b.after,
    });
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  save("memory");
}
