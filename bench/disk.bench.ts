/**
 * SD-card writes: bytes an idle `hearth run` (compiled, embedded defaults: the demo house ticking
 * every 5 s, the default storage flush interval) writes to disk while Prometheus scrapes `/metrics`
 * with a token every 15 s, over a bounded run, extrapolated to an hour. Counted from the child's
 * `/proc/<pid>/io` `write_bytes` (what reached the block layer) between two points after start-up
 * (database creation, migration and the bootstrap token are excluded), and checked against the
 * runtime's own `hearth_disk_write_bytes_total` over the same span.
 *
 *   BENCH_DISK_SECONDS   length of the measured span (default 180)
 *   BENCH_DISK_SCRAPE_S  scrape interval (default 15: Prometheus's usual; shorter only adds scrapes)
 *   BENCH_DISK_BEFORE    a second binary (an older build) measured side by side in the same run
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { figure, freePort, save } from "./lib.ts";

const ROOT = join(import.meta.dir, "..");
const SECONDS = Number(process.env.BENCH_DISK_SECONDS ?? 180);
const SCRAPE_S = Number(process.env.BENCH_DISK_SCRAPE_S ?? 15);
const SETTLE_MS = 8000; // past start-up and the first deferred flush
const TARGET_MIB_PER_H = 2;
// On the machine's disk, not a tmpfs: write_bytes counts only what reaches a block device.
const work = mkdtempSync(join(process.env.BENCH_DISK_DIR ?? tmpdir(), "hearth-bench-disk-"));

function writeBytes(pid: number): number {
  const io = readFileSync(`/proc/${pid}/io`, "utf8");
  return Number(/^write_bytes:\s*(\d+)/m.exec(io)?.[1] ?? Number.NaN);
}

function metric(text: string, name: string): number {
  const m = new RegExp(`^${name}(?:\\{[^}]*\\})? ([\\d.e+]+)$`, "m").exec(text);
  return Number(m?.[1] ?? Number.NaN);
}

interface Running {
  name: string;
  pid: number;
  port: number;
  token: string;
  proc: ReturnType<typeof Bun.spawn>;
}

async function start(name: string, bin: string): Promise<Running> {
  const data = mkdtempSync(join(work, `${name}-`));
  const port = await freePort();
  const proc = Bun.spawn([bin, "run"], {
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
  for (let i = 0; i < 2000; i++) {
    const ok = await fetch(`http://127.0.0.1:${port}/health`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    await Bun.sleep(10);
  }
  const token = readFileSync(join(data, "admin.token"), "utf8").trim();
  return { name, pid: proc.pid, port, token, proc };
}

async function scrape(r: Running): Promise<string> {
  const res = await fetch(`http://127.0.0.1:${r.port}/metrics`, {
    headers: { Authorization: `Bearer ${r.token}` },
  });
  if (res.status !== 200) throw new Error(`${r.name}: /metrics answered ${res.status}`);
  return res.text();
}

function build(): string {
  const given = process.env.BENCH_HEARTH_BIN;
  if (given) return given;
  const out = join(work, "dist");
  const r = Bun.spawnSync([process.execPath, "run", join(ROOT, "scripts/build.ts"), "--outdir", out], {
    cwd: ROOT,
  });
  if (r.exitCode !== 0) throw new Error(`build failed: ${r.stderr}`);
  return join(out, `hearth-linux-${process.arch === "arm64" ? "arm64" : "x64"}`);
}

const bins: [string, string][] = [["hearth", build()]];
if (process.env.BENCH_DISK_BEFORE) bins.push(["before", process.env.BENCH_DISK_BEFORE]);
const running: Running[] = [];
try {
  for (const [name, bin] of bins) running.push(await start(name, bin));
  await Bun.sleep(SETTLE_MS);
  const first = await Promise.all(running.map(scrape));
  const io0 = running.map((r) => writeBytes(r.pid));
  const m0 = first.map((t) => metric(t, "hearth_disk_write_bytes_total"));
  const tx0 = first.map((t) => metric(t, "hearth_storage_transactions_total"));
  const t0 = performance.now();
  console.log(`\nidle with the demo house, /metrics every ${SCRAPE_S} s, ${SECONDS} s measured`);
  let last = first;
  while (performance.now() - t0 < SECONDS * 1000) {
    await Bun.sleep(Math.min(SCRAPE_S * 1000, SECONDS * 1000 - (performance.now() - t0)));
    last = await Promise.all(running.map(scrape));
  }
  const span = (performance.now() - t0) / 1000;
  const perHour = 3600 / span;
  running.forEach((r, i) => {
    const io = (writeBytes(r.pid) - (io0[i] as number)) * perHour;
    const own = (metric(last[i] as string, "hearth_disk_write_bytes_total") - (m0[i] as number)) * perHour;
    const tx =
      (metric(last[i] as string, "hearth_storage_transactions_total") - (tx0[i] as number)) * perHour;
    const label = r.name === "hearth" ? "" : ` (${r.name})`;
    figure({
      name: `bytes written per hour, /proc/<pid>/io${label}`,
      value: io / 2 ** 20,
      unit: "MiB/h",
      ratio: io / 2 ** 20 / TARGET_MIB_PER_H,
      note: `ratio to the ${TARGET_MIB_PER_H} MiB/h target; ${span.toFixed(0)} s measured, ×${perHour.toFixed(1)}`,
    });
    figure({
      name: `hearth_disk_write_bytes_total per hour${label}`,
      value: own / 2 ** 20,
      unit: "MiB/h",
      ratio: io > 0 ? own / io : undefined,
      note: "ratio to /proc/<pid>/io over the same span",
    });
    figure({ name: `storage transactions per hour${label}`, value: tx, unit: "tx/h" });
  });
} finally {
  for (const r of running) {
    r.proc.kill("SIGTERM");
    await r.proc.exited;
  }
  rmSync(work, { recursive: true, force: true });
}
save("disk");
