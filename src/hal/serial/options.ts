/** Validation of serial open options (zod), with the defaults serialport uses. */
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { BAUD_RATES } from "./termios.ts";
import type { ResolvedSerialOptions, SerialOpenOptions } from "./types.ts";

const baudRate = z
  .number()
  .int()
  .refine((n) => BAUD_RATES.has(n), {
    message: `not a standard Linux baud rate (one of ${[...BAUD_RATES.keys()].join(", ")})`,
  });

const schema = z.strictObject({
  path: z.string().min(1).startsWith("/", "must be an absolute device path"),
  baudRate: baudRate.default(115200),
  dataBits: z.union([z.literal(5), z.literal(6), z.literal(7), z.literal(8)]).default(8),
  parity: z.enum(["none", "even", "odd", "mark", "space"]).default("none"),
  stopBits: z
    .union([z.literal(1), z.literal(2)], { message: "must be 1 or 2 (Linux has no 1.5)" })
    .default(1),
  rtscts: z.boolean().default(false),
  xon: z.boolean().default(false),
  xoff: z.boolean().default(false),
  xany: z.boolean().default(false),
  hupcl: z.boolean().default(true),
  lock: z.boolean().default(true),
});

const updateSchema = z.object({ baudRate });

function invalid(error: z.ZodError, what: string): HearthError {
  const issues = error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
  const detail = issues.map((i) => `${i.path || "options"}: ${i.message}`).join("; ");
  return new HearthError("SERIAL_CONFIG_INVALID", `Invalid serial ${what}: ${detail}`, { data: { issues } });
}

/** Validates open options and fills the defaults; throws SERIAL_CONFIG_INVALID with `data.issues`. */
export function resolveSerialOptions(input: SerialOpenOptions): ResolvedSerialOptions {
  // Once per opened port: not worth building zod's compiled fast path for.
  const parsed = schema.safeParse(input, { jitless: true });
  if (!parsed.success) throw invalid(parsed.error, "options");
  return parsed.data;
}

/** Validates a baud rate given to `update`. */
export function checkBaudRate(value: unknown): number {
  const parsed = updateSchema.safeParse({ baudRate: value });
  if (!parsed.success) throw invalid(parsed.error, "baud rate");
  return parsed.data.baudRate;
}
