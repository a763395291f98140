/**
 * A real CoreRuntime (SQLite in a temp folder, no HTTP) carrying the canary and the fault plugins
 * under test, plus the probes every fault test repeats: the canary still answers and receives, health
 * says what it should, stop() comes back.
 */
import { afterAll, afterEach, beforeAll, expect } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/kernel/config/index.ts";
import { silentLogger } from "../../../src/kernel/log/index.ts";
import { builtinSource } from "../../../src/kernel/plugins/index.ts";
import type { PluginInfo } from "../../../src/kernel/plugins/types.ts";
import { CoreRuntime, type StopResult } from "../../../src/runtime.ts";
import { type CapturedLog, captureLog } from "../../helpers/log.ts";
import { CANARY_EVENT, CANARY_ORDERED_EVENT, type Canary, canary, type FaultPlugin } from "./plugins.ts";

/** Hook bound in most tests: well under SHUTDOWN_MS, so a hung hook is cut by its own timeout. */
export const HOOK_MS = 150;
export const SHUTDOWN_MS = 1500;
/** How long a probe waits for an outcome before failing (generous: a noisy 2-core machine). */
const PROBE_BOUND_MS = 3000;
/** Added to shutdownTimeoutMs to bound a stop(). */
const STOP_MARGIN_MS = 3000;

export interface FaultRun {
  runtime: CoreRuntime;
  canary: Canary;
  faults: FaultPlugin[];
  /** The runtime's logs (warn and above), unless the run was made with `log: false`. */
  log: CapturedLog | undefined;
  shutdownTimeoutMs: number;
}

export interface FaultRunOptions {
  shutdownTimeoutMs?: number;
  /** Per-hook bound; `"default"` leaves the runtime's own (the smaller of 10 s and shutdownTimeoutMs). */
  hookTimeoutMs?: number | "default";
  /** Capture logs (default true); floods turn it off so 10^4 error lines are not parsed. */
  log?: boolean;
  /** The bus's bound on one handler run; the runtime's default (30 s) when absent. */
  eventHandlerTimeoutMs?: number;
}

const runs: FaultRun[] = [];
const dirs: string[] = [];

/** A runtime with the canary and `faults`, not started yet. */
export function faultRuntime(faults: FaultPlugin[], options: FaultRunOptions = {}): FaultRun {
  const dir = mkdtempSync(join(tmpdir(), "hearth-faults-"));
  dirs.push(dir);
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? SHUTDOWN_MS;
  const { config } = loadConfig({
    env: {
      HEARTH_DATA_DIR: dir,
      HEARTH_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      ...(options.eventHandlerTimeoutMs === undefined
        ? {}
        : { HEARTH_EVENT_HANDLER_TIMEOUT_MS: String(options.eventHandlerTimeoutMs) }),
    },
    cwd: dir,
  });
  const log = options.log === false ? undefined : captureLog("warn");
  const bird = canary();
  const hookTimeoutMs = options.hookTimeoutMs ?? HOOK_MS;
  const runtime = new CoreRuntime({
    config,
    logger: log?.logger ?? silentLogger(),
    http: false,
    modules: [],
    ...(hookTimeoutMs === "default" ? {} : { hookTimeoutMs }),
    builtinPlugins: [bird, ...faults].map((p) =>
      builtinSource({
        manifest: { name: p.name, version: "1.0.0" },
        load: async () => ({ default: p.definition }),
      }),
    ),
  });
  const run: FaultRun = { runtime, canary: bird, faults, log, shutdownTimeoutMs };
  runs.push(run);
  return run;
}

/** Rejects with `what` if `work` has not settled after `ms` (a bound, not a timing assertion). */
export async function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: not settled after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([work, bound]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls `done` until it holds; fails naming `what` once the probe bound has passed. */
export async function waitFor(done: () => boolean, what: string, boundMs = PROBE_BOUND_MS): Promise<void> {
  const deadline = Date.now() + boundMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`gave up waiting: ${what}`);
    await Bun.sleep(2);
  }
}

/**
 * stop(), bounded by shutdownTimeoutMs plus a generous margin, so a stop that never returns fails the
 * test with this message (the short variant's tests run under bun's 5 s default timeout).
 */
export function stopRun(run: FaultRun): Promise<StopResult> {
  return within(run.runtime.stop(), run.shutdownTimeoutMs + STOP_MARGIN_MS, "runtime.stop()");
}

let pingSeq = 0;

/**
 * The canary still works: its service answers, it receives its plain and ordered events and events
 * of the type the faulty plugins share, and its own timer keeps ticking. Returns how many events it
 * got, for the tally.
 */
export async function expectCanaryAlive(run: FaultRun, events = 20): Promise<number> {
  const { bus, services } = run.runtime.kernel;
  const { trace, ordered } = run.canary;
  const n = ++pingSeq;
  expect(await within(services.call("canary.ping", { n }), PROBE_BOUND_MS, "canary.ping")).toEqual({
    pong: n,
  });

  const ticks = trace.n.ticks ?? 0;
  for (let i = 0; i < events; i++) void bus.publish(CANARY_EVENT, { i });
  await waitFor(() => (trace.n.ticks ?? 0) === ticks + events, "canary receives its events");

  const first = ordered.length;
  for (let i = 0; i < events; i++) void bus.publishOrdered(CANARY_ORDERED_EVENT, { i: first + i });
  await waitFor(() => ordered.length === first + events, "canary receives its ordered events");
  expect(ordered.slice(first)).toEqual(Array.from({ length: events }, (_, i) => first + i));

  const beats = trace.n.heartbeat ?? 0;
  await waitFor(() => (trace.n.heartbeat ?? 0) > beats, "canary's own timer keeps ticking");
  return events * 2;
}

/** Health while started: `healthy`, or `degraded` naming `culprit` (and the canary still healthy). */
export async function expectHealth(run: FaultRun, culprit?: string): Promise<void> {
  const health = await run.runtime.healthCheck();
  expect(health.phase).toBe("started");
  expect(health.checks.plugins.plugins.canary?.status).toBe("healthy");
  if (culprit === undefined) {
    expect(health.status).toBe("healthy");
    return;
  }
  expect(health.status).toBe("degraded");
  expect(health.checks.plugins.status).toBe("degraded");
  expect(health.checks.plugins.plugins[culprit]).toMatchObject({ status: "degraded", state: "failed" });
  expect(health.checks.plugins.plugins[culprit]?.detail).toContain(culprit);
}

export function pluginInfo(run: FaultRun, name: string): PluginInfo {
  const info = run.runtime.getMetrics().plugins.find((p) => p.name === name);
  if (info === undefined) throw new Error(`no plugin ${name} in getMetrics()`);
  return info;
}

/** `$bus.handler_failed` events whose payload names `owner`, counted by a subscription made before start. */
export function handlerFailures(run: FaultRun): Map<string, number> {
  const byOwner = new Map<string, number>();
  run.runtime.kernel.bus.subscribe<{ owner?: string }>("$bus.handler_failed", (event) => {
    const owner = event.payload.owner ?? "(none)";
    byOwner.set(owner, (byOwner.get(owner) ?? 0) + 1);
  });
  return byOwner;
}

/**
 * After each test: end every hang, clear leaked raw timers, stop what is still running (bounded: a
 * runtime wedged by a known bug is abandoned), remove the data folders.
 */
export async function cleanupRuns(): Promise<void> {
  for (const run of runs.splice(0)) {
    for (const f of [run.canary, ...run.faults]) {
      f.trace.release();
      for (const t of f.trace.leaked.splice(0)) clearInterval(t);
    }
    await within(run.runtime.stop(), run.shutdownTimeoutMs + 1000, "cleanup stop").catch(() => undefined);
  }
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/**
 * Registers the hooks every fault test file needs: anything that escapes every handler (a kernel bug,
 * not a plugin's) fails the test it happened in; runs are cleaned up after each test; the tally is
 * printed at the end.
 */
export function guardEscapes(summary: () => string): void {
  let escaped: unknown[] = [];
  const onEscape = (err: unknown): void => void escaped.push(err);
  beforeAll(() => {
    process.on("unhandledRejection", onEscape);
    process.on("uncaughtException", onEscape);
  });
  afterEach(async () => {
    await cleanupRuns();
    const seen = escaped;
    escaped = [];
    expect(seen).toEqual([]);
  });
  afterAll(() => {
    process.off("unhandledRejection", onEscape);
    process.off("uncaughtException", onEscape);
    console.log(summary());
  });
}
