/**
 * The gpio plugin's configuration (`plugins.gpio.config`): the pins that become devices. Checks that
 * need no hardware are made here (one of `line`/`pin`, unique ids, one use per line); the rest (a
 * header pin that is not a GPIO, a line the chip does not have) when the pins are opened.
 */
import type { z as Zod } from "zod";

export type LineSpec = number | { chip: string | number; offset: number };

interface PinCommon {
  /** The device's own id: the device becomes `gpio-<id>`. */
  id: string;
  name: string;
  area?: string;
  /** A BCM line on the Raspberry Pi header chip (`17`), or `{ chip, offset }`. */
  line?: LineSpec;
  /** A physical header pin (1-40), instead of `line`. */
  pin?: number;
  /** The pin is active when low (a button or reed switch to ground, most relay boards). */
  activeLow: boolean;
}

export interface InputPin extends PinCommon {
  role: "input";
  /** motion → `motion`, contact → `contact` (active = closed), button → `action: "single"` on each press. */
  kind: "motion" | "contact" | "button";
  debounceMs: number;
  bias: "as-is" | "disabled" | "pull-up" | "pull-down";
}

export interface OutputPin extends PinCommon {
  role: "output";
  kind: "switch" | "relay";
  /** The state set when the plugin starts. */
  initial: boolean;
  /** What the output is set to when the plugin stops: off, on, or left as it is. */
  safeState: "off" | "on" | "keep";
}

export type PinConfig = InputPin | OutputPin;

export interface GpioPluginConfig {
  pins: PinConfig[];
  /** How often every pin is read and reported (keeps devices available, catches a missed edge). */
  refreshMs: number;
}

/** A static key for a line as written in the config (`pin:11`, `line:17`, `chip:gpiochip0:17`). */
export function specKey(p: { line?: LineSpec; pin?: number }): string {
  if (p.pin !== undefined) return `pin:${p.pin}`;
  if (typeof p.line === "number") return `line:${p.line}`;
  return `chip:${p.line?.chip}:${p.line?.offset}`;
}

export function configSchema(z: typeof Zod): Zod.ZodType<GpioPluginConfig> {
  const common = {
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,47}$/, "1-48 of a-z, 0-9, _ and -, starting with a letter or digit"),
    name: z.string().trim().min(1).max(128),
    area: z
      .string()
      .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/)
      .optional(),
    line: z
      .union([
        z.int().min(0).max(1023),
        z.strictObject({
          chip: z.union([z.string().min(1), z.int().min(0)]),
          offset: z.int().min(0).max(1023),
        }),
      ])
      .optional(),
    pin: z.int().min(1).max(40).optional(),
    activeLow: z.boolean().default(false),
  };
  const input = z.strictObject({
    ...common,
    role: z.literal("input"),
    kind: z.enum(["motion", "contact", "button"]),
    debounceMs: z.int().min(0).max(10_000).default(50),
    bias: z.enum(["as-is", "disabled", "pull-up", "pull-down"]).default("as-is"),
  });
  const output = z.strictObject({
    ...common,
    role: z.literal("output"),
    kind: z.enum(["switch", "relay"]).default("switch"),
    initial: z.boolean().default(false),
    safeState: z.enum(["off", "on", "keep"]).default("off"),
  });
  return z
    .strictObject({
      pins: z
        .array(z.discriminatedUnion("role", [input, output]))
        .max(64)
        .default([]),
      refreshMs: z.int().min(1000).max(3_600_000).default(60_000),
    })
    .superRefine((config, ctx) => {
      const ids = new Map<string, number>();
      const lines = new Map<string, number>();
      config.pins.forEach((p, i) => {
        if ((p.line === undefined) === (p.pin === undefined)) {
          ctx.addIssue({
            code: "custom",
            path: ["pins", i],
            message: `pin "${p.id}" needs exactly one of "line" (a BCM line or { chip, offset }) and "pin" (a header pin)`,
          });
          return;
        }
        const sameId = ids.get(p.id);
        if (sameId !== undefined) {
          ctx.addIssue({
            code: "custom",
            path: ["pins", i, "id"],
            message: `id "${p.id}" is already used by pins[${sameId}]`,
          });
        }
        ids.set(p.id, i);
        const key = specKey(p);
        const sameLine = lines.get(key);
        if (sameLine !== undefined) {
          const other = config.pins[sameLine] as PinConfig;
          ctx.addIssue({
            code: "custom",
            path: ["pins", i],
            message:
              other.role === p.role
                ? `pin "${p.id}" uses the same line as "${other.id}"`
                : `pin "${p.id}" (${p.role}) and "${other.id}" (${other.role}) use one line: a line is an input or an output`,
          });
        }
        lines.set(key, i);
      });
    }) as unknown as Zod.ZodType<GpioPluginConfig>;
}
