#!/usr/bin/env bun
/**
 * Compiles `src/main.ts` into one self-contained executable per target under `dist/`.
 *
 *   bun run build                 # the host target (dist/hearth-linux-x64 on this machine)
 *   bun run build --target all    # later: host plus bun-linux-arm64 for the Pi
 *
 * Flags: --minify --bytecode for start-up time; --no-compile-autoload-dotenv so a stray `.env` in the
 * service's working directory cannot change the configuration. Never `strip` the output: the app is
 * embedded in the executable's data and a stripped file runs as plain `bun`.
 */
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";

const ROOT = join(import.meta.dir, "..");
const HOST_TARGET = `bun-${process.platform}-${process.arch === "arm64" ? "arm64" : "x64"}`;

const { values } = parseArgs({
  args: Bun.argv.slice(2),
  options: { target: { type: "string", default: "host" }, outdir: { type: "string", default: "dist" } },
  strict: true,
});

function gitCommit(): string {
  const r = Bun.spawnSync(["git", "rev-parse", "--short=12", "HEAD"], { cwd: ROOT, stderr: "ignore" });
  if (r.exitCode !== 0) return "unknown";
  const dirty = Bun.spawnSync(["git", "status", "--porcelain", "--untracked-files=no"], { cwd: ROOT });
  return `${r.stdout.toString().trim()}${dirty.stdout.toString().trim() ? "-dirty" : ""}`;
}

const targets = values.target === "host" ? [HOST_TARGET] : values.target.split(",");
const outdir = resolve(ROOT, values.outdir);
mkdirSync(outdir, { recursive: true });
const commit = gitCommit();

// Built-in plugins are embedded through a generated file of static imports.
const gen = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/gen-builtins.ts")], {
  cwd: ROOT,
  stdout: "inherit",
  stderr: "inherit",
});
if (gen.exitCode !== 0) process.exit(1);

for (const target of targets) {
  const outfile = join(outdir, `hearth-${target.replace(/^bun-/, "")}`);
  const cmd = [
    process.execPath,
    "build",
    "--compile",
    `--target=${target}`,
    "--minify",
    "--bytecode",
    "--format=esm",
    "--no-compile-autoload-dotenv",
    `--define=HEARTH_COMMIT=${JSON.stringify(commit)}`,
    `--define=HEARTH_TARGET=${JSON.stringify(target)}`,
    join(ROOT, "src/main.ts"),
    `--outfile=${outfile}`,
  ];
  const proc = Bun.spawnSync(cmd, { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
  if (proc.exitCode !== 0) {
    console.error(`build: ${target} failed (exit ${proc.exitCode})`);
    process.exit(1);
  }
  console.log(`build: ${outfile}`);
}
