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
export function statePayload(d: Pick<DeviceView, "capabilities" | "state">): Record<string, unknown> {
  const out: Record<string, unknown> = { ...d.state.reported };
  if (typeof out.on_off === "boolean") out.state = out.on_off ? "ON" : "OFF";
  return out;
}
