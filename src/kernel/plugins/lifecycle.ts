/**
 * The steps one plugin goes through: load its code and config, open its scope, run its hooks, and
 * take it down again (tasks, onStop, onUnload, everything it registered). The manager decides who
 * goes up or down and in which order; these steps do it to one plugin.
 */
import type { z } from "zod";
import { errorMessage, HearthError } from "../../errors.ts";
import type { PluginDefinition, PluginStatus } from "../../sdk/types.ts";
import { zodToJsonSchema } from "../integrations/index.ts";
import type { Logger } from "../log/types.ts";
import { withTimeout } from "../util/index.ts";
import { createPluginScope, type PluginScope } from "./context.ts";
import { checkDefinition, resolveConfig } from "./definition.ts";
import type { Entry } from "./entry.ts";
import { runHook } from "./hooks.ts";
import { dependencyMissing, toPluginError } from "./reasons.ts";
import { sumStats } from "./report.ts";
import type { IntegrationSink, PluginError, PluginHookName, PluginKernel, PluginManifest } from "./types.ts";

export interface LifecycleOptions {
  kernel: PluginKernel;
  /** The manager's `{ component: "plugins" }` logger. */
  log: Logger;
  hookTimeoutMs: number;
  startTimeoutMs: number;
  /** The runtime's data directory (plugins get a folder under it). */
  dataDir: string | undefined;
  /** The config slice of a plugin (`plugins.<name>.config`). */
  configOf(name: string): Record<string, unknown>;
  /** The entry of a plugin by name, if discovered. */
  entry(name: string): Entry | undefined;
  /** Why a dependency is not there ("is not installed", "is disabled"…). */
  absent(name: string): string;
}

export class PluginLifecycle {
  /** Names in the order they reached `started`: stopping walks it backwards. */
  started: string[] = [];
  readonly #o: LifecycleOptions;

  constructor(options: LifecycleOptions) {
    this.#o = options;
  }

  /** Loads and starts one plugin; a failure marks it failed (with its reason) and undoes what it did. */
  async bringUp(e: Entry, fresh: boolean): Promise<void> {
    const name = e.manifest.name;
    for (const dep of e.manifest.dependencies ?? []) {
      if (this.#o.entry(dep)?.state !== "started") {
        await this.skip(e, dependencyMissing(name, dep, this.#o.absent(dep)));
        return;
      }
    }
    e.error = undefined;
    e.loadMs = undefined;
    e.startMs = undefined;
    e.status = undefined;
    const t0 = performance.now();
    const loaded = await this.#load(e, fresh);
    if (loaded === undefined) return;
    this.#open(e, loaded.definition, loaded.config);
    if (!(await this.#runOnLoad(e))) return;
    e.state = "loaded";
    e.loadMs = performance.now() - t0;
    this.publish("$plugin.loaded", e);
    const t1 = performance.now();
    if (!(await this.#runOnStart(e))) return;
    e.state = "started";
    e.startMs = performance.now() - t1;
    this.started.push(name);
    this.publish("$plugin.started", e);
    await this.integration(e, (sink) => sink.setStatus(name, "enabled"));
    e.log.info({ loadMs: round(e.loadMs), startMs: round(e.startMs) }, "plugin started");
  }

  /**
   * Stops (if started) and unloads one plugin: timers cleared, its signal aborted and its tasks
   * awaited, then onStop and onUnload. A failing step is logged and the rest goes on.
   */
  async takeDown(e: Entry): Promise<void> {
    const { scope, definition } = e;
    if (scope === undefined || definition === undefined) return;
    const name = e.manifest.name;
    scope.clearTimers();
    await this.#endTasks(e);
    if (e.state === "started") {
      try {
        await runHook(name, "onStop", () => definition.onStop?.(scope.context), this.#o.hookTimeoutMs);
      } catch (err) {
        this.#teardownFailed(e, err, "onStop");
      }
      e.state = "stopped";
      this.publish("$plugin.stopped", e);
    }
    await this.#unload(e);
    await this.#retire(e);
    e.state = "unloaded";
    this.publish("$plugin.unloaded", e);
    e.log.info("plugin unloaded");
  }

  async skip(e: Entry, error: PluginError): Promise<void> {
    e.state = "skipped";
    e.error = error;
    e.log.warn({ code: error.code }, error.message);
    await this.integration(e, (sink) =>
      sink.setStatus(e.manifest.name, "error", { code: error.code, message: error.message }),
    );
  }

  /** Reports to the integration registry; its failures are logged and never affect the plugin. */
  async integration(e: Entry, call: (sink: IntegrationSink) => unknown): Promise<void> {
    const sink = this.#o.kernel.integrations;
    if (sink === undefined || e.manifest.isIntegration !== true) return;
    try {
      await call(sink);
    } catch (err) {
      this.#o.log.warn(
        { plugin: e.manifest.name, err: errorMessage(err) },
        "integration registry update failed",
      );
    }
  }

  publish(type: string, e: Entry, extra?: Record<string, unknown>): void {
    // Never awaited: a slow `$plugin.*` subscriber must not hold up the lifecycle.
    void this.#o.kernel.bus.publish(type, { name: e.manifest.name, version: e.manifest.version, ...extra });
  }

  /** The plugin's own report of its status (`ctx.integration.setStatus`), while it runs. */
  setStatus(e: Entry, status: PluginStatus, reason: string | undefined): void {
    const previous = e.status;
    if (previous?.status === status && previous.reason === reason) return;
    e.status = { status, ...(reason === undefined ? {} : { reason }), since: new Date().toISOString() };
    const fields = { status, reason, was: previous?.status ?? "ok" };
    if (status === "ok") e.log.info(fields, "plugin reports it is ok");
    else e.log.warn(fields, `plugin reports it is ${status}`);
    this.publish("$plugin.status_changed", e, { status, ...(reason === undefined ? {} : { reason }) });
    void this.integration(e, (sink) => sink.report?.(e.manifest.name, e.status));
  }

  /**
   * Imports the plugin's code (bounded by the hook timeout), checks its export and parses its config
   * slice with its schema. Runs no hook. Throws PLUGIN_LOAD_FAILED or PLUGIN_CONFIG_INVALID.
   */
  async loadCode(
    e: Entry,
    fresh: boolean,
  ): Promise<{ definition: PluginDefinition<unknown>; config: unknown; schema: z.ZodType | undefined }> {
    const name = e.manifest.name;
    const timeoutMs = this.#o.hookTimeoutMs;
    const exported = await withTimeout(
      () => e.source.load(fresh),
      timeoutMs,
      () =>
        new HearthError(
          "PLUGIN_LOAD_FAILED",
          `Importing plugin "${name}" did not finish within ${timeoutMs} ms`,
          {
            data: { plugin: name, timeoutMs },
          },
        ),
    );
    const definition = checkDefinition(exported, name);
    const resolved = await resolveConfig(definition, this.#o.configOf(name), name);
    return { definition, config: resolved.config, schema: resolved.schema };
  }

  async #load(
    e: Entry,
    fresh: boolean,
  ): Promise<{ definition: PluginDefinition<unknown>; config: unknown } | undefined> {
    try {
      const loaded = await this.loadCode(e, fresh);
      if (
        e.manifest.isIntegration === true &&
        e.manifest.config === undefined &&
        loaded.schema !== undefined
      ) {
        const schema = zodToJsonSchema(loaded.schema);
        await this.integration(e, (sink) => sink.declare(declaration(e.manifest, schema)));
      }
      return { definition: loaded.definition, config: loaded.config };
    } catch (err) {
      await this.#fail(e, err, undefined);
      return undefined;
    }
  }

  #open(e: Entry, definition: PluginDefinition<unknown>, config: unknown): void {
    e.definition = definition;
    e.scope = createPluginScope({
      name: e.manifest.name,
      version: e.manifest.version,
      config,
      kernel: this.#o.kernel,
      dataDir: this.#o.dataDir,
      log: e.log,
      onError: () => {
        e.errors++;
      },
      onStatus: (status, reason) => this.setStatus(e, status, reason),
    });
  }

  async #runOnLoad(e: Entry): Promise<boolean> {
    const scope = e.scope as PluginScope;
    const definition = e.definition as PluginDefinition<unknown>;
    try {
      await runHook(
        e.manifest.name,
        "onLoad",
        () => definition.onLoad?.(scope.context),
        this.#o.hookTimeoutMs,
      );
      return true;
    } catch (err) {
      await this.#endTasks(e);
      await this.#retire(e);
      await this.#fail(e, err, "onLoad");
      return false;
    }
  }

  async #runOnStart(e: Entry): Promise<boolean> {
    const scope = e.scope as PluginScope;
    const definition = e.definition as PluginDefinition<unknown>;
    try {
      await runHook(
        e.manifest.name,
        "onStart",
        () => definition.onStart?.(scope.context),
        this.#o.startTimeoutMs,
      );
      return true;
    } catch (err) {
      // onLoad succeeded, so its counterpart runs; onStop does not, since onStart never finished.
      scope.clearTimers();
      await this.#endTasks(e);
      await this.#unload(e);
      await this.#retire(e);
      await this.#fail(e, err, "onStart");
      return false;
    }
  }

  /** Aborts the plugin's signal and waits (bounded) for its tasks; names the ones that did not end. */
  async #endTasks(e: Entry): Promise<void> {
    const scope = e.scope;
    if (scope === undefined) return;
    const name = e.manifest.name;
    scope.abort(
      new HearthError("PLUGIN_STATE_CONFLICT", `Plugin "${name}" is stopping`, { data: { plugin: name } }),
    );
    const hung = await scope.settleTasks(this.#o.hookTimeoutMs);
    if (hung.length > 0) {
      e.errors++;
      e.log.error(
        { tasks: hung, timeoutMs: this.#o.hookTimeoutMs },
        `plugin tasks did not end within ${this.#o.hookTimeoutMs} ms of the stop; going on without them`,
      );
    }
  }

  async #unload(e: Entry): Promise<void> {
    const { scope, definition } = e;
    if (scope === undefined || definition === undefined) return;
    try {
      await runHook(
        e.manifest.name,
        "onUnload",
        () => definition.onUnload?.(scope.context),
        this.#o.hookTimeoutMs,
      );
    } catch (err) {
      this.#teardownFailed(e, err, "onUnload");
    }
  }

  /** Removes everything the current load registered (and closes its hardware), keeping its service counters. */
  async #retire(e: Entry): Promise<void> {
    const scope = e.scope;
    if (scope === undefined) return;
    const name = e.manifest.name;
    const { calls, failures, faults } = sumStats(scope.services, this.#o.kernel.services.stats());
    e.pastCalls += calls;
    e.pastFailures += failures;
    e.pastFaults += faults;
    scope.dispose();
    // After dispose (no new opens) and after onStop/onUnload (which may set outputs to a safe state).
    await withTimeout(
      () => scope.releaseHardware(),
      this.#o.hookTimeoutMs,
      () => new HearthError("PLUGIN_HOOK_TIMEOUT", `Closing the hardware of plugin "${name}" timed out`),
    ).catch((err: unknown) =>
      e.log.error({ err: errorMessage(err) }, "closing the plugin's hardware failed"),
    );
    e.scope = undefined;
    e.definition = undefined;
    if (e.status !== undefined) {
      e.status = undefined;
      void this.integration(e, (sink) => sink.report?.(e.manifest.name, undefined));
    }
    this.started = this.started.filter((n) => n !== e.manifest.name);
  }

  async #fail(e: Entry, err: unknown, hook: PluginHookName | undefined): Promise<void> {
    const error = toPluginError(err, hook, hook === undefined ? "PLUGIN_LOAD_FAILED" : "PLUGIN_HOOK_FAILED");
    e.state = "failed";
    e.error = error;
    e.errors++;
    e.log.error({ code: error.code, hook, err: error.message }, "plugin failed");
    this.publish("$plugin.failed", e, { error });
    await this.integration(e, (sink) =>
      sink.setStatus(e.manifest.name, "error", { code: error.code, message: error.message }),
    );
  }

  #teardownFailed(e: Entry, err: unknown, hook: PluginHookName): void {
    e.errors++;
    e.error = toPluginError(err, hook, "PLUGIN_HOOK_FAILED");
    e.log.error({ code: e.error.code, hook, err: e.error.message }, "plugin failed while stopping; going on");
  }
}

export function declaration(manifest: PluginManifest, configSchema: Record<string, unknown> | undefined) {
  return {
    name: manifest.name,
    version: manifest.version,
    ...(manifest.description === undefined ? {} : { description: manifest.description }),
    ...(configSchema === undefined ? {} : { configSchema }),
  };
}

function round(ms: number | undefined): number | undefined {
  return ms === undefined ? undefined : Math.round(ms * 10) / 10;
}
