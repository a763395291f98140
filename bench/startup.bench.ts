/**
 * Start-up: time from exec to the first 200 from GET /health, and peak RSS (VmHWM) once it answers,
 * for the compiled `hearth run` (embedded defaults; a restart on an existing database, and a first
 * boot that creates it) against a compiled bare `Bun.serve` binary built with the same flags,
 * measured alternately in the same run.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { figure, save } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const work = mkdtempSync(join(tmpdir(), "hearth-bench-start-"));

function build(): { hearth: string; bare: string } {
  const h = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outdir", work], {
    cwd: ROOT,
  });
  if (h.exitCode !== 0) throw new Error(`hearth build failed: ${h.stderr}`);
  const bare = join(work, "bare-server");
  const flags = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv"];
  const b = Bun.spawnSync([
    process.execPath,
    "build",
    ...flags,
    join(import.meta.dir, "fixtures/bare-server.ts"),
    `--outfile=${bare}`,
  ]);
  if (b.exitCode !== 0) throw new Error(`bare build failed: ${b.stderr}`);
  return { hearth: join(work, `hearth-linux-${process.arch === "arm64" ? "arm64" : "x64"}`), bare };
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kb = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** One start; `data` is reused across runs (a restart), or fresh when omitted (a first boot). */
async function once(cmd: string[], reuse?: string): Promise<{ ms: number; rss: number }> {
  const port = await freePort();
  const data = reuse ?? mkdtempSync(join(work, "data-"));
  const t0 = performance.now();
  const proc = Bun.spawn(cmd, {
    cwd: data,
    env: {
      PATH: process.env.PATH ?? "",
      HEARTH_HTTP_HOST: "127.0.0.1",
      HEARTH_HTTP_PORT: String(port),
      HEARTH_LOG_LEVEL: "warn",
      HEARTH_DATA_DIR: data,
    },
    stdout: "ignore",
    stderr: "inherit",
  });
  let ms = Number.NaN;
  for (let i = 0; i < 5000; i++) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/health`);
      if (res.status === 200) {
        ms = performance.now() - t0;
        break;
      }
    } catch {
      // not listening yet
    }
    await Bun.sleep(1);
  }
  const rss = peakRssMiB(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  if (reuse === undefined) rmSync(data, { recursive: true, force: true });
  if (Number.isNaN(ms)) throw new Error(`${cmd[0]} never answered /health`);
  return { ms, rss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const { hearth, bare } = build();
const results = {
  hearth: [] as { ms: number; rss: number }[],
  bare: [] as { ms: number; rss: number }[],
  first: [] as { ms: number; rss: number }[],
};
const restartDir = mkdtempSync(join(work, "restart-"));
await once([hearth, "run"], restartDir); // creates the database; also warms the page cache
await once([bare]);
for (let i = 0; i < RUNS; i++) {
  results.bare.push(await once([bare]));
  results.hearth.push(await once([hearth, "run"], restartDir));
  if (i % 3 === 0) results.first.push(await once([hearth, "run"]));
}
const bareMs = median(results.bare.map((r) => r.ms));
const hearthMs = median(results.hearth.map((r) => r.ms));
const bareRss = median(results.bare.map((r) => r.rss));
const hearthRss = median(results.hearth.map((r) => r.rss));
const firstMs = median(results.first.map((r) => r.ms));
console.log(`\nstart-up, median of ${RUNS} alternating runs (x64, compiled)`);
figure({ name: "exec → first /health 200: bare Bun.serve (baseline)", value: bareMs, unit: "ms" });
figure({
  name: "exec → first /health 200: hearth run (restart)",
  value: hearthMs,
  unit: "ms",
  ratio: hearthMs / bareMs,
  note: "existing database, demo plugin",
});
figure({
  name: "exec → first /health 200: hearth run (first boot)",
  value: firstMs,
  unit: "ms",
  ratio: firstMs / bareMs,
  note: `creates and migrates the database; median of ${results.first.length}`,
});
figure({ name: "peak RSS at first 200: bare Bun.serve (baseline)", value: bareRss, unit: "MiB" });
figure({
  name: "peak RSS at first 200: hearth run",
  value: hearthRss,
  unit: "MiB",
  ratio: hearthRss / bareRss,
});
rmSync(work, { recursive: true, force: true });
save("startup");
