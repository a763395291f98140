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
import { createEventBus } from "./kernel/bus/index.ts";
import type { EventBus } from "./kernel/bus/types.ts";
import type { HearthConfig } from "./kernel/config/types.ts";
import { createHttpRegistry } from "./kernel/http/index.ts";
import type { HttpRegistry } from "./kernel/http/types.ts";
import { createIntegrationRegistry } from "./kernel/integrations/index.ts";
import type { Logger } from "./kernel/log/index.ts";
import { createStorageWithStateMirror } from "./kernel/mirror/index.ts";
import { createModuleManager, type ModuleManager } from "./kernel/modules/index.ts";
import type { ComponentHealth, ModuleContext, ModuleDefinition } from "./kernel/modules/types.ts";
import { builtinSource, createPluginManager, type PluginManager } from "./kernel/plugins/index.ts";
import type { PluginSource } from "./kernel/plugins/types.ts";
import { createServiceRegistry } from "./kernel/services/index.ts";
import type { ServiceRegistry } from "./kernel/services/types.ts";
import { createStateEngine } from "./kernel/state/index.ts";
import type { StateEngine } from "./kernel/state/types.ts";
import { openStorage } from "./kernel/storage/index.ts";
import type { Storage } from "./kernel/storage/types.ts";
import { withTimeout } from "./kernel/util/index.ts";
import { createAdminModule } from "./modules/admin/index.ts";
import { serviceMetricsMiddleware } from "./modules/admin/metrics/index.ts";
import { createLoggerModule } from "./modules/logger/index.ts";
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
}

interface Components {
  storage: Storage;
  bus: EventBus;
  services: ServiceRegistry;
  state: StateEngine;
  http: HttpRegistry;
  modules: ModuleManager;
  plugins: PluginManager;
  ctx: ModuleContext;
}

const TIMED_OUT = new Error("deadline passed");

/**
 * What a stop that ran out of time left behind: plugins and modules not taken down yet ("stopped" is
 * a plugin inside onUnload), then the owners of event handlers still running. Each named once.
 */
function hungParts(c: Components): string[] {
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
  for (const { owner } of c.bus.pending()) {
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
    return err instanceof Error ? err : new Error(errorMessage(err));
  }
}

export class CoreRuntime {
  readonly #options: RuntimeOptions;
  readonly #log: Logger;
  #phase: RuntimePhase = "created";
  #c: Components | undefined;
  #startedAt = 0;
  #startMs: number | undefined;
  #initPromise: Promise<void> | undefined;
  #startPromise: Promise<void> | undefined;
  #stopPromise: Promise<StopResult> | undefined;
  readonly #errors = { unhandledRejections: 0, uncaughtExceptions: 0 };
  #releasePid: (() => void) | undefined;

  constructor(options: RuntimeOptions) {
    this.#options = options;
    this.#log = options.logger.child({ component: "runtime" });
  }

  get phase(): RuntimePhase {
    return this.#phase;
  }

  /** The wired components, for modules and tests; throws before init(). */
  get components(): Readonly<Components> {
    if (!this.#c) throw new HearthError("RUNTIME_NOT_READY", "The runtime is not initialised");
    return this.#c;
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
    try {
      const bus = createEventBus({ logger, handlerTimeoutMs: this.#options.config.eventHandlerTimeoutMs });
      const services = createServiceRegistry({ logger, middleware: [serviceMetricsMiddleware()] });
      const state = createStateEngine({ logger });
      const mirror = createStorageWithStateMirror({
        storage,
        state,
        logger,
        secretNamespaces: config.storage.secretNamespaces,
      });
      const http = createHttpRegistry();
      const integrations = createIntegrationRegistry({ storage, logger });
      await integrations.load();
      const modules = createModuleManager({ logger, hookTimeoutMs });
      const plugins = createPluginManager({
        kernel: { bus, services, state, storage, http, integrations },
        logger,
        pluginsDir: config.pluginsDir,
        builtins: this.#options.builtinPlugins ?? BUILTIN_PLUGINS.map(builtinSource),
        config: config.plugins,
        hookTimeoutMs,
      });
      const ctx: ModuleContext = { config, log: logger, bus, services, state, storage, mirror, http };
      this.#c = { storage, bus, services, state, http, modules, plugins, ctx };

      modules.add(createLoggerModule());
      if (this.#options.http !== false) modules.add(createAdminModule({ runtime: this, integrations }));
      for (const m of this.#options.modules ?? []) modules.add(m);
      await mirror.syncFromStorage();
      await modules.registerAll(ctx);
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
    const c = this.components;
    const t0 = performance.now();
    this.#phase = "starting";
    await c.bus.publish("$runtime.starting", {});
    try {
      await c.modules.startAll(c.ctx);
      await c.plugins.discover();
      await c.plugins.startAll();
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
    void c.bus.publish("$runtime.started", { startMs: this.#startMs });
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
      await settleWithin(c.bus.publish("$runtime.stopping", {}), Math.floor(limit / 4));
      await c.plugins.stopAll();
      await c.modules.stopAll(c.ctx);
      await c.bus.drain();
    })();
    const outcome = await settleWithin(steps, limit);
    let hung: string[] = [];
    if (outcome === "timeout") {
      hung = hungParts(c);
      this.#log.error(
        { shutdownTimeoutMs: limit, hung },
        `shutdown exceeded ${limit} ms; abandoning ${hung.join(", ") || "the remaining steps"}`,
      );
    } else if (outcome instanceof Error) {
      this.#log.error({ err: outcome.message }, "error while stopping; going on");
    }
    // Whatever hung, data is flushed and the file closed cleanly.
    c.state.close();
    try {
      await c.storage.close();
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
    return { timedOut: outcome === "timeout", hung, durationMs };
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
          modules: { ...down, modules: {} },
          plugins: { ...down, plugins: {} },
          bus: down,
        },
      };
    }
    let storage: ComponentHealth = { status: "healthy" };
    try {
      // A read waits behind an open transaction: bound it, so a wedged writer shows as unhealthy
      // instead of hanging the probe.
      await withTimeout(
        () => c.storage.has("hearth", "health-probe"),
        HEALTH_PROBE_TIMEOUT_MS,
        () => new Error(`storage did not answer within ${HEALTH_PROBE_TIMEOUT_MS} ms`),
      );
    } catch (err) {
      storage = { status: "unhealthy", detail: errorMessage(err) };
    }
    const modules = c.modules.health();
    const plugins = c.plugins.health();
    const stuck = c.bus.pending().filter((h) => h.timedOut);
    const bus: ComponentHealth =
      stuck.length === 0
        ? { status: "healthy" }
        : {
            status: "degraded",
            detail: `event handlers past their timeout, still running: ${stuck
              .slice(0, 5)
              .map((h) => `${h.owner ?? "no owner"} on ${h.type} (${h.runningMs} ms)`)
              .join(", ")}${stuck.length > 5 ? ` and ${stuck.length - 5} more` : ""}`,
          };
    const worst = [
      storage.status,
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
        modules: { status: modules.status, modules: modules.modules },
        plugins: { status: plugins.status, plugins: plugins.plugins },
        bus,
      },
    };
  }

  getMetrics(): RuntimeMetrics {
    const c = this.components;
    const mem = process.memoryUsage();
    return {
      phase: this.#phase,
      uptimeMs: this.#startedAt ? Date.now() - this.#startedAt : 0,
      startMs: this.#startMs,
      errors: { ...this.#errors },
      bus: c.bus.stats(),
      services: c.services.stats(),
      state: c.state.stats(),
      storage: c.storage.stats(),
      modules: c.modules.list(),
      plugins: c.plugins.list(),
      process: { rssBytes: mem.rss, heapUsedBytes: mem.heapUsed },
    };
  }
}
