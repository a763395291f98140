/**
 * The CLI's command table. Each command parses its own arguments (strictly: an unknown flag is an
 * error) and returns the process exit code. Output goes through the `out`/`err` writers so tests can
 * drive commands without spawning a process.
 */
import { HearthError } from "../errors.ts";
import { versionInfo } from "../version.ts";
import { type Command, commandHelp, EXIT, type Io, parseStrict } from "./command.ts";
import {
  BACKUP_META,
  CHECK_META,
  PLUGINS_META,
  PORTS_META,
  RESTORE_META,
  RUN_META,
  TOKEN_META,
} from "./meta.ts";

export { type Command, EXIT, type Io } from "./command.ts";

const version: Command = {
  name: "version",
  summary: "Print version, git commit, Bun version and build target",
  usage: "hearth version [--json]",
  options: "      --json   machine-readable output",
  run(args, io) {
    const { values } = parseStrict({
      args,
      options: { help: { type: "boolean", short: "h" }, json: { type: "boolean" } },
      strict: true,
    });
    if (values.help) {
      io.out(commandHelp(this));
      return EXIT.OK;
    }
    const info = versionInfo();
    if (values.json) io.out(`${JSON.stringify(info)}\n`);
    else io.out(`hearth ${info.version} (commit ${info.commit}, bun ${info.bun}, ${info.target})\n`);
    return EXIT.OK;
  },
};

/**
 * A command whose code is imported only when it runs: `hearth version` and `--help` should not pay
 * for loading the whole runtime (zod, pino, hono, SQLite). The import paths are string literals, so
 * `bun build --compile` still bundles them.
 */
function lazy(meta: Omit<Command, "run">, load: () => Promise<Command>): Command {
  return {
    ...meta,
    async run(args, io) {
      const cmd = await load();
      return cmd.run.call(cmd, args, io);
    },
  };
}

export const COMMANDS: Command[] = [
  lazy(RUN_META, async () => (await import("./run.ts")).runCommand),
  lazy(CHECK_META, async () => (await import("./check.ts")).checkCommand),
  lazy(PLUGINS_META, async () => (await import("./plugins.ts")).pluginsCommand),
  lazy(PORTS_META, async () => (await import("./ports.ts")).portsCommand),
  lazy(BACKUP_META, async () => (await import("./backup.ts")).backupCommand),
  lazy(RESTORE_META, async () => (await import("./backup.ts")).restoreCommand),
  lazy(TOKEN_META, async () => (await import("./token.ts")).tokenCommand),
  version,
];

export function helpText(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  const lines = COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return [
    "Hearth: a home-automation runtime for Raspberry Pi-class boards.",
    "",
    "Usage: hearth <command> [options]",
    "",
    "Commands:",
    ...lines,
    "",
    "Run `hearth <command> --help` for a command's options.",
    "Exit codes: 0 ok, 1 failure, 2 usage, 3 invalid configuration, 4 shutdown timed out, 130 forced stop.",
    "",
  ].join("\n");
}

/** Runs the CLI for `argv` (without the executable) and returns the exit code. */
export async function runCli(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "help" || name === "--help" || name === "-h") {
    const topic = name === "help" ? rest[0] : undefined;
    const cmd = topic === undefined ? undefined : COMMANDS.find((c) => c.name === topic);
    if (topic !== undefined && cmd === undefined) {
      io.err(`hearth: unknown command "${topic}"\n\n${helpText()}`);
      return EXIT.USAGE;
    }
    if (cmd) return cmd.run(["--help"], io);
    io.out(helpText());
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "--version" || name === "-v") return version.run([], io);
  const cmd = COMMANDS.find((c) => c.name === name);
  if (!cmd) {
    io.err(`hearth: unknown command "${name}"\n\n${helpText()}`);
    return EXIT.USAGE;
  }
  try {
    return await cmd.run(rest, io);
  } catch (err) {
    if (err instanceof HearthError && err.code === "INVALID_ARGUMENT") {
      io.err(`hearth ${cmd.name}: ${err.message}\nUsage: ${cmd.usage}\n`);
      return EXIT.USAGE;
    }
    if (err instanceof HearthError && err.code.startsWith("CONFIG_")) {
      io.err(`hearth ${cmd.name}: ${err.code}: ${err.message}\n`);
      return EXIT.CONFIG;
    }
    if (err instanceof HearthError) {
      io.err(`hearth ${cmd.name}: ${err.code}: ${err.message}\n`);
      return EXIT.FAILURE;
    }
    throw err;
  }
}
