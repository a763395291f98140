/**
 * zod compiles an object schema's parser (`new Function`) on its first synchronous parse. Measured on
 * x64 (a device record): the compile costs 1.5–2.5 ms, the compiled parser saves 2–4 µs per parse,
 * so it pays only after several hundred parses. Through `tieredSafeParse` a schema runs zod's plain
 * parser for its first `TIER_UP` parses and the compiled one after: what start-up parses once or a
 * few times (stored records, a plugin's announces) never pays the compile, a hot schema (a sensor's
 * reports, a busy service) still gets it.
 */
import type { z } from "zod";

export const TIER_UP = 256;

const JITLESS = { jitless: true } as const;
const parses = new WeakMap<object, number>();

/** `schema.safeParse(value)`, without zod's compiled fast path for this schema's first TIER_UP parses. */
export function tieredSafeParse<S extends z.ZodType>(
  schema: S,
  value: unknown,
): z.ZodSafeParseResult<z.output<S>> {
  const n = parses.get(schema) ?? 0;
  if (n >= TIER_UP) return schema.safeParse(value);
  parses.set(schema, n + 1);
  return schema.safeParse(value, JITLESS);
}
