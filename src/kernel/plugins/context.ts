import { z } from "zod";
import { ERROR_CODES, type ErrorCode, errorMessage, HearthError, isHearthError } from "../../errors.ts";
import type { PluginContext, PluginErrors } from "../../sdk/types.ts";
import type { Unsubscribe } from "../bus/types.ts";
import type { Logger } from "../log/types.ts";
import type { Unwatch } from "../state/types.ts";
import { scopedStorage } from "./scoped-storage.ts";
import type { PluginKernel } from "./types.ts";

export interface ScopeOptions {
  name: string;
  version: string;
  config: unknown;
  kernel: PluginKernel;
  /** The plugin's `{ plugin: <name> }` logger. */
  log: Logger;
  /** A timer callback or state watcher of the plugin threw (it is logged here; the manager counts it). */
  onError(source: "timer" | "watcher", err: unknown): void;
}

/** One load of a plugin: its context and everything registered through it. */
export interface PluginScope {
  readonly context: PluginContext<unknown>;
  /** Full names of the services registered through this context. */
  readonly services: ReadonlySet<string>;
  /** Cancels the plugin's timers (on stop, before `onStop` runs); the context stays usable. */
  clearTimers(): void;
  /**
   * Removes everything registered through the context (services, subscriptions, watchers, endpoints,
   * timers); from then on every call through the context throws PLUGIN_STATE_CONFLICT. Idempotent.
   */
  dispose(): void;
}

type TimerHandle = ReturnType<typeof setTimeout>;

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
  let disposed = false;
  const services = new Set<string>();
  const subscriptions = new Set<Unsubscribe>();
  const watchers = new Set<Unwatch>();
  const timers = new Map<TimerHandle, "timeout" | "interval">();

  const live = (): void => {
    if (disposed) {
      throw new HearthError(
        "PLUGIN_STATE_CONFLICT",
        `Plugin "${plugin}" is unloaded: this context can no longer be used`,
        { data: { plugin } },
      );
    }
  };
  const forbidden = (message: string, data: Record<string, unknown>): HearthError =>
    new HearthError("PLUGIN_FORBIDDEN", `Plugin "${plugin}" ${message}`, { data: { plugin, ...data } });
  const assertEventType = (type: string): void => {
    live();
    if (typeof type === "string" && type.startsWith("$")) {
      throw forbidden(`may not publish kernel event "${type}" ($-prefixed types are reserved)`, { type });
    }
  };
  const assertOwnKey = (key: string): void => {
    live();
    if (typeof key !== "string" || !key.startsWith(`${plugin}/`)) {
      throw forbidden(`may write only state keys under "${plugin}/", not ${JSON.stringify(key)}`, {
        key: String(key),
      });
    }
  };

  // Timer callbacks run outside any handler the kernel guards: catch here, or a throw would be uncaught.
  const guarded = <A extends unknown[]>(fn: (...args: A) => unknown, source: "timer" | "watcher") => {
    const report = (err: unknown): void => {
      log.error({ err: errorMessage(err), source }, `plugin ${source} callback failed`);
      options.onError(source, err);
    };
    return (...args: A): void => {
      try {
        const out = fn(...args);
        if (out instanceof Promise) out.catch(report);
      } catch (err) {
        report(err);
      }
    };
  };

  const clearTimers = (): void => {
    for (const [handle, kind] of timers) {
      if (kind === "timeout") clearTimeout(handle);
      else clearInterval(handle);
    }
    timers.clear();
  };

  const context: PluginContext<unknown> = Object.freeze({
    name: plugin,
    version: options.version,
    config: options.config,
    log,
    z,
    errors: errorHelpers,
    services: Object.freeze({
      register(action, handler, registerOptions) {
        live();
        const name = typeof action === "string" ? qualify(plugin, action) : undefined;
        if (name === undefined) {
          throw forbidden(
            `registers services by action ("ping" or "v2.ping"), not ${JSON.stringify(action)}: the "${plugin}." prefix is added for it`,
            { action: String(action) },
          );
        }
        kernel.services.register(name, handler, { ...registerOptions, owner: plugin });
        services.add(name);
      },
      async call(name, params, callOptions) {
        live();
        return kernel.services.call(name, params, { ...callOptions, caller: plugin });
      },
      has(name) {
        live();
        return kernel.services.has(name);
      },
    } satisfies PluginContext["services"]),
    events: Object.freeze({
      publish(type, payload) {
        assertEventType(type);
        return kernel.bus.publish(type, payload);
      },
      publishOrdered(type, payload) {
        assertEventType(type);
        return kernel.bus.publishOrdered(type, payload);
      },
      subscribe(pattern, handler, subscribeOptions) {
        live();
        const off = kernel.bus.subscribe(pattern, handler, { ...subscribeOptions, owner: plugin });
        const unsubscribe = (): void => {
          subscriptions.delete(unsubscribe);
          off();
        };
        subscriptions.add(unsubscribe);
        return unsubscribe;
      },
    } satisfies PluginContext["events"]),
    state: Object.freeze({
      get(key) {
        live();
        return kernel.state.get(key);
      },
      has(key) {
        live();
        return kernel.state.has(key);
      },
      keys(pattern) {
        live();
        return kernel.state.keys(pattern);
      },
      watch(pattern, watcher) {
        live();
        const off = kernel.state.watch(pattern, guarded(watcher, "watcher"));
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
    } satisfies PluginContext["state"]),
    storage: scopedStorage(kernel.storage, plugin, live),
    http: Object.freeze({
      register(endpoint) {
        live();
        const service = typeof endpoint?.service === "string" ? endpoint.service : "";
        const full = qualify(plugin, service) ?? service;
        if (ownerOf(full) !== plugin) {
          throw forbidden(`may expose only its own services over HTTP, not ${JSON.stringify(service)}`, {
            service,
          });
        }
        kernel.http.register(plugin, { ...endpoint, service: full });
      },
    }),
    setTimeout(fn, ms) {
      live();
      const run = guarded(fn, "timer");
      const handle = setTimeout(() => {
        timers.delete(handle);
        run();
      }, ms);
      timers.set(handle, "timeout");
      return handle;
    },
    setInterval(fn, ms) {
      live();
      const handle = setInterval(guarded(fn, "timer"), ms);
      timers.set(handle, "interval");
      return handle;
    },
    clearTimeout(handle) {
      // Only the plugin's own timers: a handle from elsewhere is none of its business.
      if (handle !== undefined && timers.delete(handle)) clearTimeout(handle);
    },
    clearInterval(handle) {
      if (handle !== undefined && timers.delete(handle)) clearInterval(handle);
    },
  } satisfies PluginContext<unknown>);

  const dispose = (): void => {
    if (disposed) return;
    disposed = true;
    clearTimers();
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

  return { context, services, clearTimers, dispose };
}

function each(fns: Set<() => void>): void {
  for (const fn of [...fns]) fn();
  fns.clear();
}
