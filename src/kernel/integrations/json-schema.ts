import { type ZodType, z } from "zod";
import { HearthError } from "../../errors.ts";

export interface ZodToJsonSchemaOptions {
  /**
   * `input` (default): the shape a user writes, so fields with defaults are optional — what a config
   * file needs. `output`: the parsed shape the plugin receives.
   */
  io?: "input" | "output";
}

/**
 * Turns a zod schema into a plain JSON Schema (draft 2020-12) object using zod 4's own
 * `z.toJSONSchema`. Parts JSON Schema cannot express (dates, transforms, custom checks) become `{}`
 * (anything) instead of throwing; the result is plain JSON, safe to persist. Throws INVALID_ARGUMENT
 * only for something that is not a zod schema.
 *
 * @example
 * zodToJsonSchema(z.object({ port: z.string(), baud: z.number().default(115200) }));
 * // → { type: "object", properties: { port: { type: "string" }, baud: { default: 115200, type: "number" } }, required: ["port"], … }
 */
export function zodToJsonSchema(
  schema: ZodType,
  options: ZodToJsonSchemaOptions = {},
): Record<string, unknown> {
  if (schema === null || typeof schema !== "object" || !("_zod" in schema)) {
    throw new HearthError("INVALID_ARGUMENT", "zodToJsonSchema takes a zod 4 schema");
  }
  let json: unknown;
  try {
    json = z.toJSONSchema(schema, { unrepresentable: "any", io: options.io ?? "input" });
  } catch {
    // Nothing representable could be salvaged: an unconstrained schema is still a valid answer.
    return {};
  }
  // Defaults are copied as-is (a Date, a bigint): one JSON round trip makes the result storable.
  const text = JSON.stringify(json, (_key, value: unknown) =>
    typeof value === "bigint" ? value.toString() : value,
  );
  return JSON.parse(text) as Record<string, unknown>;
}
