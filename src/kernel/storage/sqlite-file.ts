import { Database } from "bun:sqlite";
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import { dirname } from "node:path";
import { errorMessage, HearthError } from "../../errors.ts";
import { EMBEDDED_MIGRATIONS } from "./migrations.ts";

export const BUSY_TIMEOUT_MS = 5000;
/** How many integrity problems the error message names. */
const PROBLEMS_SHOWN = 5;

/**
 * Copies the database open on `db` into `target` (`VACUUM INTO`: consistent, online). The target is
 * created first, empty and mode 0600, because a backup holds what the database holds: token hashes,
 * and plugins' secret namespaces (a Zigbee network key). An existing target is refused.
 */
export function vacuumInto(db: Database, target: string, field: "path" | "target"): void {
  try {
    mkdirSync(dirname(target), { recursive: true });
    closeSync(openSync(target, "wx", 0o600));
  } catch (err) {
    const exists = (err as NodeJS.ErrnoException).code === "EEXIST";
    throw new HearthError(
      "STORAGE_BACKUP_FAILED",
      exists
        ? `Backup target ${target} already exists; refusing to overwrite it`
        : `Cannot create backup file ${target}: ${errorMessage(err)}`,
      { data: { [field]: target }, cause: err },
    );
  }
  try {
    db.query("VACUUM INTO ?").run(target);
  } catch (err) {
    rmSync(target, { force: true });
    throw new HearthError("STORAGE_BACKUP_FAILED", `Backup to ${target} failed: ${errorMessage(err)}`, {
      data: { [field]: target },
      cause: err,
    });
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
  const db = new Database(file, { readonly: true });
  try {
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    vacuumInto(db, target, "target");
  } finally {
    db.close(false);
  }
  checkDatabaseFile(target);
  return checked;
}

export function inspect(file: string, latest: number): void {
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

export function tooNew(file: string, version: number, latest: number): HearthError {
  return new HearthError(
    "STORAGE_SCHEMA_TOO_NEW",
    `Database ${file} has schema version ${version}, but this Hearth knows only up to ${latest}; ` +
      "it was written by a newer Hearth and is left untouched",
    { data: { file, schemaVersion: version, latest } },
  );
}

export function userVersion(db: Database): number {
  return db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version ?? 0;
}
