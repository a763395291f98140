import * as z from "zod";
import { type ErrorCode, HearthError } from "../../../errors.ts";
import { tieredSafeParse } from "../../util/tiered-parse.ts";
import type { Step } from "../compose.ts";
import type { CallState } from "../context.ts";

/** One zod issue as it goes out in `data.issues` (plain JSON: symbols in paths become strings). */
export interface ServiceIssue {
  path: (string | number)[];
  message: string;
  code: string;
}

/**
 * Parses params with `schema` (the handler gets the parsed value, defaults applied) and checks the result
 * against `result`. Either may be undefined; the registry leaves this step out when both are.
 *
 * The result is checked, never replaced: with result checks off in production, a transforming result
 * schema must not make production return something different from development.
 */
export function validation(schema: z.ZodType | undefined, result: z.ZodType | undefined): Step<CallState> {
  return async (ctx, next) => {
    if (schema !== undefined) {
      let parsed = safeParse(schema, ctx.params);
      if (parsed instanceof Promise) parsed = await parsed;
      if (!parsed.success) throw invalid("SERVICE_INVALID_PARAMS", "params", ctx.service.name, parsed.error);
      ctx.params = parsed.data;
    }
    const out = await next();
    if (result !== undefined) {
      let checked = safeParse(result, out);
      if (checked instanceof Promise) checked = await checked;
      if (!checked.success)
        throw invalid("SERVICE_INVALID_RESULT", "result", ctx.service.name, checked.error);
    }
    return out;
  };
}

export type Parsed = z.ZodSafeParseResult<unknown>;

// The sync parse is the common, cheaper case; a schema with async refinements makes zod throw, and
// only then do we pay for the async parse. Tiered: a service called a few times never compiles its
// schema's fast path.
export function safeParse(schema: z.ZodType, value: unknown): Parsed | Promise<Parsed> {
  try {
    return tieredSafeParse(schema, value);
  } catch (err) {
    if (err instanceof z.core.$ZodAsyncError) return schema.safeParseAsync(value);
    throw err;
  }
}

export function invalid(code: ErrorCode, what: string, name: string, error: z.ZodError): HearthError {
  const issues: ServiceIssue[] = error.issues.map((i) => ({
    path: i.path.map((p) => (typeof p === "symbol" ? String(p) : p)),
    message: i.message,
    code: i.code,
  }));
  const first = issues[0];
  const where =
    first === undefined
      ? ""
      : `: ${first.path.length > 0 ? `${first.path.join(".")}: ` : ""}${first.message}`;
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more)` : "";
  return new HearthError(code, `Invalid ${what} for service "${name}"${where}${more}`, {
    data: { name, issues },
  });
}
