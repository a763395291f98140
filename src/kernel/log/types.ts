import type { Logger as PinoLogger } from "pino";

/** The structured logger every component and plugin gets (a pino logger). */
export type Logger = PinoLogger;

export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface LoggerOptions {
  level?: LogLevel;
  /** Where JSON lines go; defaults to stdout (journald keeps it). Tests pass a memory stream. */
  destination?: { write(line: string): unknown };
  /** Fields added to every line. */
  base?: Record<string, unknown>;
}
