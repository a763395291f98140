import { Database, type Statement } from "bun:sqlite";
import { existsSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { errorMessage, HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import type { Backend } from "./backend.ts";
import { DEFAULT_FLUSH_INTERVAL_MS, StorageEngine } from "./engine.ts";
import { checkMigrations, EMBEDDED_MIGRATIONS, runMigrations } from "./migrations.ts";
import type { Condition, NormalizedQuery } from "./query.ts";
import type { Storage, StorageOptions } from "./types.ts";
import { checkPositive, DEFAULT_MAX_VALUE_BYTES } from "./validate.ts";

const BUSY_TIMEOUT_MS = 5000;
/** How many integrity problems the error message names. */
const PROBLEMS_SHOWN = 5;
const QUERY_CACHE_SIZE = 64;

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

/**
 * Checks a database file without changing it (read-only connection): SQLite's integrity check, a
 * schema version this build knows, and Hearth's documents table. Throws STORAGE_CORRUPT,
 * STORAGE_SCHEMA_TOO_NEW or STORAGE_OPEN_FAILED; returns the schema version. Used by `hearth restore`.
 */
export function checkDatabaseFile(file: string): { schemaVersion: number } {
  const latest = EMBEDDED_MIGRATIONS.at(-1)?.version ?? 0;
  inspect(file, latest);
  const db = new Database(file, { readonly: true });
  try {
    const table = db
      .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'documents'")
      .get();
    if (!table) {
      throw new HearthError(
        "STORAGE_CORRUPT",
        `${file} is an SQLite database but not a Hearth one (no documents table)`,
        {
          data: { file },
        },
      );
    }
    return { schemaVersion: userVersion(db) };
  } finally {
    db.close(false);
  }
}

/**
 * Writes a consistent copy of a database file to `target` through a read-only connection
 * (`VACUUM INTO` works on one), so a backup never writes to or migrates the live database and can
 * run while Hearth is running. Refuses an existing target. Returns the copy's schema version.
 */
export function backupDatabaseFile(file: string, target: string): { schemaVersion: number } {
  const checked = checkDatabaseFile(file);
  if (existsSync(target)) {
    throw new HearthError(
      "STORAGE_BACKUP_FAILED",
      `Backup target ${target} already exists; refusing to overwrite it`,
      {
        data: { target },
      },
    );
  }
  const db = new Database(file, { readonly: true });
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.query("VACUUM INTO ?").run(target);
  } catch (err) {
    throw new HearthError(
      "STORAGE_BACKUP_FAILED",
      `Backup of ${file} to ${target} failed: ${errorMessage(err)}`,
      {
        data: { file, target },
        cause: err,
      },
    );
  } finally {
    db.close(false);
  }
  checkDatabaseFile(target);
  return checked;
}

function inspect(file: string, latest: number): void {
  let db: Database | undefined;
  try {
    db = new Database(file, { readonly: true });
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // integrity_check rather than quick_check: the schema has no secondary index, so the index-vs-table
    // cross-check that quick_check skips costs next to nothing here, and the check is complete.
    const rows = db
      .query<[string], []>(`PRAGMA integrity_check(${PROBLEMS_SHOWN * 4})`)
      .values()
      .map((r) => String(r[0]));
    const problems = rows
      .flatMap((r) => r.split("\n"))
      .filter((line) => line !== "ok" && !line.startsWith("*** in database"));
    if (problems.length > 0) throw corrupt(file, problems);
    const version = userVersion(db);
    if (version > latest) throw tooNew(file, version, latest);
  } catch (err) {
    if (err instanceof HearthError) throw err;
    const code = (err as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("SQLITE_CORRUPT") || code === "SQLITE_NOTADB")) {
      throw corrupt(file, [errorMessage(err)], err);
    }
    throw new HearthError("STORAGE_OPEN_FAILED", `Cannot read database ${file}: ${errorMessage(err)}`, {
      data: { file },
      cause: err,
    });
  } finally {
    db?.close(false);
  }
}

function corrupt(file: string, problems: string[], cause?: unknown): HearthError {
  const shown = problems.slice(0, PROBLEMS_SHOWN);
  return new HearthError(
    "STORAGE_CORRUPT",
    `Database ${file} failed SQLite's integrity check and was not opened (the file was left untouched; ` +
      `restore a backup or move it aside): ${shown.join("; ")}`,
    { data: { file, problems: shown }, cause },
  );
}

function tooNew(file: string, version: number, latest: number): HearthError {
  return new HearthError(
    "STORAGE_SCHEMA_TOO_NEW",
    `Database ${file} has schema version ${version}, but this Hearth knows only up to ${latest}; ` +
      "it was written by a newer Hearth and is left untouched",
    { data: { file, schemaVersion: version, latest } },
  );
}

function userVersion(db: Database): number {
  return db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
}

type Param = string | number;

/** The documents table through prepared statements (compiled once, reused for every call). */
class SqliteBackend implements Backend {
  readonly kind = "sqlite";
  readonly schemaVersion: number;
  readonly #db: Database;
  readonly #get: Statement<{ value: string }, [string, string]>;
  readonly #has: Statement<{ one: number }, [string, string]>;
  readonly #put: Statement<unknown, [string, string, string, number]>;
  readonly #remove: Statement<unknown, [string, string]>;
  readonly #keys: Statement<[string], [string]>;
  readonly #keysFrom: Statement<[string], [string, string, string]>;
  readonly #counts: Statement<{ namespace: string; keys: number }, []>;
  readonly #begin: Statement;
  readonly #commit: Statement;
  readonly #rollback: Statement;
  readonly #queries = new Map<string, Statement<{ key: string; value: string }, Param[]>>();

  constructor(db: Database, schemaVersion: number) {
    this.#db = db;
    this.schemaVersion = schemaVersion;
    this.#get = db.prepare("SELECT value FROM documents WHERE namespace = ? AND key = ?");
    this.#has = db.prepare("SELECT 1 AS one FROM documents WHERE namespace = ? AND key = ?");
    this.#put = db.prepare(
      "INSERT INTO documents (namespace, key, value, updated_at) VALUES (?, ?, ?, ?) " +
        "ON CONFLICT (namespace, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
    );
    this.#remove = db.prepare("DELETE FROM documents WHERE namespace = ? AND key = ?");
    this.#keys = db.prepare("SELECT key FROM documents WHERE namespace = ? ORDER BY key");
    this.#keysFrom = db.prepare(
      "SELECT key FROM documents WHERE namespace = ? AND key >= ? AND key < ? ORDER BY key",
    );
    this.#counts = db.prepare(
      "SELECT namespace, count(*) AS keys FROM documents GROUP BY namespace ORDER BY namespace",
    );
    // IMMEDIATE takes the write lock up front, so a transaction never fails half-way on SQLITE_BUSY.
    this.#begin = db.prepare("BEGIN IMMEDIATE");
    this.#commit = db.prepare("COMMIT");
    this.#rollback = db.prepare("ROLLBACK");
  }

  get inTransaction(): boolean {
    return this.#db.inTransaction;
  }

  get(namespace: string, key: string): string | undefined {
    return this.#get.get(namespace, key)?.value;
  }

  has(namespace: string, key: string): boolean {
    return this.#has.get(namespace, key) !== null;
  }

  put(namespace: string, key: string, json: string, updatedAt: number): void {
    this.#put.run(namespace, key, json, updatedAt);
  }

  remove(namespace: string, key: string): boolean {
    return this.#remove.run(namespace, key).changes > 0;
  }

  keys(namespace: string, prefix: string | undefined): string[] {
    const rows =
      prefix === undefined
        ? this.#keys.values(namespace)
        : this.#keysFrom.values(namespace, ...range(prefix));
    return rows.map((r) => r[0] as string);
  }

  query(
    namespace: string,
    query: NormalizedQuery,
    limit: number | undefined,
  ): { key: string; json: string }[] {
    const params: Param[] = [namespace];
    let shape = "";
    if (query.prefix !== undefined) {
      shape += "p";
      params.push(...range(query.prefix));
    }
    for (const cond of query.where) shape += conditionShape(cond, params);
    if (limit !== undefined) {
      shape += "l";
      params.push(limit);
    }
    return this.#queryStatement(shape)
      .all(...params)
      .map((r) => ({ key: r.key, json: r.value }));
  }

  counts(): { namespace: string; keys: number }[] {
    return this.#counts.all();
  }

  begin(): void {
    this.#begin.run();
  }

  commit(): void {
    this.#commit.run();
  }

  rollback(): void {
    // SQLite rolls some failures back by itself (SQLITE_FULL, SQLITE_IOERR …).
    if (this.#db.inTransaction) this.#rollback.run();
  }

  // Savepoint names are generated by the engine (`hearth_spN`), never taken from callers.
  savepoint(name: string): void {
    this.#db.run(`SAVEPOINT ${name}`);
  }

  release(name: string): void {
    this.#db.run(`RELEASE ${name}`);
  }

  rollbackTo(name: string): void {
    this.#db.run(`ROLLBACK TO ${name}`);
  }

  backup(path: string): void {
    const target = resolve(path);
    if (existsSync(target)) {
      throw new HearthError(
        "STORAGE_BACKUP_FAILED",
        `Backup target ${target} already exists; refusing to overwrite it`,
        {
          data: { path: target },
        },
      );
    }
    try {
      mkdirSync(dirname(target), { recursive: true });
      this.#db.run("VACUUM INTO ?", [target]);
    } catch (err) {
      throw new HearthError("STORAGE_BACKUP_FAILED", `Backup to ${target} failed: ${errorMessage(err)}`, {
        data: { path: target },
        cause: err,
      });
    }
  }

  close(): void {
    for (const stmt of [
      this.#get,
      this.#has,
      this.#put,
      this.#remove,
      this.#keys,
      this.#keysFrom,
      this.#counts,
      this.#begin,
      this.#commit,
      this.#rollback,
      ...this.#queries.values(),
    ]) {
      stmt.finalize();
    }
    this.#queries.clear();
    this.#db.close(false);
  }

  /** One statement per query shape (which filters, of which JSON type); values are always bound. */
  #queryStatement(shape: string): Statement<{ key: string; value: string }, Param[]> {
    const cached = this.#queries.get(shape);
    if (cached) return cached;
    let sql = "SELECT key, value FROM documents WHERE namespace = ?";
    for (const part of shape) if (part !== "l") sql += SQL_PARTS[part as keyof typeof SQL_PARTS];
    sql += shape.endsWith("l") ? " ORDER BY key LIMIT ?" : " ORDER BY key";
    if (this.#queries.size >= QUERY_CACHE_SIZE) {
      const [oldest, stmt] = this.#queries.entries().next().value as [string, Statement];
      stmt.finalize();
      this.#queries.delete(oldest);
    }
    const stmt = this.#db.prepare<{ key: string; value: string }, Param[]>(sql);
    this.#queries.set(shape, stmt);
    return stmt;
  }
}

// json_type guards each comparison: json_extract gives 1 for both `true` and the number 1, and the
// JSON text of an object for an object, which could equal a caller's string.
const SQL_PARTS = {
  p: " AND key >= ? AND key < ?",
  s: " AND json_type(value, ?) = 'text' AND json_extract(value, ?) = ?",
  n: " AND json_type(value, ?) IN ('integer', 'real') AND json_extract(value, ?) = ?",
  t: " AND json_type(value, ?) = 'true'",
  f: " AND json_type(value, ?) = 'false'",
  z: " AND coalesce(json_type(value, ?), 'null') = 'null'",
} as const;

function conditionShape(cond: Condition, params: Param[]): string {
  const { jsonPath, value } = cond;
  if (typeof value === "string" || typeof value === "number") {
    params.push(jsonPath, jsonPath, value);
    return typeof value === "string" ? "s" : "n";
  }
  params.push(jsonPath);
  if (value === null) return "z";
  return value ? "t" : "f";
}

/** Keys are ASCII, so every key that starts with `prefix` sorts below `prefix + U+FFFF`. */
function range(prefix: string): [string, string] {
  return [prefix, `${prefix}\uffff`];
}
