import { errorMessage, HearthError } from "../../errors.ts";
import type { PluginDefinition } from "../../sdk/types.ts";
import { HANDLER_FAILED } from "../bus/index.ts";
import type { HandlerFailedPayload } from "../bus/types.ts";
import { zodToJsonSchema } from "../integrations/index.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { RESERVED_NAMES } from "../names/index.ts";
import type { ServiceStats } from "../services/types.ts";
import { withTimeout } from "../util/index.ts";
import { createPluginScope } from "./context.ts";
import { checkDefinition, resolveConfig } from "./definition.ts";
import { collectSources } from "./discovery.ts";
import { type Entry, enabled, infoOf, newEntry } from "./entry.ts";
import { runHook } from "./hooks.ts";
import { orderPlugins } from "./order.ts";
import { dependencyMissing, skipError, toPluginError } from "./reasons.ts";
import { healthOf, sumStats } from "./report.ts";
import type {
  IntegrationSink,
  PluginError,
  PluginHookName,
  PluginInfo,
  PluginKernel,
  PluginManager,
  PluginManagerOptions,
  PluginManifest,
  PluginPlan,
  PluginProblem,
  PluginSource,
  PluginsHealth,
} from "./types.ts";

export const DEFAULT_HOOK_TIMEOUT_MS = 10_000;

/** Storage namespace of the persisted `{ enabled }` record of each plugin (key = plugin name). */
export const PLUGIN_RECORDS_NAMESPACE = "plugins";

const noop = (): void => undefined;

class Manager implements PluginManager {
  readonly #kernel: PluginKernel;
  readonly #root: Logger;
  readonly #log: Logger;
  readonly #pluginsDir: string | undefined;
  readonly #builtins: readonly PluginSource[];
  readonly #config: NonNullable<PluginManagerOptions["config"]>;
  readonly #hookTimeoutMs: number;
  readonly #startTimeoutMs: number;
  readonly #reserved: ReadonlyMap<string, string>;
  readonly #entries = new Map<string, Entry>();
  #problems: PluginProblem[] = [];
  #discovered = false;
  #running = false;
  /** Names in the order they reached `started`: stopping walks it backwards. */
  #started: string[] = [];
  #queue: Promise<unknown> = Promise.resolve();

  constructor(options: PluginManagerOptions) {
    if (options?.kernel === undefined) {
      throw new HearthError("INVALID_ARGUMENT", "createPluginManager needs the kernel components");
    }
    this.#kernel = options.kernel;
    this.#root = options.logger ?? silentLogger();
    this.#log = this.#root.child({ component: "plugins" });
    this.#pluginsDir = options.pluginsDir;
    this.#builtins = options.builtins ?? [];
    this.#config = options.config ?? {};
    this.#hookTimeoutMs = checkTimeout(options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS, "hookTimeoutMs");
    this.#startTimeoutMs = checkTimeout(options.startTimeoutMs ?? this.#hookTimeoutMs, "startTimeoutMs");
    this.#reserved = new Map(Object.entries(RESERVED_NAMES));
    this.#kernel.bus.subscribe<HandlerFailedPayload>(
      HANDLER_FAILED,
      (event) => {
        const entry = event.payload?.owner === undefined ? undefined : this.#entries.get(event.payload.owner);
        if (entry !== undefined) entry.errors++;
      },
      { owner: "plugins" },
    );
  }

  discover(): Promise<PluginInfo[]> {
    return this.#exclusive(async () => {
      await this.#discover();
      return this.list();
    });
  }

  /**
   * What startAll() would do, decided from the manifests alone (no plugin code runs): the start
   * order, and each enabled plugin that would be skipped with its reason. `hearth check` uses it.
   */
  plan(): Promise<PluginPlan> {
    return this.#exclusive(async () => {
      if (!this.#discovered) await this.#discover();
      const { order, skipped } = orderPlugins(
        [...this.#entries.values()]
          .filter(enabled)
          .map((e) => ({ name: e.manifest.name, dependencies: e.manifest.dependencies ?? [] })),
      );
      return {
        order,
        skipped: [...skipped].map(([name, reason]) => ({
          name,
          error: skipError(name, reason, this.#absent),
        })),
      };
    });
  }

  startAll(): Promise<void> {
    return this.#exclusive(async () => {
      if (!this.#discovered) await this.#discover();
      this.#running = true;
      await this.#bringUpAll(() => true);
      const states = this.list().map((p) => `${p.name}: ${p.state}`);
      this.#log.info({ plugins: states }, "plugins started");
    });
  }

  stopAll(): Promise<void> {
    return this.#exclusive(async () => {
      for (const name of [...this.#started].reverse()) await this.#takeDown(this.#must(name));
      this.#running = false;
    });
  }

  reload(name: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      const entry = this.#must(name);
      if (!enabled(entry)) {
        throw new HearthError(
          "PLUGIN_STATE_CONFLICT",
          `Plugin "${name}" is disabled: enable it before reloading`,
          {
            data: { plugin: name },
          },
        );
      }
      if (!this.#running) {
        throw new HearthError("PLUGIN_STATE_CONFLICT", `Plugins are not running: cannot reload "${name}"`, {
          data: { plugin: name },
        });
      }
      const affected = this.#withDependents(name);
      await this.#takeDownAll(affected);
      this.#log.info(
        { plugin: name, dependents: [...affected].filter((n) => n !== name) },
        "reloading plugin",
      );
      await this.#bringUpAll((n) => affected.has(n), name);
      return this.#info(entry);
    });
  }

  enable(name: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      const entry = this.#must(name);
      if (!entry.configEnabled) {
        throw new HearthError(
          "PLUGIN_STATE_CONFLICT",
          `Plugin "${name}" is disabled in the configuration (plugins.${name}.enabled = false)`,
          { data: { plugin: name } },
        );
      }
      await this.#kernel.storage.set(PLUGIN_RECORDS_NAMESPACE, name, { enabled: true });
      entry.persistedEnabled = true;
      this.#log.info({ plugin: name }, "plugin enabled");
      if (!this.#running) {
        if (entry.state === "disabled") entry.state = "discovered";
        await this.#integration(entry, (sink) => sink.setStatus(name, "enabled"));
        return this.#info(entry);
      }
      if (entry.state === "started") return this.#info(entry);
      const affected = this.#withDependents(name);
      // Dependents that failed on their own stay failed: only the ones it had taken down come back.
      await this.#bringUpAll((n) => affected.has(n) && (n === name || this.#must(n).state !== "failed"));
      return this.#info(entry);
    });
  }

  disable(name: string): Promise<PluginInfo> {
    return this.#exclusive(async () => {
      const entry = this.#must(name);
      await this.#kernel.storage.set(PLUGIN_RECORDS_NAMESPACE, name, { enabled: false });
      entry.persistedEnabled = false;
      const affected = this.#withDependents(name);
      if (this.#running) await this.#takeDownAll(affected);
      entry.state = "disabled";
      entry.error = undefined;
      await this.#integration(entry, (sink) => sink.setStatus(name, "disabled"));
      if (this.#running) {
        for (const n of affected) {
          const dependent = this.#must(n);
          if (n === name || !enabled(dependent) || dependent.state === "failed") continue;
          await this.#skip(dependent, dependencyMissing(n, name, "is disabled"));
        }
      }
      this.#log.info({ plugin: name }, "plugin disabled");
      return this.#info(entry);
    });
  }

  list(): PluginInfo[] {
    const stats = this.#kernel.services.stats();
    return [...this.#entries.values()]
      .map((e) => this.#info(e, stats))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  get(name: string): PluginInfo {
    return this.#info(this.#must(name));
  }

  problems(): PluginProblem[] {
    return this.#problems.map((p) => ({ ...p, error: { ...p.error } }));
  }

  health(): PluginsHealth {
    return healthOf(this.list(), this.#problems);
  }

  // --- discovery ---------------------------------------------------------------------------------

  async #discover(): Promise<void> {
    const known = new Map([...this.#entries].map(([name, e]) => [name, e.source]));
    const { sources, problems } = await collectSources({
      builtins: this.#builtins,
      pluginsDir: this.#pluginsDir,
      reserved: this.#reserved,
      known,
    });
    const added = sources.map((source) => newEntry(source, this.#root, this.#config));
    if (added.length > 0) {
      const records = await this.#kernel.storage.batchGet(
        PLUGIN_RECORDS_NAMESPACE,
        added.map((e) => e.manifest.name),
      );
      for (const e of added) {
        e.persistedEnabled = records.get(e.manifest.name)?.enabled !== false;
        if (!enabled(e)) e.state = "disabled";
        this.#entries.set(e.manifest.name, e);
      }
    }
    for (const e of added) {
      if (e.manifest.isIntegration !== true) continue;
      await this.#integration(e, (sink) => sink.declare(declaration(e.manifest, e.manifest.config)));
      if (!enabled(e)) await this.#integration(e, (sink) => sink.setStatus(e.manifest.name, "disabled"));
    }
    for (const p of problems) this.#log.warn({ source: p.source, code: p.error.code }, p.error.message);
    if (!this.#discovered) {
      for (const name of Object.keys(this.#config)) {
        if (!this.#entries.has(name)) this.#log.warn({ plugin: name }, "configured plugin was not found");
      }
    }
    this.#problems = problems;
    this.#discovered = true;
    this.#log.debug({ plugins: [...this.#entries.keys()], problems: problems.length }, "plugins discovered");
  }

  // --- lifecycle ---------------------------------------------------------------------------------

  /** Starts, in dependency order, every enabled plugin `include` accepts that is not running yet. */
  async #bringUpAll(include: (name: string) => boolean, fresh?: string): Promise<void> {
    const { order, skipped } = orderPlugins(
      [...this.#entries.values()]
        .filter(enabled)
        .map((e) => ({ name: e.manifest.name, dependencies: e.manifest.dependencies ?? [] })),
    );
    for (const [name, reason] of skipped) {
      const e = this.#must(name);
      if (include(name) && e.state !== "started") await this.#skip(e, skipError(name, reason, this.#absent));
    }
    for (const name of order) {
      const e = this.#must(name);
      if (include(name) && e.state !== "started") await this.#bringUp(e, name === fresh);
    }
  }

  /** Why a dependency outside the startable set is absent. */
  readonly #absent = (name: string): string => {
    const e = this.#entries.get(name);
    if (e === undefined) {
      return this.#problems.some((p) => p.name === name) ? "has an invalid manifest" : "is not installed";
    }
    if (!enabled(e)) return "is disabled";
    return e.state === "failed" ? "has failed" : e.state === "skipped" ? "was skipped" : `is ${e.state}`;
  };

  async #bringUp(e: Entry, fresh: boolean): Promise<void> {
    const name = e.manifest.name;
    for (const dep of e.manifest.dependencies ?? []) {
      if (this.#entries.get(dep)?.state !== "started") {
        await this.#skip(e, dependencyMissing(name, dep, this.#absent(dep)));
        return;
      }
    }
    e.error = undefined;
    e.loadMs = undefined;
    e.startMs = undefined;
    const t0 = performance.now();
    let definition: PluginDefinition<unknown>;
    let config: unknown;
    try {
      const exported = await withTimeout(
        () => e.source.load(fresh),
        this.#hookTimeoutMs,
        () =>
          new HearthError(
            "PLUGIN_LOAD_FAILED",
            `Importing plugin "${name}" did not finish within ${this.#hookTimeoutMs} ms`,
            {
              data: { plugin: name, timeoutMs: this.#hookTimeoutMs },
            },
          ),
      );
      definition = checkDefinition(exported, name);
      const resolved = await resolveConfig(definition, this.#config[name]?.config ?? {}, name);
      config = resolved.config;
      if (
        e.manifest.isIntegration === true &&
        e.manifest.config === undefined &&
        resolved.schema !== undefined
      ) {
        const schema = zodToJsonSchema(resolved.schema);
        await this.#integration(e, (sink) => sink.declare(declaration(e.manifest, schema)));
      }
    } catch (err) {
      await this.#fail(e, err, undefined);
      return;
    }
    const scope = createPluginScope({
      name,
      version: e.manifest.version,
      config,
      kernel: this.#kernel,
      log: e.log,
      onError: () => {
        e.errors++;
      },
    });
    e.definition = definition;
    e.scope = scope;
    const ctx = scope.context;
    try {
      await runHook(name, "onLoad", () => definition.onLoad?.(ctx), this.#hookTimeoutMs);
    } catch (err) {
      this.#retire(e);
      await this.#fail(e, err, "onLoad");
      return;
    }
    e.state = "loaded";
    e.loadMs = performance.now() - t0;
    this.#publish("$plugin.loaded", e);
    const t1 = performance.now();
    try {
      await runHook(name, "onStart", () => definition.onStart?.(ctx), this.#startTimeoutMs);
    } catch (err) {
      // onLoad succeeded, so its counterpart runs; onStop does not, since onStart never finished.
      await this.#unload(e);
      this.#retire(e);
      await this.#fail(e, err, "onStart");
      return;
    }
    e.state = "started";
    e.startMs = performance.now() - t1;
    this.#started.push(name);
    this.#publish("$plugin.started", e);
    await this.#integration(e, (sink) => sink.setStatus(name, "enabled"));
    e.log.info({ loadMs: round(e.loadMs), startMs: round(e.startMs) }, "plugin started");
  }

  /** Stops (if started) and unloads one plugin; a failing hook is logged and the rest goes on. */
  async #takeDown(e: Entry): Promise<void> {
    const scope = e.scope;
    const definition = e.definition;
    if (scope === undefined || definition === undefined) return;
    const name = e.manifest.name;
    scope.clearTimers();
    if (e.state === "started") {
      try {
        await runHook(name, "onStop", () => definition.onStop?.(scope.context), this.#hookTimeoutMs);
      } catch (err) {
        this.#teardownFailed(e, err, "onStop");
      }
      e.state = "stopped";
      this.#publish("$plugin.stopped", e);
    }
    await this.#unload(e);
    this.#retire(e);
    e.state = "unloaded";
    this.#publish("$plugin.unloaded", e);
    e.log.info("plugin unloaded");
  }

  /** Takes down the running plugins among `names`, dependents first (reverse start order). */
  async #takeDownAll(names: ReadonlySet<string>): Promise<void> {
    for (const n of [...this.#started].reverse()) if (names.has(n)) await this.#takeDown(this.#must(n));
  }

  async #unload(e: Entry): Promise<void> {
    const { scope, definition } = e;
    if (scope === undefined || definition === undefined) return;
    try {
      await runHook(
        e.manifest.name,
        "onUnload",
        () => definition.onUnload?.(scope.context),
        this.#hookTimeoutMs,
      );
    } catch (err) {
      this.#teardownFailed(e, err, "onUnload");
    }
  }

  /** Removes everything the current load registered, keeping its service counters. */
  #retire(e: Entry): void {
    const scope = e.scope;
    if (scope === undefined) return;
    const { calls, failures, faults } = sumStats(scope.services, this.#kernel.services.stats());
    e.pastCalls += calls;
    e.pastFailures += failures;
    e.pastFaults += faults;
    scope.dispose();
    e.scope = undefined;
    e.definition = undefined;
    this.#started = this.#started.filter((n) => n !== e.manifest.name);
  }

  async #fail(e: Entry, err: unknown, hook: PluginHookName | undefined): Promise<void> {
    const error = toPluginError(err, hook, hook === undefined ? "PLUGIN_LOAD_FAILED" : "PLUGIN_HOOK_FAILED");
    e.state = "failed";
    e.error = error;
    e.errors++;
    e.log.error({ code: error.code, hook, err: error.message }, "plugin failed");
    this.#publish("$plugin.failed", e, { error });
    await this.#integration(e, (sink) =>
      sink.setStatus(e.manifest.name, "error", { code: error.code, message: error.message }),
    );
  }

  async #skip(e: Entry, error: PluginError): Promise<void> {
    e.state = "skipped";
    e.error = error;
    e.log.warn({ code: error.code }, error.message);
    await this.#integration(e, (sink) =>
      sink.setStatus(e.manifest.name, "error", { code: error.code, message: error.message }),
    );
  }

  #teardownFailed(e: Entry, err: unknown, hook: PluginHookName): void {
    e.errors++;
    e.error = toPluginError(err, hook, "PLUGIN_HOOK_FAILED");
    e.log.error({ code: e.error.code, hook, err: e.error.message }, "plugin failed while stopping; going on");
  }

  // --- helpers -----------------------------------------------------------------------------------

  #info(e: Entry, stats?: Record<string, ServiceStats>): PluginInfo {
    return infoOf(e, stats ?? this.#kernel.services.stats());
  }

  #must(name: string): Entry {
    const e = this.#entries.get(name);
    if (e === undefined) {
      throw new HearthError("PLUGIN_NOT_FOUND", `No plugin "${name}" was discovered`, {
        data: { plugin: name },
      });
    }
    return e;
  }

  /** `name` and every plugin that depends on it, directly or not. */
  #withDependents(name: string): Set<string> {
    const out = new Set([name]);
    let grew = true;
    while (grew) {
      grew = false;
      for (const e of this.#entries.values()) {
        if (out.has(e.manifest.name)) continue;
        if ((e.manifest.dependencies ?? []).some((d) => out.has(d))) {
          out.add(e.manifest.name);
          grew = true;
        }
      }
    }
    return out;
  }

  #publish(type: string, e: Entry, extra?: Record<string, unknown>): void {
    // Never awaited: a slow `$plugin.*` subscriber must not hold up the lifecycle.
    void this.#kernel.bus.publish(type, { name: e.manifest.name, version: e.manifest.version, ...extra });
  }

  /** Reports to the integration registry; its failures are logged and never affect the plugin. */
  async #integration(e: Entry, call: (sink: IntegrationSink) => unknown): Promise<void> {
    const sink = this.#kernel.integrations;
    if (sink === undefined || e.manifest.isIntegration !== true) return;
    try {
      await call(sink);
    } catch (err) {
      this.#log.warn(
        { plugin: e.manifest.name, err: errorMessage(err) },
        "integration registry update failed",
      );
    }
  }

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.then(noop, noop);
    return run;
  }
}

function declaration(manifest: PluginManifest, configSchema: Record<string, unknown> | undefined) {
  return {
    name: manifest.name,
    version: manifest.version,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    ...(configSchema === undefined ? {} : { configSchema }),
  };
}

function checkTimeout(ms: number, what: string): number {
  if (!Number.isFinite(ms) || ms <= 0) {
    throw new HearthError("INVALID_ARGUMENT", `${what} must be a positive number of ms, got ${String(ms)}`, {
      data: { [what]: ms },
    });
  }
  return ms;
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}

/**
 * Creates the plugin manager: manifest-only discovery, dependency order, scoped contexts, isolation of
 * failures, hot reload, persisted enable/disable.
 *
 * @example
 * const plugins = createPluginManager({
 *   kernel: { bus, services, state, storage, http, integrations },
 *   logger, pluginsDir: config.pluginsDir, builtins: BUILTIN_PLUGINS.map(builtinSource), config: config.plugins,
 * });
 * await plugins.discover();
 * await plugins.startAll();
 */
export function createPluginManager(options: PluginManagerOptions): PluginManager {
  return new Manager(options);
}
