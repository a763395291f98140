/**
 * Home Assistant MQTT discovery: which entities a Hearth device becomes, each a retained config on
 * `<prefix>/<component>/<nodeId>/<objectId>/config`. `ha-required.json` lists the keys Home Assistant
 * requires per component; the tests check every config built here against it.
 */
import type { DeviceView } from "./device.ts";

export interface DiscoveryContext {
  nodeId: string;
  prefix: string;
  /** This node's base topic. */
  base: string;
  version: string;
}

export interface DiscoveryEntry {
  component: string;
  topic: string;
  config: Record<string, unknown>;
}

const SENSOR: Record<string, { device_class: string; state_class: string; unit: string }> = {
  temperature: { device_class: "temperature", state_class: "measurement", unit: "°C" },
  humidity: { device_class: "humidity", state_class: "measurement", unit: "%" },
  pressure: { device_class: "atmospheric_pressure", state_class: "measurement", unit: "hPa" },
  illuminance: { device_class: "illuminance", state_class: "measurement", unit: "lx" },
  battery: { device_class: "battery", state_class: "measurement", unit: "%" },
  power: { device_class: "power", state_class: "measurement", unit: "W" },
  energy: { device_class: "energy", state_class: "total_increasing", unit: "kWh" },
  voltage: { device_class: "voltage", state_class: "measurement", unit: "V" },
};

/** `contact` is true when closed; Home Assistant's door sensor is "on" when open. */
const BINARY: Record<string, { device_class: string; invert: boolean }> = {
  motion: { device_class: "motion", invert: false },
  occupancy: { device_class: "occupancy", invert: false },
  contact: { device_class: "door", invert: true },
  water_leak: { device_class: "moisture", invert: false },
};

const TRIGGER_TYPES: Record<string, string> = {
  single: "button_short_press",
  double: "button_double_press",
  triple: "button_triple_press",
  hold: "button_long_press",
  long: "button_long_press",
  release: "button_long_release",
};

const objectIdOf = (s: string) => s.replace(/[^a-zA-Z0-9_-]/g, "_");

/** The node itself: a connectivity sensor that every device's `via_device` points at. */
export function nodeEntry(c: DiscoveryContext): DiscoveryEntry {
  const objectId = "node";
  return {
    component: "binary_sensor",
    topic: `${c.prefix}/binary_sensor/${c.nodeId}/${objectId}/config`,
    config: {
      name: "Connectivity",
      unique_id: `hearth_${c.nodeId}_node`,
      object_id: `hearth_${c.nodeId}`,
      device_class: "connectivity",
      entity_category: "diagnostic",
      state_topic: `${c.base}/status`,
      payload_on: "online",
      payload_off: "offline",
      device: {
        identifiers: [`hearth_${c.nodeId}`],
        name: `Hearth ${c.nodeId}`,
        manufacturer: "Hearth",
        model: "Hearth node",
        sw_version: c.version,
      },
      origin: { name: "Hearth", sw_version: c.version },
    },
  };
}

/** The entities of one device (none for a device with nothing Home Assistant can show). */
export function deviceEntries(d: DeviceView, c: DiscoveryContext): DiscoveryEntry[] {
  const devTopic = (leaf: string) => `${c.base}/devices/${d.id}/${leaf}`;
  const caps = new Map(d.capabilities.map((cap) => [cap.name, cap]));
  const str = (v: unknown) => (typeof v === "string" && v.length > 0 ? v : undefined);
  const device: Record<string, unknown> = {
    identifiers: [`hearth_${c.nodeId}_${d.id}`],
    name: d.name,
    manufacturer: str(d.attributes.manufacturer) ?? "Hearth",
    model: str(d.attributes.model) ?? d.type,
    via_device: `hearth_${c.nodeId}`,
  };
  if (str(d.attributes.firmware) !== undefined) device.sw_version = d.attributes.firmware;
  if (d.area !== null) device.suggested_area = d.area;
  const common = (suffix: string | null) => ({
    unique_id: `hearth_${c.nodeId}_${d.id}${suffix === null ? "" : `_${suffix}`}`,
    object_id: objectIdOf(`${d.id}${suffix === null ? "" : `_${suffix}`}`),
    availability: [{ topic: `${c.base}/status` }, { topic: devTopic("availability") }],
    availability_mode: "all",
    device,
    origin: { name: "Hearth", sw_version: c.version },
  });
  const out: DiscoveryEntry[] = [];
  const add = (component: string, suffix: string | null, config: Record<string, unknown>) => {
    const objectId = objectIdOf(suffix === null ? d.id : `${d.id}_${suffix}`);
    out.push({
      component,
      topic: `${c.prefix}/${component}/${c.nodeId}/${objectId}/config`,
      config: { ...common(suffix), ...config },
    });
  };

  if (caps.has("on_off") && d.type === "light") {
    const modes: string[] = [];
    if (caps.has("color")) modes.push("hs");
    if (caps.has("color_temp")) modes.push("color_temp");
    if (modes.length === 0) modes.push(caps.has("brightness") ? "brightness" : "onoff");
    const ct = caps.get("color_temp");
    add("light", null, {
      name: null,
      schema: "json",
      state_topic: devTopic("state"),
      command_topic: devTopic("set"),
      brightness: caps.has("brightness"),
      brightness_scale: 100,
      supported_color_modes: modes,
      ...(ct === undefined
        ? {}
        : { color_temp_kelvin: true, min_kelvin: ct.min ?? 2000, max_kelvin: ct.max ?? 6500 }),
    });
  } else if (caps.has("on_off")) {
    add("switch", null, {
      name: null,
      state_topic: devTopic("state"),
      command_topic: devTopic("set"),
      value_template: "{{ value_json.state }}",
      payload_on: '{"on_off":true}',
      payload_off: '{"on_off":false}',
      state_on: "ON",
      state_off: "OFF",
    });
  }
  if (caps.has("position")) {
    add("cover", null, {
      name: null,
      command_topic: devTopic("set"),
      position_topic: devTopic("state"),
      position_template: "{{ value_json.position }}",
      set_position_topic: devTopic("set"),
      set_position_template: '{"position": {{ position }} }',
      payload_open: '{"position":100}',
      payload_close: '{"position":0}',
      payload_stop: null,
    });
  }
  for (const [name, spec] of Object.entries(BINARY)) {
    if (!caps.has(name)) continue;
    const on = spec.invert ? "OFF" : "ON";
    const off = spec.invert ? "ON" : "OFF";
    add("binary_sensor", name, {
      name: spec.device_class === "door" ? "Door" : name[0]?.toUpperCase() + name.slice(1).replace("_", " "),
      device_class: spec.device_class,
      state_topic: devTopic("state"),
      value_template: `{{ '${on}' if value_json.${name} else '${off}' }}`,
    });
  }
  for (const [name, spec] of Object.entries(SENSOR)) {
    if (!caps.has(name)) continue;
    add("sensor", name, {
      name: name[0]?.toUpperCase() + name.slice(1),
      device_class: spec.device_class,
      state_class: spec.state_class,
      unit_of_measurement: spec.unit,
      state_topic: devTopic("state"),
      value_template: `{{ value_json.${name} }}`,
      ...(name === "battery" ? { entity_category: "diagnostic" } : {}),
    });
  }
  for (const action of caps.get("action")?.actions ?? []) {
    add("device_automation", `action_${action}`, {
      automation_type: "trigger",
      topic: devTopic("action"),
      payload: action,
      type: TRIGGER_TYPES[action] ?? action,
      subtype: "button_1",
    });
  }
  // A device trigger takes no availability, unique_id or object_id: keep only what it accepts.
  for (const e of out) {
    if (e.component !== "device_automation") continue;
    const { availability: _a, availability_mode: _m, unique_id: _u, object_id: _o, ...rest } = e.config;
    e.config = rest;
  }
  return out;
}
