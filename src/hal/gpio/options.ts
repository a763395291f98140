/** zod schemas for the GPIO port's inputs; everything from outside is parsed here first. */
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import type { GpioBias, GpioDirection, GpioEdge, GpioLineRef, GpioOpenOptions, GpioValue } from "./types.ts";

const chipRef = z.union([z.string().min(1).max(64), z.number().int().min(0).max(4096)]);

export const lineRefSchema = z.union([
  z.number().int().min(0).max(65535),
  z.strictObject({ chip: chipRef.optional(), offset: z.number().int().min(0).max(65535) }),
]);

export const openOptionsSchema = z
  .strictObject({
    direction: z.enum(["input", "output"]),
    edge: z.enum(["none", "rising", "falling", "both"]).default("none"),
    bias: z.enum(["as-is", "disabled", "pull-up", "pull-down"]).default("as-is"),
    debounceMs: z.number().min(0).max(60_000).default(0),
    activeLow: z.boolean().default(false),
    initial: z
      .union([z.literal(0), z.literal(1), z.boolean()])
      .default(0)
      .transform((v): GpioValue => (v === true || v === 1 ? 1 : 0)),
    consumer: z
      .string()
      .min(1)
      .max(31)
      .regex(/^[\x20-\x7e]+$/, "printable ASCII only")
      .optional(),
  })
  .refine((o) => o.direction === "input" || (o.edge === "none" && o.debounceMs === 0), {
    message: "edge and debounceMs apply to inputs only",
  });

/** Open options with every default filled in. */
export interface ResolvedOpenOptions {
  direction: GpioDirection;
  edge: GpioEdge;
  bias: GpioBias;
  debounceMs: number;
  activeLow: boolean;
  initial: GpioValue;
  consumer?: string | undefined;
}

/** Parses `input` with `schema` or throws INVALID_ARGUMENT naming each bad path. */
export function parseOrThrow<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  // Once per opened line: not worth building zod's compiled fast path for.
  const parsed = schema.safeParse(input, { jitless: true });
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const detail = issues.map((i) => `${i.path || "input"}: ${i.message}`).join("; ");
  throw new HearthError("INVALID_ARGUMENT", `Invalid ${what}: ${detail}`, { data: { issues } });
}

export function parseOpen(
  line: unknown,
  options: unknown,
): { ref: GpioLineRef; options: ResolvedOpenOptions } {
  return {
    ref: parseOrThrow(lineRefSchema, line, "GPIO line"),
    options: parseOrThrow(openOptionsSchema, options as GpioOpenOptions, "GPIO open options"),
  };
}
