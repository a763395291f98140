/**
 * Storage: namespaced JSON documents on SQLite, the source of truth.
 *
 * @example
 * const storage = await openStorage({ path: "data/hearth.db" });
 * await storage.transaction(async (tx) => {
 *   await tx.set("rules", "night", { enabled: true });
 * });
 */
export { createMemoryStorage, type MemoryStorageOptions } from "./memory.ts";
export { EMBEDDED_MIGRATIONS } from "./migrations.ts";
export { backupDatabaseFile, checkDatabaseFile, openStorage } from "./sqlite.ts";
export type {
  JsonObject,
  JsonPrimitive,
  JsonValue,
  Migration,
  QueryOptions,
  Storage,
  StorageEntry,
  StorageOps,
  StorageOptions,
  StorageSetOptions,
  StorageStats,
} from "./types.ts";
