export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface StorageSetOptions {
  /**
   * High-rate, re-derivable data (device reported state): kept in memory, coalesced per key, and
   * written in one transaction at most every `flushIntervalMs` and always on close. Reads see it at
   * once. Durable data (config, tokens, rules) never uses this.
   */
  deferred?: boolean;
}

export interface QueryOptions {
  /** Only keys starting with this. */
  prefix?: string;
  /** Dot paths into the document (`"state.on"`) that must equal the given JSON scalar. */
  where?: Record<string, JsonPrimitive>;
  /** At most this many results (default: all). */
  limit?: number;
  /** Only keys sorting strictly after this one: for paging, the last key of the previous page. */
  after?: string;
}

export interface StorageEntry<T extends JsonObject = JsonObject> {
  key: string;
  value: T;
}

/** The document operations; a transaction handle offers the same ones. */
export interface StorageOps {
  get<T extends JsonObject = JsonObject>(namespace: string, key: string): Promise<T | undefined>;
  set(namespace: string, key: string, value: JsonObject, options?: StorageSetOptions): Promise<void>;
  /** Returns whether the key existed. */
  delete(namespace: string, key: string): Promise<boolean>;
  has(namespace: string, key: string): Promise<boolean>;
  /** Keys of a namespace in ascending order, optionally limited to a prefix. */
  listKeys(namespace: string, prefix?: string): Promise<string[]>;
  /** Values for the keys that exist; absent keys are absent from the map. */
  batchGet<T extends JsonObject = JsonObject>(namespace: string, keys: string[]): Promise<Map<string, T>>;
  /** All or nothing, in one transaction. */
  batchSet(namespace: string, entries: StorageEntry[] | Record<string, JsonObject>): Promise<void>;
  /** All or nothing, in one transaction. Returns how many existed. */
  batchDelete(namespace: string, keys: string[]): Promise<number>;
  query<T extends JsonObject = JsonObject>(
    namespace: string,
    options?: QueryOptions,
  ): Promise<StorageEntry<T>[]>;
  /** Namespaces that hold at least one key, with their counts. */
  namespaces(): Promise<{ namespace: string; keys: number }[]>;
  /**
   * All or nothing; the callback's rejection rolls back and is rethrown. Other callers wait while it
   * is open. Nested (through `tx` or the storage itself, from inside the callback): joins the
   * enclosing transaction (one commit or rollback for all); a nested call that fails undoes only its
   * own writes, so an outer callback that catches its error may still commit the rest.
   */
  transaction<T>(fn: (tx: StorageOps) => Promise<T>): Promise<T>;
}

export interface StorageStats {
  /** Read calls (get, has, listKeys, batchGet, query, namespaces), one per call. */
  reads: number;
  /** Rows written or deleted in the database (a deferred set counts when it is flushed). */
  writes: number;
  /** Top-level transactions begun: `transaction()`, batch calls, deferred flushes. Nested ones join. */
  transactions: number;
  /** Top-level transactions rolled back. */
  rollbacks: number;
  /** Deferred writes waiting for the next flush (one per key). */
  deferredPending: number;
  /** Flushes that wrote deferred data. */
  deferredFlushes: number;
  /** Document operations run (get, set, batch …, one per call), for latency = operationSeconds / operations. */
  operations: number;
  /** Time spent inside those operations (SQLite and JSON work, not waiting for a transaction), seconds. */
  operationSeconds: number;
  /** `PRAGMA user_version` after migrations. */
  schemaVersion: number;
}

export interface Storage extends StorageOps {
  readonly kind: "sqlite" | "memory";
  /** Writes pending deferred data now. */
  flush(): Promise<void>;
  /** A consistent copy of the whole database, taken online (`VACUUM INTO`). Refuses to overwrite. */
  backup(path: string): Promise<void>;
  stats(): StorageStats;
  /**
   * A number that changes whenever another process (the `hearth token` CLI, say) committed to the
   * database since the last call; it never changes for in-memory storage. Lets a cache of stored
   * data notice writes it did not make. Optional: a storage without it cannot be cached over.
   */
  dataVersion?(): number;
  /** Flushes deferred data, then closes. Idempotent. */
  close(): Promise<void>;
}

/** A numbered schema step. Versions are 1, 2, 3 … and run in order inside one transaction each. */
export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface StorageOptions {
  /** Database file; created with its folder if missing. */
  path: string;
  /** `synchronous=FULL` instead of NORMAL: every commit survives power loss, at a write cost. */
  durable?: boolean;
  /** How often deferred writes are flushed (default 5000 ms). */
  flushIntervalMs?: number;
  /** Largest JSON value accepted, in bytes (default 1 MiB). */
  maxValueBytes?: number;
  /** Overrides the embedded migrations (tests). */
  migrations?: Migration[];
}
