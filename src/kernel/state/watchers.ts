import { HearthError } from "../../errors.ts";
import type { Logger } from "../log/index.ts";
import { compilePattern, type KeyMatcher, matchAll } from "./keys.ts";
import type { StateChange, StateWatcher, Unwatch } from "./types.ts";

interface Watch {
  readonly pattern: string;
  readonly matches: KeyMatcher;
  readonly fn: StateWatcher;
  active: boolean;
}

/**
 * The watchers of one engine. The list is copy-on-write, so a watcher that unwatches (itself or
 * another) during a notification never disturbs the loop that is calling them.
 */
export class Watchers {
  #list: readonly Watch[] = [];
  readonly #log: Logger;

  constructor(log: Logger) {
    this.#log = log;
  }

  get size(): number {
    return this.#list.length;
  }

  add(pattern: string, fn: StateWatcher): Unwatch {
    if (typeof pattern !== "string")
      throw new HearthError("STATE_INVALID_KEY", "watch() needs a key pattern");
    const matches = compilePattern(pattern);
    if (typeof fn !== "function") throw new HearthError("INVALID_ARGUMENT", "watch() needs a function");
    const watch: Watch = { pattern, matches, fn, active: true };
    this.#list = [...this.#list, watch];
    return () => {
      if (!watch.active) return;
      watch.active = false;
      this.#list = this.#list.filter((w) => w !== watch);
    };
  }

  notify(change: StateChange): void {
    const list = this.#list;
    for (let i = 0; i < list.length; i++) {
      const w = list[i] as Watch;
      if (!w.active || (w.matches !== matchAll && !w.matches(change.key))) continue;
      try {
        const result: unknown = w.fn(change);
        // The type says void, but an async watcher's rejection must not become an unhandled one.
        if (result instanceof Promise) result.catch((err: unknown) => this.#failed(err, w, change));
      } catch (err) {
        this.#failed(err, w, change);
      }
    }
  }

  #failed(err: unknown, w: Watch, change: StateChange): void {
    this.#log.error(
      { err, key: change.key, pattern: w.pattern, reason: change.reason },
      "state watcher threw",
    );
  }
}
