/**
 * The bench harness: mitata's `measure` for each case, every case of a table measured in the same
 * process and run as its baseline, printed as time per op and as a ratio to the baseline.
 * Results also go to bench/results/<suite>.json so BENCHMARKS.md can be written from them.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { measure } from "mitata";

export interface Case {
  name: string;
  /** One operation. May be async. */
  fn: () => unknown;
  /** Exactly one case per table is the baseline the others are compared with. */
  baseline?: boolean;
}

export interface Row {
  name: string;
  baseline: boolean;
  /** Average time per operation, nanoseconds. */
  avgNs: number;
  p50Ns: number;
  /** avgNs / baseline avgNs: 2.0 means twice as slow as the baseline. */
  ratio: number;
}

export interface Table {
  title: string;
  rows: Row[];
}

export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** value / baseline value, when the figure has a baseline. */
  ratio?: number;
  note?: string;
}

const tables: Table[] = [];
const figures: Figure[] = [];

function fmtNs(ns: number): string {
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} µs`;
  return `${ns.toFixed(1)} ns`;
}

/** Measures every case (the baseline first) and prints the table. */
export async function compare(title: string, cases: Case[]): Promise<Table> {
  const base = cases.filter((c) => c.baseline);
  if (base.length !== 1) throw new Error(`${title}: exactly one baseline case is required`);
  const ordered = [...base, ...cases.filter((c) => !c.baseline)];
  const measured: { c: Case; avg: number; p50: number }[] = [];
  for (const c of ordered) {
    const stats = await measure(c.fn as () => unknown, { min_cpu_time: 300e6 });
    measured.push({ c, avg: stats.avg, p50: stats.p50 });
  }
  const baseAvg = measured[0]?.avg ?? 1;
  const table: Table = {
    title,
    rows: measured.map(({ c, avg, p50 }) => ({
      name: c.name,
      baseline: c.baseline === true,
      avgNs: avg,
      p50Ns: p50,
      ratio: avg / baseAvg,
    })),
  };
  tables.push(table);
  console.log(`\n${title}`);
  for (const r of table.rows) {
    const tag = r.baseline ? "(baseline)" : `${r.ratio.toFixed(2)}×`;
    console.log(`  ${r.name.padEnd(56)} ${fmtNs(r.avgNs).padStart(12)}/op  ${tag}`);
  }
  return table;
}

/** Records a one-off figure (memory, a whole-run time) with an optional ratio to a baseline. */
export function figure(f: Figure): void {
  figures.push(f);
  const ratio = f.ratio === undefined ? "" : `  ${f.ratio.toFixed(2)}×`;
  console.log(
    `  ${f.name.padEnd(56)} ${`${f.value.toFixed(2)} ${f.unit}`.padStart(14)}${ratio}${f.note ? `  (${f.note})` : ""}`,
  );
}

/** Writes bench/results/<suite>.json with everything this process measured. */
export function save(suite: string): void {
  const dir = join(import.meta.dir, "results");
  mkdirSync(dir, { recursive: true });
  const out = { suite, bun: Bun.version, date: new Date().toISOString(), tables, figures };
  writeFileSync(join(dir, `${suite}.json`), `${JSON.stringify(out, null, 2)}\n`);
}

/** The `p`th percentile of an ascending list of samples. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
}

/** Times `one()` `samples` times, one after the other; microseconds, ascending. */
export async function latencies(samples: number, one: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    await one();
    out.push((performance.now() - t0) * 1000);
  }
  return out.sort((a, b) => a - b);
}

/** A TCP port free on 127.0.0.1 right now (for a child process to listen on). */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * Runs `script` again in a fresh process with `mode` as its argument (heap figures want a process of
 * their own) and returns the JSON of its last stdout line.
 */
export function inChild<T>(script: string, mode: string): T {
  const proc = Bun.spawnSync([process.execPath, "run", script, mode], { stderr: "inherit" });
  const line = proc.stdout.toString().trim().split("\n").at(-1) ?? "{}";
  return JSON.parse(line) as T;
}
