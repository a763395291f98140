/**
 * CoreRuntime: owns the kernel components and runs the lifecycle.
 *
 *   init()  opens storage, builds and wires the components, registers the modules
 *   start() starts modules, then discovers and starts plugins
 *   stop()  stops plugins (reverse dependency order), then modules (reverse order), bounded by
 *           shutdownTimeoutMs; storage is flushed and closed whatever happened before
 *
 * The runtime knows nothing of devices or hardware. Mechanics live in the components' managers.
 */
import { join } from "node:path";
import { BUILTIN_PLUGINS } from "./builtin-plugins.generated.ts";
import { errorMessage, HearthError } from "./errors.ts";
import type { HearthConfig } from "./kernel/config/types.ts";
import { createKernel, type Kernel, type KernelParts, type RuntimeView } from "./kernel/index.ts";
import type { Logger } from "./kernel/log/index.ts";
import type { ComponentHealth, ModuleContext, ModuleDefinition } from "./kernel/modules/types.ts";
import { builtinSource } from "./kernel/plugins/index.ts";
import type { PluginSource } from "./kernel/plugins/types.ts";
import { openStorage } from "./kernel/storage/index.ts";
import { type Clock, type PhaseTimes, StartupPhases, withTimeout } from "./kernel/util/index.ts";
import { createAdminModule } from "./modules/admin/index.ts";
import { createAutomationModule } from "./modules/automation/index.ts";
import { createDevicesModule } from "./modules/devices/index.ts";
import { createLoggerModule } from "./modules/logger/index.ts";
import { createPresenceModule } from "./modules/presence/index.ts";
import { acquirePidFile } from "./platform/pidfile.ts";
import type { HealthReport, RuntimeMetrics, RuntimePhase, StopResult } from "./runtime-types.ts";

export type { HealthReport, RuntimeMetrics, RuntimePhase, StopResult } from "./runtime-types.ts";

export interface RuntimeOptions {
  config: HearthConfig;
  logger: Logger;
  /** Built-in plugins; defaults to the ones compiled into this build. */
  builtinPlugins?: PluginSource[];
  /** Extra modules after the built-in ones (tests, embedders). */
  modules?: ModuleDefinition[];
  /** Serve the admin HTTP API (default true; tests of the lifecycle alone turn it off). */
  http?: boolean;
  /** Per plugin/module hook timeout (default: the smaller of 10 s and shutdownTimeoutMs). */
  hookTimeoutMs?: number;
  /** Wall time and timers for the modules' own delays (presence); tests inject a manual clock. */
  clock?: Clock;
  /** Where start-up time is recorded, phase by phase (`hearth run` passes the one begun in main). */
  phases?: StartupPhases;
}

// A sentinel, compared by identity in settleWithin; never seen outside this file.
const TIMED_OUT = new Error("deadline passed");

/**
 * What a stop that ran out of time left behind: plugins and modules not taken down yet ("stopped" is
 * a plugin inside onUnload), then the owners of event handlers still running. Each named once.
 */
function hungParts(c: KernelParts): string[] {
  const plugins = c.plugins.list();
  const modules = c.modules.list();
  const hung = new Set([
    ...plugins
      .filter((p) => p.state === "started" || p.state === "loaded" || p.state === "stopped")
      .map((p) => `plugin ${p.name}`),
    ...modules
      .filter((m) => m.state === "started" || m.state === "registered")
      .map((m) => `module ${m.name}`),
  ]);
  for (const { owner } of c.kernel.bus.pending()) {
    if (owner === undefined) hung.add("an event handler of no owner");
    else if (plugins.some((p) => p.name === owner)) hung.add(`plugin ${owner}`);
    else if (modules.some((m) => m.name === owner)) hung.add(`module ${owner}`);
    else hung.add(owner);
  }
  return [...hung];
}
const HEALTH_PROBE_TIMEOUT_MS = 2000;

/** "done", "timeout" once `ms` have passed (the work is abandoned), or the error the work failed with. */
async function settleWithin(work: Promise<unknown>, ms: number): Promise<"done" | "timeout" | Error> {
  try {
    await withTimeout(
      () => work,
      ms,
      () => TIMED_OUT,
    );
    return "done";
  } catch (err) {
    if (err === TIMED_OUT) return "timeout";
    // A thrown non-Error, wrapped for the log line of stop(); not thrown to callers.
    return err instanceof Error ? err : new Error(errorMessage(err));
  }
}

export class CoreRuntime {
  readonly #options: RuntimeOptions;
  readonly #log: Logger;
  #phase: RuntimePhase = "created";
  #c: KernelParts | undefined;
  #startedAt = 0;
  #startMs: number | undefined;
  #initPromise: Promise<void> | undefined;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<StopResult> | undefined;
  readonly #errors = { unhandledRejections: 0, uncaughtExceptions: 0 };
  #releasePid: (() => void) | undefined;
  #moduleCtx: ModuleContext | undefined;
  readonly #phases: StartupPhases;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#phases = options.phases ?? new StartupPhases(performance.now());
    this.#log = options.logger.child({ component: "runtime" });
  }

  get phase(): RuntimePhase {
    return this.#phase;
  }

  /** The kernel view (what every module gets); throws RUNTIME_NOT_READY before init(). */
  get kernel(): Kernel {
    if (!this.#c) throw new HearthError("RUNTIME_NOT_READY", "The runtime is not initialised");
    return this.#c.kernel;
  }

  /** Builds and wires the components and registers the modules. Idempotent. */
  init(): Promise<void> {
    this.#initPromise ??= this.#init();
    return this.#initPromise;
  }

  /** Starts modules, then plugins. Idempotent; calls init() first if needed. */
  start(): Promise<void> {
    this.#startPromise ??= this.#start();
    return this.#startPromise;
  }

  /** Stops everything within shutdownTimeoutMs; always closes storage. Idempotent; safe after a failed start. */
  stop(): Promise<StopResult> {
    this.#stopPromise ??= this.#stop();
    return this.#stopPromise;
  }

  /**
   * Where start-up time went: the phases marked so far (from the process's start when `hearth run`
   * passed its own), each module's register and start hooks and each plugin's load and start, in milliseconds.
   */
  startupTimes(): PhaseTimes & { modules: Record<string, number>; plugins: Record<string, number> } {
    const round = (ms: number | undefined) => Math.round((ms ?? 0) * 10) / 10;
    const modules: Record<string, number> = {};
    const plugins: Record<string, number> = {};
    for (const m of this.#c?.modules.list() ?? [])
      modules[m.name] = round((m.registerMs ?? 0) + (m.startMs ?? 0));
    for (const p of this.#c?.plugins.list() ?? []) {
      if (p.loadMs !== undefined || p.startMs !== undefined)
        plugins[p.name] = round((p.loadMs ?? 0) + (p.startMs ?? 0));
    }
    return { ...this.#phases.times(), modules, plugins };
  }

  /** Counts an error that escaped every handler (wired to process events by `hearth run`). */
  recordUncaught(kind: "unhandledRejection" | "uncaughtException", err: unknown): void {
    if (kind === "unhandledRejection") this.#errors.unhandledRejections++;
    else this.#errors.uncaughtExceptions++;
    this.#log.error(
      { kind, err: errorMessage(err), stack: (err as Error)?.stack },
      "error escaped every handler",
    );
  }

  async #init(): Promise<void> {
    const t0 = performance.now();
    const { config, logger } = this.#options;
    const hookTimeoutMs = this.#options.hookTimeoutMs ?? Math.min(10_000, config.shutdownTimeoutMs);
    // One runtime per data folder; released when stopped (a stale file from a crash is replaced).
    this.#releasePid = acquirePidFile(config.dataDir);
    this.#phases.mark("pid file");
    const storage = await openStorage({
      path: join(config.dataDir, "hearth.db"),
      durable: config.storage.durable,
      flushIntervalMs: config.storage.flushIntervalMs,
      maxValueBytes: config.storage.maxValueBytes,
      logger,
    }).catch((err: unknown) => {
      this.#releasePid?.();
      throw err;
    });
    this.#phases.mark("storage open");
    try {
      const parts = await createKernel({
        config,
        logger,
        storage,
        builtinPlugins: this.#options.builtinPlugins ?? BUILTIN_PLUGINS.map(builtinSource),
        hookTimeoutMs,
        runtime: this.#view(),
      });
      this.#c = parts;
      this.#phases.mark("kernel");
      const { modules } = parts;
      modules.add(createLoggerModule());
      modules.add(createDevicesModule());
      modules.add(createPresenceModule({ clock: this.#options.clock }));
      // A module given in the options replaces the built-in of the same name (tests inject a clock).
      const given = (m: ModuleDefinition) => this.#options.modules?.find((o) => o.name === m.name) ?? m;
      modules.add(given(createAutomationModule()));
      if (this.#options.http !== false) modules.add(createAdminModule());
      for (const m of this.#options.modules ?? []) modules.add(m);
      await modules.registerAll(this.#moduleContext(parts));
      this.#phases.mark("modules registered");
      this.#phase = "initialised";
      this.#startMs = performance.now() - t0;
    } catch (err) {
      this.#phase = "failed";
      await storage.close();
      this.#releasePid?.();
      throw err;
    }
  }

  async #start(): Promise<void> {
    await this.init();
    const c = this.#c as KernelParts;
    const t0 = performance.now();
    this.#phase = "starting";
    await c.kernel.bus.publish("$runtime.starting", {});
    try {
      await c.modules.startAll(this.#moduleContext(c));
      this.#phases.mark("modules started");
      await c.plugins.discover();
      this.#phases.mark("plugins discovered");
      await c.plugins.startAll();
      this.#phases.mark("plugins started");
    } catch (err) {
      this.#phase = "failed";
      this.#log.error({ err: errorMessage(err), code: (err as HearthError).code }, "runtime start failed");
      throw err;
    }
    this.#phase = "started";
    this.#startedAt = Date.now();
    this.#startMs = (this.#startMs ?? 0) + (performance.now() - t0);
    const plugins = c.plugins.list();
    this.#log.info(
      {
        startMs: Math.round(this.#startMs),
        plugins: plugins.filter((p) => p.state === "started").map((p) => p.name),
        notStarted: plugins.filter((p) => p.state !== "started").map((p) => `${p.name}: ${p.state}`),
      },
      "runtime started",
    );
    // Not awaited: started means started, whatever its handlers do (drain() still covers them).
    void c.kernel.bus.publish("$runtime.started", { startMs: this.#startMs });
  }

  async #stop(): Promise<StopResult> {
    const t0 = performance.now();
    // Let a start in progress settle first, so the two never interleave.
    await this.#startPromise?.catch(() => undefined);
    await this.#initPromise?.catch(() => undefined);
    const c = this.#c;
    if (!c || this.#phase === "stopped") {
      this.#releasePid?.();
      this.#phase = "stopped";
      return { timedOut: false, hung: [], durationMs: 0 };
    }
    this.#phase = "stopping";
    const limit = this.#options.config.shutdownTimeoutMs;
    this.#log.info({ shutdownTimeoutMs: limit }, "runtime stopping");

    const steps = (async () => {
      // Its handlers get a quarter of the budget: one that hangs must not keep every plugin's onStop from running.
      await settleWithin(c.kernel.bus.publish("$runtime.stopping", {}), Math.floor(limit / 4));
      await c.plugins.stopAll();
      await c.modules.stopAll(this.#moduleContext(c));
      await c.kernel.hardware.close();
      await c.kernel.bus.drain();
    })();
    const outcome = await settleWithin(steps, limit);
    let hung: string[] = [];
    let error: HearthError | undefined;
    if (outcome === "timeout") {
      hung = hungParts(c);
      error = new HearthError(
        "RUNTIME_SHUTDOWN_TIMEOUT",
        `shutdown exceeded ${limit} ms; abandoning ${hung.join(", ") || "the remaining steps"}`,
        { data: { shutdownTimeoutMs: limit, hung } },
      );
      this.#log.error({ code: error.code, shutdownTimeoutMs: limit, hung }, error.message);
    } else if (outcome instanceof Error) {
      this.#log.error({ err: outcome.message }, "error while stopping; going on");
    }
    // Whatever hung, data is flushed and the file closed cleanly.
    c.kernel.state.close();
    try {
      await c.kernel.storage.close();
    } catch (err) {
      this.#log.error({ err: errorMessage(err) }, "storage close failed");
    }
    this.#releasePid?.();
    this.#phase = "stopped";
    const durationMs = performance.now() - t0;
    this.#log.info(
      { durationMs: Math.round(durationMs), timedOut: outcome === "timeout" },
      "runtime stopped",
    );
    return error === undefined
      ? { timedOut: false, hung, durationMs }
      : { timedOut: true, hung, durationMs, error: error.toJSON() };
  }

  async healthCheck(): Promise<HealthReport> {
    const c = this.#c;
    const uptimeMs = this.#startedAt ? Date.now() - this.#startedAt : 0;
    if (!c) {
      const down: ComponentHealth = { status: "unhealthy", detail: "not initialised" };
      return {
        status: "unhealthy",
        phase: this.#phase,
        uptimeMs,
        checks: {
          storage: down,
          mirror: down,
          modules: { ...down, modules: {} },
          plugins: { ...down, plugins: {} },
          bus: down,
        },
      };
    }
    const { kernel } = c;
    const storage = await storageHealth(kernel);
    const mirror = storage.status === "healthy" ? await mirrorHealth(kernel) : storage;
    const modules = c.modules.health();
    const plugins = c.plugins.health();
    const bus = busHealth(kernel);
    const worst = [
      storage.status,
      mirror.status === "unhealthy" ? "degraded" : mirror.status,
      bus.status,
      modules.status,
      plugins.status === "unhealthy" ? "degraded" : plugins.status,
    ];
    let status: HealthReport["status"] = worst.includes("unhealthy")
      ? "unhealthy"
      : worst.includes("degraded")
        ? "degraded"
        : "healthy";
    if (this.#phase !== "started") status = "unhealthy";
    return {
      status,
      phase: this.#phase,
      uptimeMs,
      checks: {
        storage,
        mirror,
        modules,
        plugins,
        bus,
      },
    };
  }

  getMetrics(): RuntimeMetrics {
    if (!this.#c) throw new HearthError("RUNTIME_NOT_READY", "The runtime is not initialised");
    const { kernel, modules, plugins } = this.#c;
    const mem = process.memoryUsage();
    return {
      phase: this.#phase,
      uptimeMs: this.#startedAt ? Date.now() - this.#startedAt : 0,
      startMs: this.#startMs,
      errors: { ...this.#errors },
      bus: kernel.bus.stats(),
      services: kernel.services.stats(),
      state: kernel.state.stats(),
      storage: kernel.storage.stats(),
      modules: modules.list(),
      plugins: plugins.list(),
      process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  }

  /** What the kernel shows of this runtime: read lazily, so it is always current. */
  #view(): RuntimeView {
    const runtime = this;
    return Object.freeze({
      get phase() {
        return runtime.phase;
      },
      health: () => runtime.healthCheck(),
      metrics: () => runtime.getMetrics(),
    });
  }

  /** Every module's context: the kernel view plus the runtime's logger (the manager makes it the module's child). */
  #moduleContext(parts: KernelParts): ModuleContext {
    this.#moduleCtx ??= { ...parts.kernel, log: this.#options.logger };
    return this.#moduleCtx;
  }
}

/** A read waits behind an open transaction: bounded, so a wedged writer shows as unhealthy instead of hanging the probe. */
async function storageHealth(kernel: Kernel): Promise<ComponentHealth> {
  try {
    await withTimeout(
      () => kernel.storage.has("hearth", "health-probe"),
      HEALTH_PROBE_TIMEOUT_MS,
      // Becomes the health detail below; not thrown to callers.
      () => new Error(`storage did not answer within ${HEALTH_PROBE_TIMEOUT_MS} ms`),
    );
    return { status: "healthy" };
  } catch (err) {
    return { status: "unhealthy", detail: errorMessage(err) };
  }
}

/** Degraded, naming the keys, when the state mirror and storage disagree. */
async function mirrorHealth(kernel: Kernel): Promise<ComponentHealth> {
  try {
    let report = await withTimeout(
      () => kernel.mirror.checkConsistency(),
      HEALTH_PROBE_TIMEOUT_MS,
      // Becomes the health detail below; not thrown to callers.
      () => new Error(`the mirror check did not finish within ${HEALTH_PROBE_TIMEOUT_MS} ms`),
    );
    // A write may land between the check's storage read and its look at state: look once more
    // before calling a difference real.
    if (!report.consistent) report = await kernel.mirror.checkConsistency();
    if (report.consistent) return { status: "healthy" };
    const keys = [
      ...report.differing.map((k) => `${k} (differs)`),
      ...report.missingInState.map((k) => `${k} (missing in state)`),
      ...report.missingInStorage.map((k) => `${k} (missing in storage)`),
    ];
    return {
      status: "degraded",
      detail: `state mirror disagrees with storage: ${keys.slice(0, 10).join(", ")}${keys.length > 10 ? ` and ${keys.length - 10} more` : ""}`,
    };
  } catch (err) {
    return { status: "degraded", detail: errorMessage(err) };
  }
}

function busHealth(kernel: Kernel): ComponentHealth {
  const stuck = kernel.bus.pending().filter((h) => h.timedOut);
  if (stuck.length === 0) return { status: "healthy" };
  return {
    status: "degraded",
    detail: `event handlers past their timeout, still running: ${stuck
      .slice(0, 5)
      .map((h) => `${h.owner ?? "no owner"} on ${h.type} (${h.runningMs} ms)`)
      .join(", ")}${stuck.length > 5 ? ` and ${stuck.length - 5} more` : ""}`,
  };
}
