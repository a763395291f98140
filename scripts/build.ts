#!/usr/bin/env bun
/**
 * Compiles `src/main.ts` into one self-contained executable per target under `dist/`.
 *
 *   bun run build                          # the host target (dist/hearth-linux-x64 on this machine)
 *   bun run build --target all             # bun-linux-x64 and bun-linux-arm64 (the Pi), plus SHA256SUMS
 *   bun run build --target bun-linux-arm64
 *
 * A foreign target's runtime is the npm package @oven/bun-linux-<arch> of exactly this Bun's version
 * (scripts/bun-runtime.ts: `npm pack`, cached under dist/.runtimes): no other download.
 *
 * Options: minify + bytecode + splitting for start-up time; no .env autoload so a stray `.env` in the
 * service's working directory cannot change the configuration. Never `strip` the output: the app is
 * embedded in the executable's data and a stripped file runs as plain `bun`.
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { serialportShimPlugin } from "../src/hal/serial/bindings-cpp-plugin.ts";
import { HOST_TARGET, runtimeFor, TARGETS } from "./bun-runtime.ts";
import { formatWebAssets, measureWebAssets, WEB_BUDGET_GZIP_BYTES } from "./web-assets.ts";
import { zodLocalesPlugin } from "./zod-locales-plugin.ts";

const ROOT = join(import.meta.dir, "..");

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

const ALL: string[] = [...TARGETS];
const targets =
  values.target === "host" ? [HOST_TARGET] : values.target === "all" ? ALL : values.target.split(",");
for (const t of targets) {
  if (!ALL.includes(t)) {
    console.error(`build: unknown target ${t} (known: ${ALL.join(", ")})`);
    process.exit(2);
  }
}

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

const built: string[] = [];
for (const target of targets) {
  const outfile = join(outdir, `hearth-${target.replace(/^bun-/, "")}`);
  const runtime = runtimeFor(target);
  // Bun.build rather than the CLI: its plugins resolve `@serialport/bindings-cpp` (imported by
  // zigbee-herdsman) to Hearth's Bun binding, so no native addon path is baked into the binary, and
  // keep only zod's English locale.
  const result = await Bun.build({
    entrypoints: [join(ROOT, "src/main.ts")],
    compile: {
      target: target as Bun.Build.CompileTarget,
      outfile,
      autoloadDotenv: false,
      ...(runtime ? { executablePath: runtime } : {}),
    },
    minify: true,
    bytecode: true,
    format: "esm",
    // Code reached only through a dynamic import (the runtime behind `hearth run`, zigbee-herdsman,
    // mqtt, the serial stack, each CLI command's own code) goes in chunks of its own, loaded when
    // imported: one bundle's bytecode was loaded whole before main ran (7.3 → 3.2 ms to main).
    splitting: true,
    define: { HEARTH_COMMIT: JSON.stringify(commit), HEARTH_TARGET: JSON.stringify(target) },
    plugins: [serialportShimPlugin, zodLocalesPlugin],
    throw: false,
  });
  if (!result.success) {
    for (const log of result.logs) console.error(log);
    console.error(`build: ${target} failed`);
    process.exit(1);
  }
  console.log(`build: ${outfile}`);
  built.push(outfile);
}

// The web page embedded in each binary (src/web): its assets and their size against the budget.
const web = await measureWebAssets();
console.log(formatWebAssets(web));
if (web.totalGzipBytes > WEB_BUDGET_GZIP_BYTES) {
  console.error(
    `build: the web page is over its budget (${web.totalGzipBytes} > ${WEB_BUDGET_GZIP_BYTES} bytes gzip)`,
  );
  process.exit(1);
}

// Checksums of everything built in this run, in `sha256sum -c` format.
const sums = built.map(
  (f) => `${createHash("sha256").update(readFileSync(f)).digest("hex")}  ${f.slice(outdir.length + 1)}`,
);
writeFileSync(join(outdir, "SHA256SUMS"), `${sums.join("\n")}\n`);
console.log(`build: ${join(outdir, "SHA256SUMS")}`);
