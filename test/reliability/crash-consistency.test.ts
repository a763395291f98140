/**
 * Crash consistency: real processes writing through Hearth's public surfaces are killed with SIGKILL at
 * random moments, again and again, and the database must keep every acknowledged write, never hold
 * half a transaction, pass SQLite's integrity check, and open again. Deferred writes may lose only what
 * is younger than the flush interval. SIGTERM under load must lose nothing at all.
 *
 * Short variant in every `bun test`; `bun run test:soak` (HEARTH_SOAK=1) runs the long one.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { openStorage } from "../../src/kernel/storage/index.ts";
import { hearthBinary, type Running, startHearth, tempDir } from "../e2e/harness.ts";
import { scale } from "./config.ts";
import {
  checkPluginDocs,
  type HttpLedger,
  installPlugin,
  load,
  newLedger,
  readToken,
} from "./crash/binary.ts";
import { COUNTERS, DEFERRED_LANES, DURABLE_LANES, type Lane } from "./crash/model.ts";
import { between, runWriter, type StopPlan } from "./crash/runner.ts";
import { checkGeneration, integrity, type Ledger } from "./crash/verify.ts";

/** Kills per database file; a fresh file after that keeps the integrity check of each kill cheap. */
const KILLS_PER_DATABASE = 25;
/** Deferred flush interval for the deferred runs, and the slack allowed on a busy 2-core machine. */
const FLUSH_MS = 200;
const FLUSH_SLACK_MS = 400;

const dirs: string[] = [];
let bin: string;

beforeAll(async () => {
  bin = await hearthBinary();
}, 120_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dir(prefix: string): string {
  const d = tempDir(prefix);
  dirs.push(d);
  return d;
}

interface Totals {
  kills: number;
  beforeReady: number;
  acks: number;
  documents: number;
  deferredKept: number;
  lostDeferred: number;
  oldestLostMs: number;
}

/**
 * Runs `kills` writers one after the other on the same database (a new file every
 * KILLS_PER_DATABASE), stops each per `plan()`, and checks the database after each one.
 */
async function killLoop(
  kills: number,
  lanes: Lane[],
  flushIntervalMs: number,
  plan: () => StopPlan,
  deferredGraceMs: number,
): Promise<{ totals: Totals; last: Ledger }> {
  const base = dir("crash");
  const totals: Totals = {
    kills: 0,
    beforeReady: 0,
    acks: 0,
    documents: 0,
    deferredKept: 0,
    lostDeferred: 0,
    oldestLostMs: 0,
  };
  let ledger: Ledger | undefined;
  for (let gen = 0; gen < kills; gen++) {
    if (gen % KILLS_PER_DATABASE === 0) {
      ledger = {
        path: join(base, `hearth-${gen}.db`),
        floors: { counter: 0, dcounter: 0 },
        counts: new Map(),
      };
    }
    const current = ledger as Ledger;
    const stop = plan();
    const run = await runWriter({ path: current.path, gen, lanes, flushIntervalMs, paceMs: 2 }, stop);
    if (stop.signal === "SIGKILL") expect(run.signalCode).toBe("SIGKILL");
    else {
      expect({ exit: run.exitCode, closed: run.closed, stderr: run.stderr }).toEqual({
        exit: 0,
        closed: true,
        stderr: "",
      });
    }
    const report = checkGeneration(current, gen, { acks: run.acks, killedAt: run.killedAt, deferredGraceMs });
    expect(report.problems).toEqual([]);
    totals.kills++;
    if (!run.wasReady) totals.beforeReady++;
    totals.acks += run.acks.length;
    totals.documents += report.checked;
    totals.deferredKept += report.deferredKept;
    totals.lostDeferred += report.lostDeferred;
    totals.oldestLostMs = Math.max(totals.oldestLostMs, report.oldestLostMs);
  }
  return { totals, last: ledger as Ledger };
}

/** The storage opens again through the real API (which integrity-checks first) and sees the counters. */
async function reopens(ledger: Ledger): Promise<void> {
  const storage = await openStorage({ path: ledger.path });
  try {
    expect((await storage.get<{ n: number }>(COUNTERS, "counter"))?.n ?? 0).toBe(ledger.floors.counter);
    expect((await storage.get<{ n: number }>(COUNTERS, "dcounter"))?.n ?? 0).toBe(ledger.floors.dcounter);
  } finally {
    await storage.close();
  }
}

function report(title: string, figures: object): void {
  console.log(`[crash-consistency] ${title}: ${JSON.stringify(figures)}`);
}

describe("crash consistency of storage (child process, openStorage)", () => {
  it(
    "keeps every acknowledged durable write and never half a transaction across repeated kill -9",
    async () => {
      const kills = scale(15, 500);
      const { totals, last } = await killLoop(
        kills,
        DURABLE_LANES,
        5000,
        () => ({ signal: "SIGKILL", afterMs: between(50, 800) }),
        0,
      );
      await reopens(last);
      report("storage kill -9, durable", totals);
      expect(totals.kills).toBe(kills);
      expect(totals.documents).toBeGreaterThan(kills * 10);
    },
    scale(60_000, 3_600_000),
  );

  it(
    "loses only deferred writes younger than the flush interval on kill -9, and nothing else",
    async () => {
      const kills = scale(6, 150);
      const { totals, last } = await killLoop(
        kills,
        [...DEFERRED_LANES, "set", "tx"],
        FLUSH_MS,
        () => ({ signal: "SIGKILL", afterMs: between(100, 1500), fromReady: true }),
        FLUSH_MS + FLUSH_SLACK_MS,
      );
      await reopens(last);
      report("storage kill -9, deferred (flushIntervalMs 200)", totals);
      expect(totals.documents).toBeGreaterThan(kills * 10);
      // The bound was really exercised: old enough deferred writes existed and were all there.
      expect(totals.deferredKept).toBeGreaterThan(kills * 10);
    },
    scale(60_000, 3_600_000),
  );

  it(
    "flushes everything acknowledged, deferred included, when SIGTERM arrives under load",
    async () => {
      const rounds = scale(2, 30);
      // Deferred writes reach the file only through close(): the interval never elapses.
      const { totals, last } = await killLoop(
        rounds,
        [...DURABLE_LANES, ...DEFERRED_LANES],
        3_600_000,
        () => ({ signal: "SIGTERM", afterMs: between(100, 600), fromReady: true }),
        Number.NEGATIVE_INFINITY,
      );
      await reopens(last);
      report("storage SIGTERM under load", totals);
      expect(totals.lostDeferred).toBe(0);
      expect(totals.documents).toBeGreaterThan(rounds * 10);
    },
    scale(30_000, 3_600_000),
  );
});

describe("crash consistency of the compiled binary (admin API, external plugin)", () => {
  async function start(data: string, env: Record<string, string> = {}): Promise<Running> {
    return startHearth(bin, { args: ["--data-dir", data], env });
  }

  function checkDatabase(data: string, ledger: HttpLedger): void {
    const db = join(data, "hearth.db");
    expect(integrity(db)).toBe("ok");
    expect(checkPluginDocs(db, ledger)).toEqual([]);
  }

  it(
    "keeps every write a 200 acknowledged across repeated kill -9, and starts again each time",
    async () => {
      const kills = scale(5, 100);
      const data = dir("crash-http");
      installPlugin(data);
      const ledger = newLedger();
      for (let gen = 0; gen < kills; gen++) {
        // A kill -9 leaves hearth.pid behind; the start must recognise it as stale.
        if (gen > 0) expect(existsSync(join(data, "hearth.pid"))).toBe(true);
        const h = await start(data);
        const calls = load(h, readToken(data), gen, ["set", "tx", "set"], ledger);
        await Bun.sleep(between(150, 1000));
        h.proc.kill("SIGKILL");
        await h.exited;
        await calls.done;
        checkDatabase(data, ledger);
      }
      const h = await start(data);
      expect((await fetch(h.url("/health"))).status).toBe(200);
      h.proc.kill("SIGTERM");
      expect(await h.exited).toBe(0);
      checkDatabase(data, ledger);
      report("binary kill -9 over HTTP", { kills, acknowledged: ledger.acked.size, sent: ledger.sent.size });
      expect(ledger.acked.size).toBeGreaterThan(kills * 10);
    },
    scale(60_000, 3_600_000),
  );

  it(
    "exits 0 on SIGTERM under load with every acknowledged write, deferred included",
    async () => {
      const rounds = scale(1, 10);
      const data = dir("crash-term");
      installPlugin(data);
      const ledger = newLedger();
      for (let gen = 0; gen < rounds; gen++) {
        // Deferred writes can only reach the file through the shutdown flush.
        const h = await start(data, { HEARTH_STORAGE_FLUSH_INTERVAL_MS: "3600000" });
        const calls = load(h, readToken(data), gen, ["set", "deferred", "deferred", "tx"], ledger);
        await Bun.sleep(between(300, 1000));
        h.proc.kill("SIGTERM");
        expect(await h.exited).toBe(0);
        await calls.done;
        checkDatabase(data, ledger);
      }
      report("binary SIGTERM under load", {
        rounds,
        acknowledged: ledger.acked.size,
        deferred: ledger.ackedDeferred,
      });
      expect(ledger.ackedDeferred).toBeGreaterThan(rounds * 10);
    },
    scale(30_000, 3_600_000),
  );
});
