import { type ParseArgsConfig, parseArgs } from "node:util";
import { HearthError } from "../errors.ts";

export interface Io {
  out(text: string): void;
  err(text: string): void;
}

export interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Option lines for `--help`. */
  options?: string;
  run(args: string[], io: Io): Promise<number> | number;
}

/** Exit codes, documented in the README. */
export const EXIT = {
  OK: 0,
  /** The command failed (runtime start failed, check found problems). */
  FAILURE: 1,
  /** Unknown command or flag. */
  USAGE: 2,
  /** The configuration is invalid; nothing was started or written. */
  CONFIG: 3,
  /** Stopping took longer than shutdownTimeoutMs; remaining steps were abandoned (data still flushed). */
  SHUTDOWN_TIMEOUT: 4,
  /** A second SIGTERM/SIGINT forced the exit. */
  FORCED: 130,
} as const;

/** `parseArgs` that turns a bad flag into a usage error (exit code 2) instead of a crash. */
export function parseStrict<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
  try {
    return parseArgs(config);
  } catch (err) {
    throw new HearthError("INVALID_ARGUMENT", (err as Error).message);
  }
}

export function commandHelp(cmd: Command): string {
  return `Usage: ${cmd.usage}\n\n${cmd.summary}.\n${cmd.options ? `\nOptions:\n${cmd.options}\n` : ""}`;
}

/** The flags every command that reads the configuration accepts. */
export const CONFIG_FLAGS = {
  config: { type: "string", short: "c" },
  "data-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export const CONFIG_FLAGS_HELP = [
  "  -c, --config FILE     config file (JSON or TOML); default: hearth.json/.toml in",
  "                        $CONFIGURATION_DIRECTORY or the working directory, or $HEARTH_CONFIG",
  "      --data-dir DIR    data folder (overrides dataDir and HEARTH_DATA_DIR)",
].join("\n");
