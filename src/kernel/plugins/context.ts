import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { ERROR_CODES, type ErrorCode, errorMessage, HearthError, isHearthError } from "../../errors.ts";
import type { PluginContext, PluginErrors, PluginStatus } from "../../sdk/types.ts";
import type { Unsubscribe } from "../bus/types.ts";
import type { Logger } from "../log/types.ts";
import { reservedBy } from "../names/index.ts";
import type { Unwatch } from "../state/types.ts";
import { scopedHardware } from "./scope-hardware.ts";
import { type ScopeErrorSource, ScopeLife } from "./scope-life.ts";
import { scopedTasks } from "./scope-tasks.ts";
import { scopedTimers } from "./scope-timers.ts";
import { scopedStorage } from "./scoped-storage.ts";
import type { PluginKernel } from "./types.ts";

export interface ScopeOptions {
  name: string;
  version: string;
  config: unknown;
  kernel: PluginKernel;
  /** The runtime's data directory; undefined = a folder under the system temp directory. */
  dataDir?: string | undefined;
  /** The plugin's `{ plugin: <name> }` logger. */
  log: Logger;
  /** A timer callback, state watcher or task of the plugin failed (it is logged here; the manager counts it). */
  onError(source: ScopeErrorSource, err: unknown): void;
  /** The plugin reported its integration status (`ctx.integration.setStatus`). */
  onStatus(status: PluginStatus, reason: string | undefined): void;
}

/** One load of a plugin: its context and everything registered through it. */
export interface PluginScope {
  readonly context: PluginContext<unknown>;
  /** Full names of the services registered through this context. */
  readonly services: ReadonlySet<string>;
  /** Cancels the plugin's timers (on stop, before `onStop` runs); the context stays usable. */
  clearTimers(): void;
  /** Aborts `ctx.signal` (stop, unload or failure); tasks are told to end. */
  abort(reason: unknown): void;
  /** Waits up to `timeoutMs` for the plugin's tasks to end; returns the names still running. */
  settleTasks(timeoutMs: number): Promise<string[]>;
  /** Closes the hardware the plugin opened (GPIO lines…); failures are logged. Run after `dispose`. */
  releaseHardware(): Promise<void>;
  /**
   * Removes everything registered through the context (services, subscriptions, watchers, endpoints,
   * timers); from then on every call through the context throws PLUGIN_STATE_CONFLICT. Idempotent.
   */
  dispose(): void;
}

const VERSIONED = /^v[1-9][0-9]*$/;

/**
 * `<plugin>.<action>` for an action, `v<N>.<plugin>.<action>` for `v<N>.<action>`; undefined when
 * `action` is not in one of those two forms (a full service name, or nonsense).
 */
export function qualify(plugin: string, action: string): string | undefined {
  const parts = action.split(".");
  if (parts.length === 1) return `${plugin}.${action}`;
  if (parts.length === 2 && VERSIONED.test(parts[0] as string)) return `${parts[0]}.${plugin}.${parts[1]}`;
  return undefined;
}

/** The owner segment of a full service name (`owner.action`, `v<N>.owner.action`). */
function ownerOf(service: string): string | undefined {
  const parts = service.split(".");
  if (parts.length === 2) return parts[0];
  if (parts.length === 3 && VERSIONED.test(parts[0] as string)) return parts[1];
  return undefined;
}

const errorHelpers: PluginErrors = Object.freeze({
  create(code: ErrorCode, message: string, data?: unknown): HearthError {
    if (!Object.hasOwn(ERROR_CODES, code)) {
      throw new HearthError("INVALID_ARGUMENT", `Unknown error code ${JSON.stringify(code)}`, {
        data: { code: String(code) },
      });
    }
    return new HearthError(code, message, data === undefined ? {} : { data });
  },
  is: (err: unknown, code?: ErrorCode): err is HearthError => isHearthError(err, code),
});

/** Builds the scoped context of one load of a plugin. */
export function createPluginScope(options: ScopeOptions): PluginScope {
  const { name: plugin, kernel, log } = options;
  const life = new ScopeLife(plugin, log, options.onError);
  const services = new Set<string>();
  const subscriptions = new Set<Unsubscribe>();
  const watchers = new Set<Unwatch>();
  const timers = scopedTimers(life);
  const tasks = scopedTasks(life);
  const hardware = scopedHardware(life, kernel.hardware, log);
  const live = () => life.live();

  const context: PluginContext<unknown> = Object.freeze({
    name: plugin,
    version: options.version,
    config: options.config,
    log,
    z,
    errors: errorHelpers,
    get dataDir() {
      life.live();
      return pluginDataDir(options.dataDir, plugin);
    },
    get signal() {
      return life.signal;
    },
    task: tasks.task,
    integration: Object.freeze({
      setStatus(status: PluginStatus, reason?: string) {
        live();
        if (status !== "ok" && status !== "degraded" && status !== "error") {
          throw new HearthError("INVALID_ARGUMENT", `Status must be "ok", "degraded" or "error"`, {
            data: { plugin, status: String(status) },
          });
        }
        if (reason !== undefined && typeof reason !== "string") {
          throw new HearthError("INVALID_ARGUMENT", "The reason must be a string", { data: { plugin } });
        }
        options.onStatus(status, reason?.slice(0, MAX_REASON_CHARS));
      },
    }),
    services: scopedServices(life, kernel, services),
    events: scopedEvents(life, kernel, subscriptions),
    state: scopedState(life, kernel, watchers),
    storage: scopedStorage(kernel.storage, plugin, live),
    http: scopedHttp(life, kernel),
    hardware: hardware.api,
    ...timers.api,
  } satisfies PluginContext<unknown>);

  const dispose = (): void => {
    if (life.disposed) return;
    life.abort(unloaded(plugin));
    life.dispose();
    timers.clear();
    const steps: [string, () => void][] = [
      ["services", () => void kernel.services.unregisterOwner(plugin)],
      ["subscriptions", () => each(subscriptions)],
      ["watchers", () => each(watchers)],
      ["endpoints", () => void kernel.http.unregisterOwner(plugin)],
    ];
    for (const [what, step] of steps) {
      try {
        step();
      } catch (err) {
        log.error({ err: errorMessage(err) }, `removing the plugin's ${what} failed`);
      }
    }
  };

  return {
    context,
    services,
    clearTimers: timers.clear,
    abort: (reason) => life.abort(reason),
    settleTasks: (timeoutMs) => tasks.settle(timeoutMs),
    releaseHardware: () => hardware.release(),
    dispose,
  };
}

/** `<dataDir>/plugin-data/<plugin>`, created (mode 0700) on first use. */
function pluginDataDir(dataDir: string | undefined, plugin: string): string {
  const dir = join(dataDir ?? join(tmpdir(), "hearth"), "plugin-data", plugin);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return dir;
}

/** Longest status reason kept (it is shown in the API and health). */
const MAX_REASON_CHARS = 500;

function unloaded(plugin: string): HearthError {
  return new HearthError("PLUGIN_STATE_CONFLICT", `Plugin "${plugin}" is stopping`, { data: { plugin } });
}

function scopedServices(
  life: ScopeLife,
  kernel: PluginKernel,
  names: Set<string>,
): PluginContext["services"] {
  const { plugin } = life;
  return Object.freeze({
    register(action, handler, registerOptions) {
      life.live();
      const name = typeof action === "string" ? qualify(plugin, action) : undefined;
      if (name === undefined) {
        throw life.forbidden(
          `registers services by action ("ping" or "v2.ping"), not ${JSON.stringify(action)}: the "${plugin}." prefix is added for it`,
          { action: String(action) },
        );
      }
      kernel.services.register(name, handler, { ...registerOptions, owner: plugin });
      names.add(name);
    },
    async call(name, params, callOptions) {
      life.live();
      // A plugin calls as itself: it cannot borrow an API caller's identity.
      const timeoutMs = callOptions?.timeoutMs;
      return kernel.services.call(
        name,
        params,
        timeoutMs === undefined ? { caller: plugin } : { timeoutMs, caller: plugin },
      );
    },
    has(name) {
      life.live();
      return kernel.services.has(name);
    },
  } satisfies PluginContext["services"]);
}

function scopedEvents(
  life: ScopeLife,
  kernel: PluginKernel,
  subscriptions: Set<Unsubscribe>,
): PluginContext["events"] {
  const assertEventType = (type: string): void => {
    life.live();
    if (typeof type === "string" && type.startsWith("$")) {
      throw life.forbidden(`may not publish kernel event "${type}" ($-prefixed types are reserved)`, {
        type,
      });
    }
    // `device.state_changed` and the like are the domain modules' word: a plugin reports through
    // their services, it never speaks for them on the bus.
    const domain = typeof type === "string" ? type.split(".")[0] : undefined;
    const holder = domain === undefined ? undefined : reservedBy(domain);
    if (holder !== undefined && holder !== life.plugin) {
      throw life.forbidden(`may not publish "${type}": events of "${domain}" are published by ${holder}`, {
        type,
      });
    }
  };
  return Object.freeze({
    publish(type, payload) {
      assertEventType(type);
      return kernel.bus.publish(type, payload);
    },
    publishOrdered(type, payload) {
      assertEventType(type);
      return kernel.bus.publishOrdered(type, payload);
    },
    subscribe(pattern, handler, subscribeOptions) {
      life.live();
      const off = kernel.bus.subscribe(pattern, handler, { ...subscribeOptions, owner: life.plugin });
      const unsubscribe = (): void => {
        subscriptions.delete(unsubscribe);
        off();
      };
      subscriptions.add(unsubscribe);
      return unsubscribe;
    },
  } satisfies PluginContext["events"]);
}

function scopedState(life: ScopeLife, kernel: PluginKernel, watchers: Set<Unwatch>): PluginContext["state"] {
  const assertOwnKey = (key: string): void => {
    life.live();
    if (typeof key !== "string" || !key.startsWith(`${life.plugin}/`)) {
      throw life.forbidden(`may write only state keys under "${life.plugin}/", not ${JSON.stringify(key)}`, {
        key: String(key),
      });
    }
  };
  return Object.freeze({
    get(key) {
      life.live();
      return kernel.state.get(key);
    },
    has(key) {
      life.live();
      return kernel.state.has(key);
    },
    keys(pattern) {
      life.live();
      return kernel.state.keys(pattern);
    },
    watch(pattern, watcher) {
      life.live();
      const off = kernel.state.watch(pattern, life.guarded(watcher, "watcher"));
      const unwatch = (): void => {
        watchers.delete(unwatch);
        off();
      };
      watchers.add(unwatch);
      return unwatch;
    },
    set(key, value, setOptions) {
      assertOwnKey(key);
      kernel.state.set(key, value, setOptions);
    },
    delete(key) {
      assertOwnKey(key);
      return kernel.state.delete(key);
    },
  } satisfies PluginContext["state"]);
}

function scopedHttp(life: ScopeLife, kernel: PluginKernel): PluginContext["http"] {
  const { plugin } = life;
  return Object.freeze({
    register(endpoint) {
      life.live();
      const service = typeof endpoint?.service === "string" ? endpoint.service : "";
      const full = qualify(plugin, service) ?? service;
      if (ownerOf(full) !== plugin) {
        throw life.forbidden(`may expose only its own services over HTTP, not ${JSON.stringify(service)}`, {
          service,
        });
      }
      if (
        (endpoint as { base?: unknown }).base !== undefined &&
        (endpoint as { base?: unknown }).base !== plugin
      ) {
        throw life.forbidden("serves routes only under its own name", {
          base: String((endpoint as { base?: unknown }).base),
        });
      }
      kernel.http.register(plugin, { ...endpoint, service: full });
    },
  });
}

function each(fns: Set<() => void>): void {
  for (const fn of [...fns]) fn();
  fns.clear();
}
