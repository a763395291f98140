import { HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { ExpiryQueue } from "./expiry-queue.ts";
import { assertKey, compilePattern, matchAll } from "./keys.ts";
import type {
  StateChangeReason,
  StateEngine,
  StateEngineOptions,
  StateSetOptions,
  StateStats,
  StateTimers,
  StateWatcher,
  Unwatch,
} from "./types.ts";
import { freezeCopy } from "./values.ts";
import { Watchers } from "./watchers.ts";

const NO_DEADLINE = Number.POSITIVE_INFINITY;
// Below this the heap's stale items are not worth a pass.
const COMPACT_MIN = 1024;

/** One stored key. Replaced, never mutated, on every set: its identity is its generation. */
interface Entry {
  readonly key: string;
  readonly value: unknown;
  /** Key length plus the value's JSON length. */
  readonly bytes: number;
  readonly deadline: number;
}

const defaultTimers: StateTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

function readTtl(options: StateSetOptions | undefined): number | undefined {
  if (options === undefined) return undefined;
  if (typeof options !== "object" || options === null) {
    throw new HearthError("INVALID_ARGUMENT", "set() options must be an object");
  }
  const ttl: unknown = options.ttlMs;
  if (ttl === undefined) return undefined;
  if (typeof ttl !== "number" || !Number.isFinite(ttl) || ttl <= 0) {
    throw new HearthError("INVALID_ARGUMENT", "ttlMs must be a positive finite number of milliseconds", {
      data: { ttlMs: typeof ttl === "number" ? String(ttl) : typeof ttl },
    });
  }
  return ttl;
}

class MemoryStateEngine implements StateEngine {
  readonly #store = new Map<string, Entry>();
  readonly #watchers: Watchers;
  readonly #queue: ExpiryQueue<Entry>;
  readonly #now: () => number;
  readonly #log: Logger;
  #bytes = 0;
  #withTtl = 0;
  #closed = false;

  constructor(options: StateEngineOptions) {
    this.#log = (options.logger ?? silentLogger()).child({ component: "state" });
    // Monotonic by default: a Pi without an RTC jumps its wall clock when NTP syncs.
    this.#now = options.now ?? (() => performance.now());
    this.#watchers = new Watchers(this.#log);
    this.#queue = new ExpiryQueue(options.timers ?? defaultTimers, this.#now, () => this.#collectDue());
  }

  get<T = unknown>(key: string): T | undefined {
    const entry = this.#store.get(key);
    if (entry === undefined) {
      // Only valid keys are ever stored, so a hit needs no validation.
      assertKey(key);
      return undefined;
    }
    if (this.#expiredOnRead(entry)) return undefined;
    return entry.value as T;
  }

  has(key: string): boolean {
    const entry = this.#store.get(key);
    if (entry === undefined) {
      assertKey(key);
      return false;
    }
    return !this.#expiredOnRead(entry);
  }

  set(key: string, value: unknown, options?: StateSetOptions): void {
    let prev = this.#store.get(key);
    if (prev === undefined) assertKey(key);
    const ttl = readTtl(options);
    const frozen = freezeCopy(key, value);
    // Re-read: a getter inside `value` is user code and may have changed the store.
    prev = this.#store.get(key);
    if (prev !== undefined && this.#expiredOnRead(prev)) prev = this.#store.get(key);
    const entry: Entry = {
      key,
      value: frozen.value,
      bytes: key.length + frozen.jsonLength,
      deadline: ttl === undefined ? NO_DEADLINE : this.#now() + ttl,
    };
    this.#store.set(key, entry);
    this.#bytes += entry.bytes;
    if (prev !== undefined) {
      this.#bytes -= prev.bytes;
      if (prev.deadline !== NO_DEADLINE) this.#withTtl--;
    }
    if (ttl !== undefined) {
      this.#withTtl++;
      this.#schedule(entry);
    }
    this.#notify(key, prev?.value, entry.value, "set");
  }

  delete(key: string): boolean {
    const entry = this.#store.get(key);
    if (entry === undefined) {
      assertKey(key);
      return false;
    }
    if (this.#expiredOnRead(entry)) return false;
    this.#remove(entry);
    this.#notify(key, entry.value, undefined, "deleted");
    return true;
  }

  keys(pattern?: string): string[] {
    const matches = compilePattern(pattern);
    this.#collectDue();
    const out: string[] = [];
    for (const key of this.#store.keys()) {
      if (matches === matchAll || matches(key)) out.push(key);
    }
    return out.sort();
  }

  watch(pattern: string, watcher: StateWatcher): Unwatch {
    return this.#watchers.add(pattern, watcher);
  }

  stats(): StateStats {
    this.#collectDue();
    return {
      keys: this.#store.size,
      approxBytes: this.#bytes,
      watchers: this.#watchers.size,
      keysWithTtl: this.#withTtl,
    };
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#queue.close();
    this.#log.debug({ keys: this.#store.size }, "state engine closed");
  }

  /** Expires `entry` now (once) if its deadline has passed before the timer got to it. */
  #expiredOnRead(entry: Entry): boolean {
    if (entry.deadline === NO_DEADLINE || this.#closed || entry.deadline > this.#now()) return false;
    this.#expire(entry);
    return true;
  }

  #schedule(entry: Entry): void {
    if (this.#closed) return;
    const queue = this.#queue;
    queue.add(entry);
    // Overwritten and deleted keys leave stale items behind; drop them once they are the majority.
    if (queue.size > COMPACT_MIN && queue.size > 2 * this.#withTtl) {
      queue.retain((e) => this.#store.get(e.key) === e);
    }
  }

  #collectDue(): void {
    if (this.#closed || this.#queue.size === 0) return;
    const now = this.#now();
    for (let e = this.#queue.popDue(now); e !== undefined; e = this.#queue.popDue(now)) {
      // A popped item that is no longer the stored entry was overwritten or deleted: skip it.
      if (this.#store.get(e.key) === e) this.#expire(e);
    }
  }

  #expire(entry: Entry): void {
    this.#remove(entry);
    this.#notify(entry.key, entry.value, undefined, "expired");
  }

  #remove(entry: Entry): void {
    this.#store.delete(entry.key);
    this.#bytes -= entry.bytes;
    if (entry.deadline !== NO_DEADLINE) this.#withTtl--;
  }

  #notify(key: string, old: unknown, value: unknown, reason: StateChangeReason): void {
    if (this.#watchers.size === 0) return;
    // Frozen: every watcher gets the same object, and one must not be able to alter it for the next.
    this.#watchers.notify(Object.freeze({ key, old, new: value, reason }));
  }
}

/**
 * Creates an in-memory state engine: JSON values stored as frozen deep copies, optional TTLs behind
 * a single unref'd timer, and synchronous watchers.
 *
 * A `set` always notifies watchers, even when the new value deep-equals the old one: comparing would
 * cost a walk of both values on every write and make "did my watcher fire?" depend on the data.
 * Expired keys are collected by the timer or, if read first, on that read; either way their watchers
 * see exactly one `reason: "expired"` change. After `close()` nothing expires any more.
 *
 * @example
 * const state = createStateEngine();
 * const unwatch = state.watch("light/*", (c) => log.info(c, "light changed"));
 * state.set("light/kitchen", { on: true }, { ttlMs: 60_000 });
 * state.get<{ on: boolean }>("light/kitchen")?.on; // true
 */
export function createStateEngine(options: StateEngineOptions = {}): StateEngine {
  return new MemoryStateEngine(options);
}
