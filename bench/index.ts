#!/usr/bin/env bun
/**
 * Runs every bench/<suite>.bench.ts in its own process (so one suite's heap does not skew the next),
 * then rewrites BENCHMARKS.md from bench/results/*.json.
 *
 *   bun run bench                # all suites
 *   bun run bench bus storage    # some suites
 */
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { writeReport } from "./report.ts";

const dir = import.meta.dir;
const wanted = Bun.argv.slice(2);
const suites = readdirSync(dir)
  .filter((f) => f.endsWith(".bench.ts"))
  .map((f) => f.replace(/\.bench\.ts$/, ""))
  .filter((s) => wanted.length === 0 || wanted.includes(s))
  .sort();

let failed = 0;
for (const suite of suites) {
  console.log(`\n##### ${suite}`);
  const proc = Bun.spawnSync([process.execPath, "run", join(dir, `${suite}.bench.ts`)], {
    stdout: "inherit",
    stderr: "inherit",
    env: { ...process.env, NODE_ENV: "production", HEARTH_LOG_LEVEL: "silent" },
  });
  if (proc.exitCode !== 0) {
    console.error(`bench: ${suite} failed (exit ${proc.exitCode})`);
    failed++;
  }
}
writeReport();
console.log("\nBENCHMARKS.md rewritten from bench/results/.");
process.exit(failed === 0 ? 0 : 1);
