import { errorMessage, HearthError } from "../../errors.ts";
import type { Logger } from "../log/types.ts";

/** What a scope's callbacks may report as failing (timers, watchers, tasks). */
export type ScopeErrorSource = "timer" | "watcher" | "task";

/**
 * The life of one load of a plugin, shared by the parts of its context: whether it is disposed,
 * its abort signal, and the guard that keeps a throwing callback from becoming an uncaught error.
 */
export class ScopeLife {
  readonly plugin: string;
  readonly #log: Logger;
  readonly #onError: (source: ScopeErrorSource, err: unknown) => void;
  readonly #controller = new AbortController();
  #disposed = false;

  constructor(plugin: string, log: Logger, onError: (source: ScopeErrorSource, err: unknown) => void) {
    this.plugin = plugin;
    this.#log = log;
    this.#onError = onError;
  }

  /** Aborted when the plugin stops, fails or unloads. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  abort(reason: unknown): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  dispose(): void {
    this.#disposed = true;
  }

  /** Throws PLUGIN_STATE_CONFLICT once the load is over: the context can no longer be used. */
  live(): void {
    if (this.#disposed) {
      throw new HearthError(
        "PLUGIN_STATE_CONFLICT",
        `Plugin "${this.plugin}" is unloaded: this context can no longer be used`,
        { data: { plugin: this.plugin } },
      );
    }
  }

  forbidden(message: string, data: Record<string, unknown>): HearthError {
    return new HearthError("PLUGIN_FORBIDDEN", `Plugin "${this.plugin}" ${message}`, {
      data: { plugin: this.plugin, ...data },
    });
  }

  /** Logs and counts a failure of one of the plugin's callbacks. */
  report(source: ScopeErrorSource, err: unknown, fields: Record<string, unknown> = {}): void {
    this.#log.error(
      { err: errorMessage(err), source, ...fields },
      source === "task" ? "plugin task failed" : `plugin ${source} callback failed`,
    );
    this.#onError(source, err);
  }

  /** `fn` as a callback run outside any handler the kernel guards: a throw or rejection is reported. */
  guarded<A extends unknown[]>(fn: (...args: A) => unknown, source: ScopeErrorSource): (...args: A) => void {
    return (...args: A): void => {
      try {
        const out = fn(...args);
        if (out instanceof Promise) out.catch((err: unknown) => this.report(source, err));
      } catch (err) {
        this.report(source, err);
      }
    };
  }
}
