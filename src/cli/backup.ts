import { copyFileSync, existsSync, renameSync, rmSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { HearthError } from "../errors.ts";
import { loadConfig } from "../kernel/config/index.ts";
import { backupDatabaseFile, checkDatabaseFile } from "../kernel/storage/index.ts";
import { acquirePidFile, runningPid } from "../platform/pidfile.ts";
import { CONFIG_FLAGS, type Command, commandHelp, EXIT, type Io, parseStrict } from "./command.ts";
import { BACKUP_META, RESTORE_META } from "./meta.ts";

const DB_FILE = "hearth.db";

function parseFileArg(cmd: Command, args: string[], io: Io) {
  const parsed = parseStrict({ args, options: CONFIG_FLAGS, strict: true, allowPositionals: true });
  if (parsed.values.help) {
    io.out(commandHelp(cmd));
    return undefined;
  }
  if (parsed.positionals.length !== 1) {
    throw new HearthError("INVALID_ARGUMENT", `expected exactly one FILE, got ${parsed.positionals.length}`);
  }
  const { config } = loadConfig({
    file: parsed.values.config,
    overrides: { dataDir: parsed.values["data-dir"] },
  });
  return {
    file: resolve(parsed.positionals[0] as string),
    dataDir: config.dataDir,
    db: join(config.dataDir, DB_FILE),
  };
}

/** `hearth backup FILE`: a consistent online copy, taken while the service runs or not. */
export const backupCommand: Command = {
  ...BACKUP_META,
  run(args, io) {
    const a = parseFileArg(this, args, io);
    if (!a) return EXIT.OK;
    if (!existsSync(a.db)) {
      throw new HearthError("STORAGE_OPEN_FAILED", `No database at ${a.db} (is --data-dir right?)`, {
        data: { file: a.db },
      });
    }
    const { schemaVersion } = backupDatabaseFile(a.db, a.file);
    io.out(
      `backup: ${a.file} (schema v${schemaVersion}, ${statSync(a.file).size} bytes, integrity checked)\n`,
    );
    return EXIT.OK;
  },
};

/**
 * `hearth restore FILE`: with the service stopped, checks the backup, keeps the current database as
 * `hearth.db.before-restore-<time>` (with its -wal/-shm), and puts the backup in its place.
 */
export const restoreCommand: Command = {
  ...RESTORE_META,
  run(args, io) {
    const a = parseFileArg(this, args, io);
    if (!a) return EXIT.OK;
    const pid = runningPid(a.dataDir);
    if (pid !== undefined) {
      throw new HearthError(
        "DATA_DIR_IN_USE",
        `Hearth is running on ${a.dataDir} (pid ${pid}); stop it first (sudo systemctl stop hearth)`,
        { data: { pid } },
      );
    }
    // Refuses a damaged backup, or one from a newer Hearth, before anything is touched.
    const { schemaVersion } = checkDatabaseFile(a.file);
    const release = acquirePidFile(a.dataDir);
    try {
      let kept: string | undefined;
      if (existsSync(a.db)) {
        kept = `${a.db}.before-restore-${new Date().toISOString().replace(/[:.]/g, "-")}`;
        for (const suffix of ["", "-wal", "-shm"]) {
          if (existsSync(a.db + suffix)) renameSync(a.db + suffix, kept + suffix);
        }
      }
      const tmp = `${a.db}.restoring`;
      rmSync(tmp, { force: true });
      copyFileSync(a.file, tmp);
      renameSync(tmp, a.db);
      checkDatabaseFile(a.db);
      io.out(`restore: ${a.file} (schema v${schemaVersion}) is now ${a.db}\n`);
      if (kept) io.out(`restore: the previous database is kept as ${kept}\n`);
    } finally {
      release();
    }
    return EXIT.OK;
  },
};
