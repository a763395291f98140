import type { NormalizedQuery } from "./query.ts";

/**
 * What the engine needs from a store: synchronous primitives on JSON text. The engine owns
 * validation, locking, transactions' scoping and deferred writes, so every backend behaves alike.
 */
export interface Backend {
  readonly kind: "sqlite" | "memory";
  readonly schemaVersion: number;
  /** False once the store ended a transaction by itself (SQLite does on SQLITE_FULL, SQLITE_IOERR …). */
  readonly inTransaction: boolean;
  get(namespace: string, key: string): string | undefined;
  has(namespace: string, key: string): boolean;
  put(namespace: string, key: string, json: string, updatedAt: number): void;
  /** Returns whether a row was removed. */
  remove(namespace: string, key: string): boolean;
  /** Ascending. */
  keys(namespace: string, prefix: string | undefined): string[];
  /** Ascending by key; `limit` overrides the query's own. */
  query(
    namespace: string,
    query: NormalizedQuery,
    limit: number | undefined,
  ): { key: string; json: string }[];
  /** Ascending by namespace; only namespaces with rows. */
  counts(): { namespace: string; keys: number }[];
  begin(): void;
  commit(): void;
  /** Must not throw when no transaction is open any more. */
  rollback(): void;
  savepoint(name: string): void;
  release(name: string): void;
  rollbackTo(name: string): void;
  /** Refuses an existing target with STORAGE_BACKUP_FAILED. */
  backup(path: string): void;
  close(): void;
  /**
   * Changes whenever another connection (another process) committed to the store since this one
   * last looked (SQLite's `PRAGMA data_version`); never changes for a store no one else can open.
   */
  dataVersion(): number;
}
