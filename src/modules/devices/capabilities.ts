/**
 * The one capability vocabulary: what a device can report or be told, each with its value type, unit,
 * range and whether it can be commanded. State keys are capability names.
 */
import { z } from "zod";

export const DEVICE_TYPES = [
  "light",
  "switch",
  "sensor",
  "binary_sensor",
  "cover",
  "button",
  "other",
] as const;
export type DeviceType = (typeof DEVICE_TYPES)[number];

export type CapabilityKind = "boolean" | "number" | "color" | "action";

interface Vocabulary {
  kind: CapabilityKind;
  unit?: string;
  min?: number;
  max?: number;
  /** Whether `devices.command` may set it. */
  commandable: boolean;
  /** Integer values only. */
  integer?: boolean;
}

const bool = (commandable = false): Vocabulary => ({ kind: "boolean", commandable });
const num = (unit: string, min?: number, max?: number, commandable = false): Vocabulary => ({
  kind: "number",
  unit,
  ...(min === undefined ? {} : { min }),
  ...(max === undefined ? {} : { max }),
  commandable,
});

export const CAPABILITIES = {
  on_off: bool(true),
  brightness: num("%", 0, 100, true),
  color_temp: { ...num("K", 1000, 10000, true), integer: true },
  color: { kind: "color", commandable: true },
  position: num("%", 0, 100, true),
  temperature: num("°C", -273.15),
  humidity: num("%", 0, 100),
  pressure: num("hPa", 0),
  illuminance: num("lx", 0),
  /** true = closed. */
  contact: bool(),
  motion: bool(),
  occupancy: bool(),
  water_leak: bool(),
  battery: num("%", 0, 100),
  power: num("W"),
  energy: num("kWh", 0),
  voltage: num("V", 0),
  /** Button events; published as `device.action`, never stored as state. */
  action: { kind: "action", commandable: false },
} as const satisfies Record<string, Vocabulary>;

export type CapabilityName = keyof typeof CAPABILITIES;
export const CAPABILITY_NAMES = Object.keys(CAPABILITIES) as CapabilityName[];

/** A capability as a device has it: the vocabulary entry, narrowed by the device where it said so. */
export interface Capability {
  name: CapabilityName;
  kind: CapabilityKind;
  commandable: boolean;
  unit?: string;
  min?: number;
  max?: number;
  /** For `action`: the events the device sends (`single`, `double`, `hold`, …). */
  actions?: string[];
}

const ACTION = z.string().regex(/^[a-z][a-z0-9_]{0,31}$/, "an action name of [a-z0-9_], 1-32 chars");

/** What `devices.announce` takes per capability: a name, or a name with a narrower range. */
export const CapabilityInput = z.union([
  z.enum(CAPABILITY_NAMES as [CapabilityName, ...CapabilityName[]]),
  z.strictObject({
    name: z.enum(CAPABILITY_NAMES as [CapabilityName, ...CapabilityName[]]),
    min: z.number().finite().optional(),
    max: z.number().finite().optional(),
    actions: z.array(ACTION).max(32).optional(),
  }),
]);
export type CapabilityInput = z.infer<typeof CapabilityInput>;

/** The device's capabilities from what it announced; a range may only narrow the vocabulary's. */
export function resolveCapabilities(input: readonly CapabilityInput[]): {
  capabilities: Capability[];
  issues: { path: (string | number)[]; message: string }[];
} {
  const capabilities: Capability[] = [];
  const issues: { path: (string | number)[]; message: string }[] = [];
  const seen = new Set<string>();
  input.forEach((item, i) => {
    const spec = typeof item === "string" ? { name: item } : item;
    const base: Vocabulary = CAPABILITIES[spec.name];
    if (seen.has(spec.name)) {
      issues.push({ path: ["capabilities", i], message: `"${spec.name}" is declared twice` });
      return;
    }
    seen.add(spec.name);
    const cap: Capability = { name: spec.name, kind: base.kind, commandable: base.commandable };
    if (base.unit !== undefined) cap.unit = base.unit;
    const min = "min" in spec && spec.min !== undefined ? spec.min : base.min;
    const max = "max" in spec && spec.max !== undefined ? spec.max : base.max;
    if (("min" in spec && spec.min !== undefined) || ("max" in spec && spec.max !== undefined)) {
      if (base.kind !== "number") {
        issues.push({ path: ["capabilities", i], message: `"${spec.name}" has no range` });
        return;
      }
      if (
        (base.min !== undefined && min !== undefined && min < base.min) ||
        (base.max !== undefined && max !== undefined && max > base.max)
      ) {
        issues.push({
          path: ["capabilities", i],
          message: `"${spec.name}" may only narrow its range (${base.min ?? "-∞"}..${base.max ?? "∞"})`,
        });
        return;
      }
      if (min !== undefined && max !== undefined && min > max) {
        issues.push({ path: ["capabilities", i], message: `"${spec.name}": min is above max` });
        return;
      }
    }
    if (min !== undefined) cap.min = min;
    if (max !== undefined) cap.max = max;
    if ("actions" in spec && spec.actions !== undefined) {
      if (base.kind !== "action") {
        issues.push({ path: ["capabilities", i], message: `only "action" lists actions` });
        return;
      }
      cap.actions = [...new Set(spec.actions)];
    }
    capabilities.push(cap);
  });
  return { capabilities, issues };
}

const COLOR = z.strictObject({
  hue: z.number().min(0).max(360),
  saturation: z.number().min(0).max(100),
});

/**
 * Checks one value for one capability of a device; returns the problem, or undefined when the value
 * fits (type, integer-ness, the device's range, a known action).
 */
export function checkValue(cap: Capability, value: unknown): string | undefined {
  switch (cap.kind) {
    case "boolean":
      return typeof value === "boolean" ? undefined : "expected a boolean";
    case "number": {
      if (typeof value !== "number" || !Number.isFinite(value)) return "expected a number";
      if (
        CAPABILITIES[cap.name].kind === "number" &&
        (CAPABILITIES[cap.name] as Vocabulary).integer &&
        !Number.isInteger(value)
      )
        return "expected an integer";
      if (cap.min !== undefined && value < cap.min) return `below the minimum ${cap.min}${cap.unit ?? ""}`;
      if (cap.max !== undefined && value > cap.max) return `above the maximum ${cap.max}${cap.unit ?? ""}`;
      return undefined;
    }
    case "color": {
      const r = COLOR.safeParse(value);
      return r.success ? undefined : "expected { hue: 0-360, saturation: 0-100 }";
    }
    case "action": {
      if (typeof value !== "string" || !ACTION.safeParse(value).success) return "expected an action name";
      if (cap.actions !== undefined && !cap.actions.includes(value))
        return `not one of ${cap.actions.join(", ")}`;
      return undefined;
    }
  }
}

/** Deep equality of two JSON values (state values are small: booleans, numbers, a colour). */
export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
