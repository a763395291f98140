import { existsSync, writeFileSync } from "node:fs";
import { HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import type { Backend } from "./backend.ts";
import { DEFAULT_FLUSH_INTERVAL_MS, StorageEngine } from "./engine.ts";
import { EMBEDDED_MIGRATIONS } from "./migrations.ts";
import { isAfter, matchesWhere, type NormalizedQuery, startsWith } from "./query.ts";
import type { Storage } from "./types.ts";
import { checkPositive, DEFAULT_MAX_VALUE_BYTES } from "./validate.ts";

export interface MemoryStorageOptions {
  /** Largest JSON value accepted, in bytes (default 1 MiB). */
  maxValueBytes?: number;
  /** How often deferred writes are flushed (default 5000 ms). */
  flushIntervalMs?: number;
  logger?: Logger;
}

/**
 * A Storage kept in memory, for tests: the same engine (validation, transactions, deferred writes)
 * over maps instead of SQLite. `backup(path)` writes a JSON dump.
 *
 * @example
 * const storage = createMemoryStorage();
 * await storage.set("devices", "lamp", { on: true });
 */
export function createMemoryStorage(options: MemoryStorageOptions = {}): Storage {
  const log = (options.logger ?? silentLogger()).child({ component: "storage" });
  return new StorageEngine(new MemoryBackend(), {
    maxValueBytes: checkPositive(options.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, "maxValueBytes"),
    flushIntervalMs: checkPositive(options.flushIntervalMs, DEFAULT_FLUSH_INTERVAL_MS, "flushIntervalMs"),
    log,
  });
}

interface Row {
  json: string;
  updatedAt: number;
}

class MemoryBackend implements Backend {
  readonly kind = "memory";
  readonly schemaVersion = EMBEDDED_MIGRATIONS.at(-1)?.version ?? 0;
  readonly #data = new Map<string, Map<string, Row>>();
  /** Undo steps of the open transaction, newest last; undefined outside one. */
  #undo: (() => void)[] | undefined;
  readonly #savepoints: { name: string; at: number }[] = [];

  get inTransaction(): boolean {
    return this.#undo !== undefined;
  }

  dataVersion(): number {
    return 0;
  }

  get(namespace: string, key: string): string | undefined {
    return this.#data.get(namespace)?.get(key)?.json;
  }

  has(namespace: string, key: string): boolean {
    return this.#data.get(namespace)?.has(key) ?? false;
  }

  put(namespace: string, key: string, json: string, updatedAt: number): void {
    const previous = this.#data.get(namespace)?.get(key);
    this.#store(namespace, key, { json, updatedAt });
    this.#undo?.push(() => this.#restore(namespace, key, previous));
  }

  remove(namespace: string, key: string): boolean {
    const previous = this.#data.get(namespace)?.get(key);
    if (previous === undefined) return false;
    this.#restore(namespace, key, undefined);
    this.#undo?.push(() => this.#restore(namespace, key, previous));
    return true;
  }

  keys(namespace: string, prefix: string | undefined): string[] {
    const docs = this.#data.get(namespace);
    if (!docs) return [];
    return [...docs.keys()].filter((key) => startsWith(key, prefix)).sort();
  }

  query(
    namespace: string,
    query: NormalizedQuery,
    limit: number | undefined,
  ): { key: string; json: string }[] {
    const out: { key: string; json: string }[] = [];
    for (const key of this.keys(namespace, query.prefix)) {
      if (limit !== undefined && out.length >= limit) break;
      if (!isAfter(key, query.after)) continue;
      const json = this.get(namespace, key) as string;
      if (matchesWhere(JSON.parse(json), query.where)) out.push({ key, json });
    }
    return out;
  }

  counts(): { namespace: string; keys: number }[] {
    return [...this.#data]
      .map(([namespace, docs]) => ({ namespace, keys: docs.size }))
      .sort((a, b) => (a.namespace < b.namespace ? -1 : 1));
  }

  begin(): void {
    if (this.#undo) invariant("a transaction is already open");
    this.#undo = [];
  }

  commit(): void {
    this.#undo = undefined;
    this.#savepoints.length = 0;
  }

  rollback(): void {
    if (this.#undo) this.#undoTo(0);
    this.commit();
  }

  savepoint(name: string): void {
    if (!this.#undo) invariant("savepoint outside a transaction");
    this.#savepoints.push({ name, at: this.#undo.length });
  }

  release(name: string): void {
    const i = this.#savepoints.findLastIndex((s) => s.name === name);
    if (i < 0) invariant(`no savepoint ${name}`);
    this.#savepoints.length = i;
  }

  rollbackTo(name: string): void {
    const savepoint = this.#savepoints.findLast((s) => s.name === name) ?? invariant(`no savepoint ${name}`);
    this.#undoTo(savepoint.at);
  }

  backup(path: string): void {
    if (existsSync(path)) {
      throw new HearthError("STORAGE_BACKUP_FAILED", `Backup target ${path} already exists`, {
        data: { path },
      });
    }
    const dump: Record<string, Record<string, unknown>> = {};
    for (const [namespace, docs] of this.#data) {
      dump[namespace] = Object.fromEntries([...docs].map(([key, row]) => [key, JSON.parse(row.json)]));
    }
    try {
      writeFileSync(path, `${JSON.stringify({ schemaVersion: this.schemaVersion, documents: dump })}\n`, {
        flag: "wx",
      });
    } catch (err) {
      throw new HearthError("STORAGE_BACKUP_FAILED", `Writing backup ${path} failed`, {
        data: { path },
        cause: err,
      });
    }
  }

  close(): void {
    this.#data.clear();
  }

  #undoTo(length: number): void {
    const undo = this.#undo as (() => void)[];
    while (undo.length > length) (undo.pop() as () => void)();
  }

  #store(namespace: string, key: string, row: Row): void {
    let docs = this.#data.get(namespace);
    if (!docs) {
      docs = new Map();
      this.#data.set(namespace, docs);
    }
    docs.set(key, row);
  }

  #restore(namespace: string, key: string, row: Row | undefined): void {
    if (row) {
      this.#store(namespace, key, row);
      return;
    }
    const docs = this.#data.get(namespace);
    docs?.delete(key);
    if (docs?.size === 0) this.#data.delete(namespace);
  }
}

/**
 * The engine opens, nests and ends transactions in order (kernel/storage/scopes.ts); reaching one of
 * these is a bug in the engine, never a caller's mistake.
 */
function invariant(what: string): never {
  throw new HearthError("INTERNAL_ERROR", `memory storage: ${what} (an engine invariant was broken)`);
}
