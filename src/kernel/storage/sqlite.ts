import { Database } from "bun:sqlite";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { errorMessage, HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { DEFAULT_FLUSH_INTERVAL_MS, StorageEngine } from "./engine.ts";
import { checkMigrations, EMBEDDED_MIGRATIONS, runMigrations } from "./migrations.ts";
import { SqliteBackend } from "./sqlite-backend.ts";
import { BUSY_TIMEOUT_MS, inspect, tooNew, userVersion } from "./sqlite-file.ts";
import type { Storage, StorageOptions } from "./types.ts";
import { checkPositive, DEFAULT_MAX_VALUE_BYTES } from "./validate.ts";

export { backupDatabaseFile, checkDatabaseFile } from "./sqlite-file.ts";

/**
 * Opens (creating if needed) the SQLite database at `options.path`, checks it, and brings its schema
 * up to date. Refuses a damaged file (STORAGE_CORRUPT) or one from a newer Hearth
 * (STORAGE_SCHEMA_TOO_NEW) without writing to it.
 *
 * @example
 * const storage = await openStorage({ path: "/var/lib/hearth/hearth.db" });
 * await storage.set("config", "site", { name: "Home" });
 * await storage.close();
 */
export async function openStorage(options: StorageOptions & { logger?: Logger }): Promise<Storage> {
  if (typeof options?.path !== "string" || options.path === "") {
    throw new HearthError("INVALID_ARGUMENT", "openStorage() needs a database path");
  }
  const log = (options.logger ?? silentLogger()).child({ component: "storage" });
  const maxValueBytes = checkPositive(options.maxValueBytes, DEFAULT_MAX_VALUE_BYTES, "maxValueBytes");
  const flushIntervalMs = checkPositive(
    options.flushIntervalMs,
    DEFAULT_FLUSH_INTERVAL_MS,
    "flushIntervalMs",
  );
  const migrations = checkMigrations(options.migrations ?? EMBEDDED_MIGRATIONS);
  const latest = migrations.at(-1)?.version ?? 0;
  const inMemory = options.path === ":memory:";
  const file = inMemory ? options.path : resolve(options.path);

  if (!inMemory) {
    try {
      mkdirSync(dirname(file), { recursive: true });
    } catch (err) {
      throw new HearthError(
        "STORAGE_OPEN_FAILED",
        `Cannot create the folder for database ${file}: ${errorMessage(err)}`,
        {
          data: { file },
          cause: err,
        },
      );
    }
    // Look at an existing file through a read-only connection first: whatever is wrong with it,
    // nothing of ours can write to it (not even the checkpoint a closing writer does).
    if (existsSync(file) && statSync(file).size > 0) inspect(file, latest);
  }

  let db: Database;
  try {
    db = new Database(file, { create: true, readwrite: true, strict: true });
  } catch (err) {
    throw new HearthError("STORAGE_OPEN_FAILED", `Cannot open database ${file}: ${errorMessage(err)}`, {
      data: { file },
      cause: err,
    });
  }
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const journal = db.query<{ journal_mode: string }, []>("PRAGMA journal_mode = WAL").get()?.journal_mode;
    if (journal !== "wal" && !inMemory) {
      log.warn({ file, journal }, "storage: WAL mode is not available; using the rollback journal");
    }
    db.run(`PRAGMA synchronous = ${options.durable ? "FULL" : "NORMAL"}`);
    db.run("PRAGMA foreign_keys = ON");
    const from = userVersion(db);
    // A newer schema is refused before any migration (inspect() already did for existing files).
    if (from > latest) throw tooNew(file, from, latest);
    const version = runMigrations(db, migrations, from, file, log);
    log.info({ file, schemaVersion: version, migrated: version !== from }, "storage: opened");
    return new StorageEngine(new SqliteBackend(db, version), { maxValueBytes, flushIntervalMs, log });
  } catch (err) {
    db.close(false);
    throw err;
  }
}
