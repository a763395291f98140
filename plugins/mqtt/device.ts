/** The parts of the devices module's public device view the plugin reads (see README "Devices"). */
export interface CapabilityView {
  name: string;
  kind: "boolean" | "number" | "color" | "action";
  commandable: boolean;
  unit?: string;
  min?: number;
  max?: number;
  actions?: string[];
}

export interface DeviceView {
  id: string;
  name: string;
  type: string;
  capabilities: CapabilityView[];
  owner: string;
  externalId: string;
  area: string | null;
  attributes: Record<string, unknown>;
  state: { desired: Record<string, unknown>; reported: Record<string, unknown>; pending: string[] };
  available: boolean;
}

/** What a node says of a device on `<base>/devices/<id>/info` (retained), enough to import it. */
export interface DeviceInfo {
  id: string;
  name: string;
  type: string;
  capabilities: { name: string; min?: number; max?: number; actions?: string[] }[];
  area: string | null;
  attributes: Record<string, unknown>;
}

export function infoOf(d: DeviceView): DeviceInfo {
  return {
    id: d.id,
    name: d.name,
    type: d.type,
    capabilities: d.capabilities.map((c) => ({
      name: c.name,
      ...(c.min === undefined ? {} : { min: c.min }),
      ...(c.max === undefined ? {} : { max: c.max }),
      ...(c.actions === undefined ? {} : { actions: c.actions }),
    })),
    area: d.area,
    attributes: d.attributes,
  };
}

/**
 * The retained state JSON: the reported state, plus `state: "ON" | "OFF"` for a device with `on_off`
 * (what Home Assistant's JSON-schema light reads).
 */
export function statePayload(
  d: Pick<DeviceView, "type" | "capabilities" | "state">,
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...d.state.reported };
  if (typeof out.on_off === "boolean") out.state = out.on_off ? "ON" : "OFF";
  const color = out.color as { hue?: unknown; saturation?: unknown } | undefined;
  // Home Assistant reads `color.h`/`color.s`; Hearth's own keys stay beside them.
  if (typeof color === "object" && color !== null)
    out.color = { ...color, h: color.hue, s: color.saturation };
  if (d.type === "light") {
    const names = new Set(d.capabilities.map((c) => c.name));
    const mode = names.has("color")
      ? names.has("color_temp")
        ? undefined
        : "hs"
      : names.has("color_temp")
        ? "color_temp"
        : names.has("brightness")
          ? "brightness"
          : "onoff";
    if (mode !== undefined) out.color_mode = mode;
  }
  return out;
}

/** A state message from another node, reduced to the device's capabilities in Hearth's own form. */
export function stateFromPayload(
  payload: Record<string, unknown>,
  capabilities: readonly { name: string }[],
) {
  const caps = new Set(capabilities.map((c) => c.name).filter((n) => n !== "action"));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(payload)) {
    if (!caps.has(k)) continue;
    if (k === "color" && typeof v === "object" && v !== null) {
      const { hue, saturation } = v as { hue?: unknown; saturation?: unknown };
      out.color = { hue, saturation };
    } else out[k] = v;
  }
  return out;
}
