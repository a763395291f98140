import pino from "pino";
import type { Logger, LoggerOptions, LogLevel } from "./types.ts";

export type { Logger, LoggerOptions, LogLevel } from "./types.ts";

export const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

/**
 * Field names whose values never reach a log line, at the top level or one object down.
 * Secrets are kept out of log calls in the first place; this is the net under that rule.
 */
const REDACTED_FIELDS = ["token", "password", "secret", "authorization", "apiKey", "networkKey"];
const REDACT_PATHS = REDACTED_FIELDS.flatMap((f) => [f, `*.${f}`]);

/**
 * Creates the root logger: JSON lines, ISO time, level as a string.
 * Components take children: `logger.child({ component: "bus" })`.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: options.base ?? null,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: "[redacted]" },
    },
    options.destination ?? pino.destination({ fd: 1, sync: false }),
  );
}

/** A logger that discards everything, for callers that were given none. */
export function silentLogger(): Logger {
  return pino({ level: "silent" });
}
