import { errorMessage, HearthError } from "../../errors.ts";
import type { Logger } from "../log/index.ts";
import type { Backend } from "./backend.ts";
import { PendingWrites } from "./pending.ts";
import { isAfter, matchesWhere, normalizeQuery } from "./query.ts";
import { Scopes } from "./scopes.ts";
import type { PendingUndo, Scope } from "./tx-lock.ts";
import type {
  JsonObject,
  QueryOptions,
  Storage,
  StorageEntry,
  StorageOps,
  StorageSetOptions,
  StorageStats,
} from "./types.ts";
import {
  checkKey,
  checkKeyList,
  checkNamespace,
  checkPrefix,
  serializeEntries,
  serializeValue,
} from "./validate.ts";

export const DEFAULT_FLUSH_INTERVAL_MS = 5000;

export interface EngineOptions {
  maxValueBytes: number;
  flushIntervalMs: number;
  /** Already the storage child logger. */
  log: Logger;
}

/**
 * The Storage contract over any Backend: validation, the deferred-write overlay and statistics here,
 * transaction scoping and waiting in Scopes.
 */
export class StorageEngine implements Storage {
  readonly kind: "sqlite" | "memory";
  readonly #backend: Backend;
  readonly #log: Logger;
  readonly #maxValueBytes: number;
  readonly #flushIntervalMs: number;
  readonly #scopes: Scopes;
  readonly #pending = new PendingWrites();
  #flushTimer: ReturnType<typeof setTimeout> | undefined;
  #closed: Promise<void> | undefined;
  readonly #counters = {
    reads: 0,
    writes: 0,
    transactions: 0,
    rollbacks: 0,
    deferredFlushes: 0,
    operations: 0,
    operationSeconds: 0,
  };

  constructor(backend: Backend, options: EngineOptions) {
    this.kind = backend.kind;
    this.#backend = backend;
    this.#log = options.log;
    this.#maxValueBytes = options.maxValueBytes;
    this.#flushIntervalMs = options.flushIntervalMs;
    this.#scopes = new Scopes({
      open: (parent, savepoint) => this.#open(parent, savepoint),
      commit: (parent, undo, savepoint) => this.#commit(parent, undo, savepoint),
      rollback: (parent, undo, savepoint) => this.#rollback(parent, undo, savepoint),
      checkLive: (scope) => this.#checkLive(scope),
    });
  }

  get<T extends JsonObject = JsonObject>(namespace: string, key: string): Promise<T | undefined> {
    return this.#get<T>(undefined, namespace, key);
  }
  set(namespace: string, key: string, value: JsonObject, options?: StorageSetOptions): Promise<void> {
    return this.#set(undefined, namespace, key, value, options);
  }
  delete(namespace: string, key: string): Promise<boolean> {
    return this.#delete(undefined, namespace, key);
  }
  has(namespace: string, key: string): Promise<boolean> {
    return this.#has(undefined, namespace, key);
  }
  listKeys(namespace: string, prefix?: string): Promise<string[]> {
    return this.#listKeys(undefined, namespace, prefix);
  }
  batchGet<T extends JsonObject = JsonObject>(namespace: string, keys: string[]): Promise<Map<string, T>> {
    return this.#batchGet<T>(undefined, namespace, keys);
  }
  batchSet(namespace: string, entries: StorageEntry[] | Record<string, JsonObject>): Promise<void> {
    return this.#batchSet(undefined, namespace, entries);
  }
  batchDelete(namespace: string, keys: string[]): Promise<number> {
    return this.#batchDelete(undefined, namespace, keys);
  }
  query<T extends JsonObject = JsonObject>(
    namespace: string,
    options?: QueryOptions,
  ): Promise<StorageEntry<T>[]> {
    return this.#query<T>(undefined, namespace, options);
  }
  namespaces(): Promise<{ namespace: string; keys: number }[]> {
    return this.#namespaces(undefined);
  }
  transaction<T>(fn: (tx: StorageOps) => Promise<T>): Promise<T> {
    return this.#transaction(undefined, fn);
  }

  async flush(): Promise<void> {
    await this.#scopes.exec(undefined, (scope) => this.#flushIn(scope));
  }

  async backup(path: string): Promise<void> {
    if (typeof path !== "string" || path === "") {
      throw new HearthError("INVALID_ARGUMENT", "backup() needs a file path");
    }
    await this.#scopes.exec(undefined, (scope) => {
      if (!scope.isRoot) {
        // VACUUM INTO cannot run inside a transaction, and waiting for ours would never end.
        throw new HearthError("STORAGE_BACKUP_FAILED", "backup() cannot run inside a transaction");
      }
      this.#flushIn(scope);
      this.#backend.backup(path);
    });
  }

  /**
   * Runs one synchronous storage operation in its scope, timing the work itself (not the wait for the
   * transaction lock), so operationSeconds / operations is the real per-operation latency.
   */
  #exec<T>(explicit: Scope | undefined, work: (scope: Scope) => T): Promise<T> {
    return this.#scopes.exec(explicit, (scope) => {
      const t0 = performance.now();
      try {
        return work(scope);
      } finally {
        this.#counters.operations++;
        this.#counters.operationSeconds += (performance.now() - t0) / 1000;
      }
    });
  }

  dataVersion(): number {
    if (this.#closed !== undefined) throw new HearthError("STORAGE_CLOSED", "The storage is closed");
    return this.#backend.dataVersion();
  }

  stats(): StorageStats {
    return {
      ...this.#counters,
      deferredPending: this.#pending.size,
      schemaVersion: this.#backend.schemaVersion,
    };
  }

  close(): Promise<void> {
    if (this.#closed !== undefined) return this.#closed;
    if (this.#scopes.innermost() !== undefined) {
      return Promise.reject(
        new HearthError("INVALID_ARGUMENT", "close() cannot be called from inside a transaction"),
      );
    }
    this.#scopes.closing = true;
    this.#closed = this.#shutdown();
    return this.#closed;
  }

  async #shutdown(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    // Callers accepted before close() are queued ahead of us and finish first.
    await this.#scopes.root.mutex.acquire();
    let failure: unknown;
    try {
      this.#flushIn(this.#scopes.root);
    } catch (err) {
      failure = err;
      this.#log.error(
        { err, lost: this.#pending.size },
        "storage: flushing deferred writes on close failed; they are lost",
      );
    }
    try {
      this.#backend.close();
    } catch (err) {
      failure ??= err;
      this.#log.error({ err }, "storage: closing the database failed");
    }
    this.#scopes.root.open = false;
    this.#scopes.root.mutex.release();
    this.#log.debug("storage: closed");
    if (failure !== undefined) throw failure;
  }

  // --- operations, each taking an explicit scope when called through a transaction handle ---

  async #get<T extends JsonObject>(
    explicit: Scope | undefined,
    namespace: string,
    key: string,
  ): Promise<T | undefined> {
    checkNamespace(namespace);
    checkKey(key);
    return this.#exec(explicit, () => {
      this.#counters.reads++;
      const json = this.#pending.get(namespace, key) ?? this.#backend.get(namespace, key);
      return json === undefined ? undefined : (JSON.parse(json) as T);
    });
  }

  async #set(
    explicit: Scope | undefined,
    namespace: string,
    key: string,
    value: JsonObject,
    options: StorageSetOptions | undefined,
  ): Promise<void> {
    checkNamespace(namespace);
    checkKey(key);
    const json = serializeValue(value, this.#maxValueBytes);
    const deferred = options?.deferred === true;
    return this.#exec(explicit, (scope) => {
      // Inside a transaction a deferred write is written with it: the transaction already batches it,
      // and a rollback must undo it like the rest.
      if (deferred && scope.isRoot) {
        this.#pending.set(namespace, key, json);
        this.#scheduleFlush();
        return;
      }
      this.#write(namespace, key, json, Date.now(), this.#undoOf(scope));
    });
  }

  async #delete(explicit: Scope | undefined, namespace: string, key: string): Promise<boolean> {
    checkNamespace(namespace);
    checkKey(key);
    return this.#exec(explicit, (scope) => this.#remove(namespace, key, this.#undoOf(scope)));
  }

  async #has(explicit: Scope | undefined, namespace: string, key: string): Promise<boolean> {
    checkNamespace(namespace);
    checkKey(key);
    return this.#exec(explicit, () => {
      this.#counters.reads++;
      return this.#pending.get(namespace, key) !== undefined || this.#backend.has(namespace, key);
    });
  }

  async #listKeys(
    explicit: Scope | undefined,
    namespace: string,
    prefix: string | undefined,
  ): Promise<string[]> {
    checkNamespace(namespace);
    const from = checkPrefix(prefix);
    return this.#exec(explicit, () => {
      this.#counters.reads++;
      const stored = this.#backend.keys(namespace, from);
      const pending = this.#pending.entries(namespace, from);
      if (pending.length === 0) return stored;
      const all = new Set(stored);
      for (const [key] of pending) all.add(key);
      return [...all].sort(compareKeys);
    });
  }

  async #batchGet<T extends JsonObject>(
    explicit: Scope | undefined,
    namespace: string,
    keys: string[],
  ): Promise<Map<string, T>> {
    checkNamespace(namespace);
    checkKeyList(keys);
    return this.#exec(explicit, () => {
      this.#counters.reads++;
      const out = new Map<string, T>();
      for (const key of keys) {
        const json = this.#pending.get(namespace, key) ?? this.#backend.get(namespace, key);
        if (json !== undefined) out.set(key, JSON.parse(json) as T);
      }
      return out;
    });
  }

  async #batchSet(
    explicit: Scope | undefined,
    namespace: string,
    entries: StorageEntry[] | Record<string, JsonObject>,
  ): Promise<void> {
    checkNamespace(namespace);
    const rows = serializeEntries(entries, this.#maxValueBytes);
    if (rows.length === 0) return;
    return this.#exec(explicit, (scope) =>
      this.#atomic(scope, (undo) => {
        const now = Date.now();
        for (const row of rows) this.#write(namespace, row.key, row.json, now, undo);
      }),
    );
  }

  async #batchDelete(explicit: Scope | undefined, namespace: string, keys: string[]): Promise<number> {
    checkNamespace(namespace);
    checkKeyList(keys);
    if (keys.length === 0) return 0;
    return this.#exec(explicit, (scope) =>
      this.#atomic(scope, (undo) => {
        let existed = 0;
        for (const key of keys) if (this.#remove(namespace, key, undo)) existed++;
        return existed;
      }),
    );
  }

  async #query<T extends JsonObject>(
    explicit: Scope | undefined,
    namespace: string,
    options: QueryOptions | undefined,
  ): Promise<StorageEntry<T>[]> {
    checkNamespace(namespace);
    const query = normalizeQuery(options);
    return this.#exec(explicit, () => {
      this.#counters.reads++;
      const pending = this.#pending
        .entries(namespace, query.prefix)
        .filter(([key]) => isAfter(key, query.after));
      if (pending.length === 0) {
        return this.#backend
          .query(namespace, query, query.limit)
          .map((row) => ({ key: row.key, value: JSON.parse(row.json) as T }));
      }
      // A pending write hides its stored row, so fetch that many more rows than the limit, drop the
      // hidden ones, and filter the pending documents with the same rules as the SQL.
      const hidden = new Set(pending.map(([key]) => key));
      const extra = query.limit === undefined ? undefined : query.limit + pending.length;
      const merged: StorageEntry<T>[] = [];
      for (const row of this.#backend.query(namespace, query, extra)) {
        if (!hidden.has(row.key)) merged.push({ key: row.key, value: JSON.parse(row.json) as T });
      }
      for (const [key, json] of pending) {
        const value = JSON.parse(json) as T;
        if (matchesWhere(value, query.where)) merged.push({ key, value });
      }
      merged.sort((a, b) => compareKeys(a.key, b.key));
      return query.limit === undefined ? merged : merged.slice(0, query.limit);
    });
  }

  async #namespaces(explicit: Scope | undefined): Promise<{ namespace: string; keys: number }[]> {
    return this.#exec(explicit, () => {
      this.#counters.reads++;
      const counts = new Map(this.#backend.counts().map((c) => [c.namespace, c.keys]));
      for (const [namespace, docs] of this.#pending.namespaces()) {
        let added = 0;
        for (const key of docs.keys()) if (!this.#backend.has(namespace, key)) added++;
        if (added > 0) counts.set(namespace, (counts.get(namespace) ?? 0) + added);
      }
      return [...counts]
        .map(([namespace, keys]) => ({ namespace, keys }))
        .sort((a, b) => compareKeys(a.namespace, b.namespace));
    });
  }

  async #transaction<T>(explicit: Scope | undefined, fn: (tx: StorageOps) => Promise<T>): Promise<T> {
    if (typeof fn !== "function") {
      throw new HearthError("INVALID_ARGUMENT", "transaction() takes an async function");
    }
    return this.#scopes.transaction(explicit, (scope) => fn(this.#opsFor(scope)));
  }

  // --- mechanics ---

  /**
   * SQLite ends a transaction by itself on some errors (disk full, I/O). A callback that caught such
   * an error and went on would otherwise write in autocommit mode, outside any transaction.
   */
  #checkLive(scope: Scope): void {
    if (!scope.isRoot && !this.#backend.inTransaction) {
      throw new HearthError(
        "STORAGE_TX_ABORTED",
        "The database rolled this transaction back after an earlier error (disk full or I/O); nothing in it was written",
      );
    }
  }

  #open(parent: Scope, savepoint: string): void {
    if (parent.isRoot) {
      this.#backend.begin();
      this.#counters.transactions++;
    } else this.#backend.savepoint(savepoint);
  }

  #commit(parent: Scope, undo: PendingUndo[], savepoint: string): void {
    if (parent.isRoot) this.#backend.commit();
    else {
      this.#backend.release(savepoint);
      parent.undo.push(...undo);
    }
  }

  #rollback(parent: Scope, undo: PendingUndo[], savepoint: string): void {
    try {
      if (parent.isRoot) this.#backend.rollback();
      else {
        this.#backend.rollbackTo(savepoint);
        this.#backend.release(savepoint);
      }
    } catch (err) {
      this.#log.error({ err }, "storage: rollback failed");
    }
    if (parent.isRoot) this.#counters.rollbacks++;
    this.#restore(undo);
  }

  /** Synchronous all-or-nothing: a transaction at the root, a savepoint inside one. */
  #atomic<T>(scope: Scope, work: (undo: PendingUndo[]) => T): T {
    const undo: PendingUndo[] = [];
    const savepoint = `hearth_sp${scope.depth + 1}`;
    this.#open(scope, savepoint);
    try {
      const result = work(undo);
      this.#commit(scope, undo, savepoint);
      return result;
    } catch (err) {
      this.#rollback(scope, undo, savepoint);
      throw err;
    }
  }

  #undoOf(scope: Scope): PendingUndo[] | undefined {
    return scope.isRoot ? undefined : scope.undo;
  }

  #write(namespace: string, key: string, json: string, now: number, undo: PendingUndo[] | undefined): void {
    this.#backend.put(namespace, key, json, now);
    this.#counters.writes++;
    this.#dropPending(namespace, key, undo);
  }

  #remove(namespace: string, key: string, undo: PendingUndo[] | undefined): boolean {
    const removed = this.#backend.remove(namespace, key);
    if (removed) this.#counters.writes++;
    return this.#dropPending(namespace, key, undo) || removed;
  }

  /** A direct write supersedes a pending deferred one; remember it in case the write is rolled back. */
  #dropPending(namespace: string, key: string, undo: PendingUndo[] | undefined): boolean {
    if (this.#pending.size === 0) return false;
    const json = this.#pending.take(namespace, key);
    if (json === undefined) return false;
    undo?.push({ namespace, key, json });
    return true;
  }

  #restore(undo: PendingUndo[]): void {
    for (let i = undo.length - 1; i >= 0; i--) {
      const entry = undo[i] as PendingUndo;
      this.#pending.set(entry.namespace, entry.key, entry.json);
    }
    if (undo.length > 0) this.#scheduleFlush();
  }

  #flushIn(scope: Scope): void {
    if (this.#pending.size === 0) return;
    const entries = this.#pending.all();
    this.#atomic(scope, (undo) => {
      const now = Date.now();
      for (const { namespace, key, json } of entries) this.#write(namespace, key, json, now, undo);
    });
    this.#counters.deferredFlushes++;
    this.#log.debug({ documents: entries.length }, "storage: deferred writes flushed");
    if (this.#pending.size === 0 && this.#flushTimer !== undefined) {
      clearTimeout(this.#flushTimer);
      this.#flushTimer = undefined;
    }
  }

  #scheduleFlush(): void {
    if (this.#flushTimer !== undefined || this.#scopes.closing) return;
    // Outside any caller's async context, so the timer's flush never joins someone's transaction.
    this.#flushTimer = this.#scopes.outside(() =>
      setTimeout(() => this.#onFlushTimer(), this.#flushIntervalMs),
    );
    this.#flushTimer.unref();
  }

  #onFlushTimer(): void {
    this.#flushTimer = undefined;
    if (this.#scopes.closing) return;
    this.flush().catch((err: unknown) => {
      if (this.#scopes.closing) return;
      this.#log.error(
        { err, pending: this.#pending.size },
        `storage: deferred flush failed, retrying later: ${errorMessage(err)}`,
      );
      if (this.#pending.size > 0) this.#scheduleFlush();
    });
  }

  /** The transaction handle: the same operations, bound to one scope. */
  #opsFor(scope: Scope): StorageOps {
    return {
      get: <T extends JsonObject>(ns: string, key: string) => this.#get<T>(scope, ns, key),
      set: (ns, key, value, options) => this.#set(scope, ns, key, value, options),
      delete: (ns, key) => this.#delete(scope, ns, key),
      has: (ns, key) => this.#has(scope, ns, key),
      listKeys: (ns, prefix) => this.#listKeys(scope, ns, prefix),
      batchGet: <T extends JsonObject>(ns: string, keys: string[]) => this.#batchGet<T>(scope, ns, keys),
      batchSet: (ns, entries) => this.#batchSet(scope, ns, entries),
      batchDelete: (ns, keys) => this.#batchDelete(scope, ns, keys),
      query: <T extends JsonObject>(ns: string, options?: QueryOptions) => this.#query<T>(scope, ns, options),
      namespaces: () => this.#namespaces(scope),
      transaction: <T>(fn: (tx: StorageOps) => Promise<T>) => this.#transaction(scope, fn),
    };
  }
}

// Keys are ASCII, so UTF-16 order is SQLite's BINARY order.
function compareKeys(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
