import type { Logger } from "../log/index.ts";

export type StateChangeReason = "set" | "deleted" | "expired";

export interface StateChange<T = unknown> {
  key: string;
  old: T | undefined;
  new: T | undefined;
  reason: StateChangeReason;
}

export type StateWatcher = (change: StateChange) => void;
export type Unwatch = () => void;

export interface StateSetOptions {
  /** The key disappears after this many ms (watchers get `reason: "expired"`). */
  ttlMs?: number;
}

export interface StateStats {
  keys: number;
  /** Approximate: length of each value's JSON plus its key. */
  approxBytes: number;
  watchers: number;
  keysWithTtl: number;
}

/**
 * In-memory, synchronous key/value state. Values are JSON data; the engine keeps a frozen deep copy,
 * so nothing handed out can change what is stored.
 * Keys: 1–512 chars of `[A-Za-z0-9_.:@/-]`. Patterns: `*` matches within one `/` segment, `**` any run.
 */
export interface StateEngine {
  get<T = unknown>(key: string): T | undefined;
  set(key: string, value: unknown, options?: StateSetOptions): void;
  delete(key: string): boolean;
  has(key: string): boolean;
  keys(pattern?: string): string[];
  /** Watchers run synchronously after the change; a throwing watcher is logged and never affects others. */
  watch(pattern: string, watcher: StateWatcher): Unwatch;
  stats(): StateStats;
  /** Clears timers; the engine stays readable. */
  close(): void;
}

/** The timer functions the engine uses; injectable so tests can count pending timers. */
export interface StateTimers {
  setTimeout(fn: () => void, ms: number): StateTimerHandle;
  clearTimeout(handle: StateTimerHandle): void;
}

/** Whatever `setTimeout` returns; `unref` is called when present so a TTL never keeps the process alive. */
export interface StateTimerHandle {
  unref?(): unknown;
}

export interface StateEngineOptions {
  /** Defaults to a silent logger. */
  logger?: Logger;
  /** Clock for TTL deadlines, in ms; defaults to `performance.now()` (monotonic, unlike `Date.now()`). */
  now?: () => number;
  /** Defaults to the global `setTimeout`/`clearTimeout`. */
  timers?: StateTimers;
}
