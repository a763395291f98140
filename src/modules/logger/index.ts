import { z } from "zod";
import { defineModule } from "../../kernel/modules/index.ts";
import type { DefinedModule } from "../../kernel/modules/types.ts";

const MAX_FIELDS_CHARS = 8192;
// Keys that would spoof or garble what pino and the runtime put on every line.
const RESERVED_FIELDS = new Set(["level", "time", "msg", "module", "source", "component", "plugin"]);

/** Params of the `logger.log` service. */
export const logParamsSchema = z.object({
  level: z.enum(["debug", "info", "warn", "error"]),
  message: z.string().min(1).max(2000),
  fields: z
    .record(z.string(), z.unknown())
    .optional()
    .refine((fields) => fields === undefined || jsonLength(fields) <= MAX_FIELDS_CHARS, {
      message: `fields must be plain JSON of at most ${MAX_FIELDS_CHARS} characters`,
    }),
});

export type LogParams = z.infer<typeof logParamsSchema>;

/**
 * The required `logger` module: registers the `logger.log` service, through which plugins, the admin
 * API and scripts write to the runtime's structured log. Lines carry `{ module: "logger" }` and, when
 * the call names its caller, `{ source: <caller> }`.
 *
 * @example
 * await services.call("logger.log", { level: "info", message: "door opened", fields: { door: "front" } });
 */
export function createLoggerModule(): DefinedModule {
  return defineModule({
    name: "logger",
    required: true,
    register(ctx) {
      ctx.services.register<LogParams, void>(
        "logger.log",
        (params, call) => {
          const log = call.caller === undefined ? ctx.log : ctx.log.child({ source: call.caller });
          log[params.level](safeFields(params.fields), params.message);
        },
        {
          owner: "logger",
          schema: logParamsSchema,
          description: "Writes one structured line to the runtime log.",
        },
      );
    },
  });
}

function safeFields(fields: Record<string, unknown> | undefined): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (fields === undefined) return out;
  for (const [key, value] of Object.entries(fields)) {
    if (!RESERVED_FIELDS.has(key)) out[key] = value;
  }
  return out;
}

function jsonLength(value: unknown): number {
  try {
    return JSON.stringify(value)?.length ?? Number.POSITIVE_INFINITY;
  } catch {
    // Cycles and bigints cannot be logged as JSON.
    return Number.POSITIVE_INFINITY;
  }
}
