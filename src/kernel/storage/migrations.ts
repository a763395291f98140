import type { Database } from "bun:sqlite";
import { errorMessage, HearthError } from "../../errors.ts";
import type { Logger } from "../log/index.ts";
import sql001 from "./migrations/001-documents.sql" with { type: "text" };
import type { Migration } from "./types.ts";

/**
 * The schema steps built into this Hearth, newest last. The SQL is imported as text so a compiled
 * binary carries it; add a step as `migrations/NNN-name.sql` plus one line here, never edit a shipped one.
 */
export const EMBEDDED_MIGRATIONS: readonly Migration[] = Object.freeze([
  Object.freeze({ version: 1, name: "documents", sql: sql001 }),
]);

/** Checks a migration list (versions 1, 2, 3 … without gaps) and returns it in order. */
export function checkMigrations(list: readonly Migration[]): Migration[] {
  if (!Array.isArray(list)) throw new HearthError("INVALID_ARGUMENT", "migrations must be an array");
  const sorted = [...list].sort((a, b) => a.version - b.version);
  sorted.forEach((m, i) => {
    if (m?.version !== i + 1 || typeof m.name !== "string" || typeof m.sql !== "string") {
      throw new HearthError(
        "INVALID_ARGUMENT",
        `Migrations must be numbered 1, 2, 3 … with a name and SQL; problem at position ${i + 1}`,
        { data: { position: i + 1 } },
      );
    }
  });
  return sorted;
}

/**
 * Runs every migration newer than `from`, each in its own transaction that also sets
 * `PRAGMA user_version`, so a failure leaves the database exactly at the previous version.
 * Returns the version reached.
 */
export function runMigrations(
  db: Database,
  migrations: readonly Migration[],
  from: number,
  file: string,
  log: Logger,
): number {
  let version = from;
  for (const m of migrations) {
    if (m.version <= version) continue;
    try {
      db.run("BEGIN IMMEDIATE");
      db.run(m.sql);
      // PRAGMA takes no bound parameters; the version is a checked integer.
      db.run(`PRAGMA user_version = ${m.version}`);
      db.run("COMMIT");
    } catch (err) {
      if (db.inTransaction) db.run("ROLLBACK");
      throw new HearthError(
        "STORAGE_MIGRATION_FAILED",
        `Schema migration ${m.version} (${m.name}) of ${file} failed and was rolled back; ` +
          `the database stays at version ${version}: ${errorMessage(err)}`,
        { data: { version: m.version, name: m.name, file, schemaVersion: version }, cause: err },
      );
    }
    log.info({ version: m.version, name: m.name }, "storage: schema migration applied");
    version = m.version;
  }
  return version;
}
