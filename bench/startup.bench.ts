/**
 * Start-up: time from exec to the first 200 from GET /health, and peak RSS (VmHWM) once it answers,
 * for the compiled `hearth run` (embedded defaults; a restart on an existing database, and a first
 * boot that creates it) against a compiled bare `Bun.serve` binary built with the same flags,
 * measured alternately in the same run.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { zodLocalesPlugin } from "../scripts/zod-locales-plugin.ts";
import { figure, freePort, save } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const work = mkdtempSync(join(tmpdir(), "hearth-bench-start-"));

const QEMU = Bun.which("qemu-aarch64-static");
const FLAGS = ["--compile", "--minify", "--bytecode", "--format=esm", "--no-compile-autoload-dotenv"];

function compile(args: string[], what: string): void {
  const r = Bun.spawnSync([process.execPath, ...args], { cwd: ROOT });
  if (r.exitCode !== 0) throw new Error(`${what} build failed: ${r.stderr}`);
}

/** The dependencies-only server, built like Hearth (Bun.build with the same plugin for zod). */
async function buildDepsOnly(): Promise<string> {
  const outfile = join(work, "deps-only-server");
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "fixtures/deps-only.ts")],
    compile: { outfile, autoloadDotenv: false },
    minify: true,
    bytecode: true,
    format: "esm",
    plugins: [zodLocalesPlugin],
    throw: false,
  });
  if (!result.success) throw new Error(`deps-only build failed: ${result.logs.join("\n")}`);
  return outfile;
}

function build(): { hearth: string; bare: string; hearthArm: string; bareArm: string } {
  compile(["run", join(ROOT, "scripts/build.ts"), "--outdir", work, "--target", "all"], "hearth");
  const fixture = join(import.meta.dir, "fixtures/bare-server.ts");
  const bare = join(work, "bare-server");
  compile(["build", ...FLAGS, fixture, `--outfile=${bare}`], "bare");
  // The arm64 runtime the hearth build fetched (dist/.runtimes), so the baseline is built the same way.
  const armRuntime = join(
    ROOT,
    "dist/.runtimes",
    `@oven__bun-linux-aarch64-${Bun.version}`,
    "package/bin/bun",
  );
  const bareArm = join(work, "bare-server-arm64");
  compile(
    [
      "build",
      ...FLAGS,
      "--target=bun-linux-arm64",
      `--compile-executable-path=${armRuntime}`,
      fixture,
      `--outfile=${bareArm}`,
    ],
    "bare arm64",
  );
  return {
    hearth: join(work, `hearth-linux-${process.arch === "arm64" ? "arm64" : "x64"}`),
    bare,
    hearthArm: join(work, "hearth-linux-arm64"),
    bareArm,
  };
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
  for (let i = 0; i < 20000; i++) {
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
  // Under qemu-user the emulated process is the qemu process itself, so VmHWM covers both.
  const rss = peakRssMiB(proc.pid);
  proc.kill("SIGTERM");
  await proc.exited;
  if (reuse === undefined) rmSync(data, { recursive: true, force: true });
  if (Number.isNaN(ms)) throw new Error(`${cmd[0]} never answered /health`);
  return { ms, rss };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

const { hearth, bare, hearthArm, bareArm } = build();
const depsOnly = await buildDepsOnly();
const results = {
  deps: [] as { ms: number; rss: number }[],
  hearth: [] as { ms: number; rss: number }[],
  bare: [] as { ms: number; rss: number }[],
  first: [] as { ms: number; rss: number }[],
};
const restartDir = mkdtempSync(join(work, "restart-"));
await once([hearth, "run"], restartDir); // creates the database; also warms the page cache
await once([bare]);
for (let i = 0; i < RUNS; i++) {
  results.bare.push(await once([bare]));
  results.deps.push(await once([depsOnly]));
  results.hearth.push(await once([hearth, "run"], restartDir));
  if (i % 3 === 0) results.first.push(await once([hearth, "run"]));
}
const bareMs = median(results.bare.map((r) => r.ms));
const hearthMs = median(results.hearth.map((r) => r.ms));
const bareRss = median(results.bare.map((r) => r.rss));
const hearthRss = median(results.hearth.map((r) => r.rss));
const firstMs = median(results.first.map((r) => r.ms));
const depsMs = median(results.deps.map((r) => r.ms));
const depsRss = median(results.deps.map((r) => r.rss));
console.log(`\nstart-up, median of ${RUNS} alternating runs (x64, compiled)`);
figure({ name: "exec → first /health 200: bare Bun.serve (baseline)", value: bareMs, unit: "ms" });
figure({
  name: "exec → first /health 200: deps-only binary",
  value: depsMs,
  unit: "ms",
  ratio: depsMs / bareMs,
  note: "imports only zod, hono, @hono/zod-openapi, pino, croner, suncalc, bun:sqlite",
});
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
  name: "peak RSS at first 200: deps-only binary",
  value: depsRss,
  unit: "MiB",
  ratio: depsRss / bareRss,
});
figure({
  name: "peak RSS at first 200: hearth run",
  value: hearthRss,
  unit: "MiB",
  ratio: hearthRss / bareRss,
});

const mib = (f: string) => statSync(f).size / 2 ** 20;
figure({ name: "binary size: bare Bun.serve x64 (baseline)", value: mib(bare), unit: "MiB" });
figure({
  name: "binary size: hearth-linux-x64",
  value: mib(hearth),
  unit: "MiB",
  ratio: mib(hearth) / mib(bare),
});
figure({
  name: "binary size: hearth-linux-arm64",
  value: mib(hearthArm),
  unit: "MiB",
  ratio: mib(hearthArm) / mib(bareArm),
  note: "vs the bare arm64 server",
});

if (QEMU) {
  const ARM_RUNS = Number(process.env.BENCH_ARM_RUNS ?? 5);
  const arm = {
    hearth: [] as number[],
    bare: [] as number[],
    hearthRss: [] as number[],
    bareRss: [] as number[],
  };
  const qemu = (bin: string, ...args: string[]) => [
    QEMU,
    "-cpu",
    "cortex-a72",
    "-L",
    "/usr/aarch64-linux-gnu",
    bin,
    ...args,
  ];
  const armDir = mkdtempSync(join(work, "arm-"));
  await once(qemu(hearthArm, "run"), armDir);
  for (let i = 0; i < ARM_RUNS; i++) {
    const b = await once(qemu(bareArm));
    const h = await once(qemu(hearthArm, "run"), armDir);
    arm.bare.push(b.ms);
    arm.bareRss.push(b.rss);
    arm.hearth.push(h.ms);
    arm.hearthRss.push(h.rss);
  }
  const [bm, hm, br, hr] = [median(arm.bare), median(arm.hearth), median(arm.bareRss), median(arm.hearthRss)];
  console.log(`\narm64 under qemu-user (cortex-a72), median of ${ARM_RUNS}`);
  figure({ name: "arm64/qemu exec → /health 200: bare Bun.serve (baseline)", value: bm, unit: "ms" });
  figure({
    name: "arm64/qemu exec → /health 200: hearth run (restart)",
    value: hm,
    unit: "ms",
    ratio: hm / bm,
    note: "emulated: ratios only",
  });
  figure({ name: "arm64/qemu peak RSS: bare Bun.serve (baseline)", value: br, unit: "MiB" });
  figure({
    name: "arm64/qemu peak RSS: hearth run",
    value: hr,
    unit: "MiB",
    ratio: hr / br,
    note: "qemu's own memory included",
  });
} else {
  console.log("qemu-aarch64-static not installed: arm64 figures skipped");
}
rmSync(work, { recursive: true, force: true });
save("startup");
