import { createLogger, type Logger } from "../../src/kernel/log/index.ts";

export interface CapturedLog {
  logger: Logger;
  /** Parsed JSON lines written so far. */
  lines: Record<string, unknown>[];
  /** Raw text written so far. */
  text(): string;
}

/** A real pino logger writing into memory, so tests can assert what was (and was not) logged. */
export function captureLog(level: "debug" | "info" | "warn" | "error" = "debug"): CapturedLog {
  const raw: string[] = [];
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger({
    level,
    destination: {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  });
  return { logger, lines, text: () => raw.join("") };
}
