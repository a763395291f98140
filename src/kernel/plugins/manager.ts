import { HearthError } from "../../errors.ts";
import { HANDLER_FAILED } from "../bus/index.ts";
import type { HandlerFailedPayload } from "../bus/types.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { RESERVED_NAMES } from "../names/index.ts";
import type { ServiceStats } from "../services/types.ts";
import { checkTimeout } from "../util/index.ts";
import { collectSources } from "./discovery.ts";
import { type Entry, enabled, infoOf, newEntry } from "./entry.ts";
import { declaration, PluginLifecycle } from "./lifecycle.ts";
import { orderPlugins } from "./order.ts";
import { dependencyMissing, skipError, toPluginError } from "./reasons.ts";
import { healthOf } from "./report.ts";
import type {
  PluginError,
  PluginInfo,
  PluginKernel,
  PluginManager,
  PluginManagerOptions,
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
  readonly #reserved: ReadonlyMap<string, string>;
  readonly #life: PluginLifecycle;
  readonly #entries = new Map<string, Entry>();
  #problems: PluginProblem[] = [];
  #discovered = false;
  #running = false;
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
    const hookTimeoutMs = checkTimeout(options.hookTimeoutMs ?? DEFAULT_HOOK_TIMEOUT_MS, "hookTimeoutMs");
    this.#reserved = new Map(Object.entries(RESERVED_NAMES));
    this.#life = new PluginLifecycle({
      kernel: this.#kernel,
      log: this.#log,
      hookTimeoutMs,
      startTimeoutMs: checkTimeout(options.startTimeoutMs ?? hookTimeoutMs, "startTimeoutMs"),
      configOf: (name) => this.#config[name]?.config ?? {},
      dataDir: options.dataDir,
      entry: (name) => this.#entries.get(name),
      absent: (name) => this.#absent(name),
    });
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

  checkConfigs(): Promise<{ name: string; error: PluginError }[]> {
    return this.#exclusive(async () => {
      if (!this.#discovered) await this.#discover();
      const { order } = orderPlugins(
        [...this.#entries.values()]
          .filter(enabled)
          .map((e) => ({ name: e.manifest.name, dependencies: e.manifest.dependencies ?? [] })),
      );
      const failures: { name: string; error: PluginError }[] = [];
      for (const name of order) {
        try {
          await this.#life.loadCode(this.#must(name), false);
        } catch (err) {
          failures.push({ name, error: toPluginError(err, undefined, "PLUGIN_LOAD_FAILED") });
        }
      }
      return failures;
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
      for (const name of [...this.#life.started].reverse()) await this.#life.takeDown(this.#must(name));
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
      if (!(await this.#rereadManifest(entry))) {
        // Its dependents are marked skipped (their dependency failed) rather than left unloaded.
        await this.#bringUpAll((n) => affected.has(n) && n !== name);
        return this.#info(entry);
      }
      // Dependents by the new manifest too: a dependency added by the reload is taken into account.
      const bringBack = new Set([...affected, ...this.#withDependents(name)]);
      await this.#bringUpAll((n) => bringBack.has(n), name);
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
        await this.#life.integration(entry, (sink) => sink.setStatus(name, "enabled"));
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
      await this.#life.integration(entry, (sink) => sink.setStatus(name, "disabled"));
      if (this.#running) {
        for (const n of affected) {
          const dependent = this.#must(n);
          if (n === name || !enabled(dependent) || dependent.state === "failed") continue;
          await this.#life.skip(dependent, dependencyMissing(n, name, "is disabled"));
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
        for (const ns of e.manifest.secretNamespaces ?? []) this.#kernel.mirror?.addSecret(ns);
        e.persistedEnabled = records.get(e.manifest.name)?.enabled !== false;
        if (!enabled(e)) e.state = "disabled";
        this.#entries.set(e.manifest.name, e);
      }
    }
    for (const e of added) {
      if (e.manifest.isIntegration !== true) continue;
      await this.#life.integration(e, (sink) => sink.declare(declaration(e.manifest, e.manifest.config)));
      if (!enabled(e)) await this.#life.integration(e, (sink) => sink.setStatus(e.manifest.name, "disabled"));
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
      if (include(name) && e.state !== "started")
        await this.#life.skip(e, skipError(name, reason, this.#absent));
    }
    for (const name of order) {
      const e = this.#must(name);
      if (include(name) && e.state !== "started") await this.#life.bringUp(e, name === fresh);
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

  /** Takes down the running plugins among `names`, dependents first (reverse start order). */
  async #takeDownAll(names: ReadonlySet<string>): Promise<void> {
    for (const n of [...this.#life.started].reverse())
      if (names.has(n)) await this.#life.takeDown(this.#must(n));
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

  /**
   * Reads an external plugin's `plugin.json` again before a reload (version, dependencies, config
   * schema may have changed). A manifest that is now invalid, or that renames the plugin, fails it
   * with PLUGIN_MANIFEST_INVALID; returns whether it may come back.
   */
  async #rereadManifest(e: Entry): Promise<boolean> {
    if (e.source.reread === undefined) return true;
    const name = e.manifest.name;
    try {
      const manifest = await e.source.reread();
      if (manifest.name !== name) {
        throw new HearthError(
          "PLUGIN_MANIFEST_INVALID",
          `Plugin "${name}" was renamed to "${manifest.name}" in its ${"plugin.json"}: restart Hearth to pick up a new name`,
          { data: { plugin: name, name: manifest.name } },
        );
      }
      for (const ns of manifest.secretNamespaces ?? []) this.#kernel.mirror?.addSecret(ns);
      e.manifest = manifest;
      if (manifest.isIntegration === true) {
        await this.#life.integration(e, (sink) => sink.declare(declaration(manifest, manifest.config)));
      }
      return true;
    } catch (err) {
      const error = toPluginError(err, undefined, "PLUGIN_LOAD_FAILED");
      e.state = "failed";
      e.error = error;
      e.errors++;
      e.log.error({ code: error.code, err: error.message }, "plugin manifest unusable on reload");
      this.#life.publish("$plugin.failed", e, { error });
      return false;
    }
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

  #exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(fn);
    this.#queue = run.then(noop, noop);
    return run;
  }
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
