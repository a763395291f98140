/**
 * Zigbee clusters → Hearth capabilities, without per-model converters: what an endpoint's input
 * clusters say a device can do, how attribute reports become state, and how state changes become
 * ZCL commands.
 */

/** The part of a herdsman endpoint the mapping reads. */
export interface EndpointLike {
  ID: number;
  inputClusters: number[];
  getClusterAttributeValue(cluster: string, attribute: string): unknown;
}

export type CapabilityInput = string | { name: string; min?: number; max?: number; actions?: string[] };

export interface DeviceShape {
  type: "light" | "switch" | "sensor" | "binary_sensor" | "button" | "other";
  capabilities: CapabilityInput[];
  /** Endpoint per capability (the first endpoint that has it). */
  endpointOf: Record<string, number>;
}

export const CLUSTER = {
  genPowerCfg: 0x0001,
  genOnOff: 0x0006,
  genLevelCtrl: 0x0008,
  genMultistateInput: 0x0012,
  lightingColorCtrl: 0x0300,
  msIlluminanceMeasurement: 0x0400,
  msTemperatureMeasurement: 0x0402,
  msRelativeHumidity: 0x0405,
  msOccupancySensing: 0x0406,
  ssIasZone: 0x0500,
  seMetering: 0x0702,
  haElectricalMeasurement: 0x0b04,
} as const;

/** IAS zone types (ZCL 8.2.2.2.1.3) → the capability their alarm 1 bit means. */
export function iasCapability(zoneType: unknown): "contact" | "motion" | "water_leak" | "occupancy" {
  switch (zoneType) {
    case 0x000d:
      return "motion";
    case 0x002a:
      return "water_leak";
    case 0x0015:
      return "contact";
    default:
      return typeof zoneType === "number" ? "occupancy" : "contact";
  }
}

const miredsToKelvin = (m: number) => Math.round(1_000_000 / Math.max(1, m));

/** What a device is, from its endpoints' input clusters. */
export function shapeOf(endpoints: EndpointLike[]): DeviceShape {
  const caps = new Map<string, CapabilityInput>();
  const endpointOf: Record<string, number> = {};
  const add = (cap: CapabilityInput, ep: number) => {
    const name = typeof cap === "string" ? cap : cap.name;
    if (caps.has(name)) return;
    caps.set(name, cap);
    endpointOf[name] = ep;
  };
  for (const ep of endpoints) {
    const has = (c: number) => ep.inputClusters.includes(c);
    if (has(CLUSTER.genOnOff)) add("on_off", ep.ID);
    if (has(CLUSTER.genLevelCtrl)) add("brightness", ep.ID);
    if (has(CLUSTER.lightingColorCtrl)) {
      const min = ep.getClusterAttributeValue("lightingColorCtrl", "colorTempPhysicalMin");
      const max = ep.getClusterAttributeValue("lightingColorCtrl", "colorTempPhysicalMax");
      const lo = typeof max === "number" && max > 0 ? Math.max(1000, miredsToKelvin(max)) : 2000;
      const hi = typeof min === "number" && min > 0 ? Math.min(10000, miredsToKelvin(min)) : 6500;
      add({ name: "color_temp", min: lo, max: hi }, ep.ID);
      const colorCaps = ep.getClusterAttributeValue("lightingColorCtrl", "colorCapabilities");
      if (typeof colorCaps === "number" && (colorCaps & 0x01) !== 0) add("color", ep.ID);
    }
    if (has(CLUSTER.msTemperatureMeasurement)) add("temperature", ep.ID);
    if (has(CLUSTER.msRelativeHumidity)) add("humidity", ep.ID);
    if (has(CLUSTER.msIlluminanceMeasurement)) add("illuminance", ep.ID);
    if (has(CLUSTER.msOccupancySensing)) add("occupancy", ep.ID);
    if (has(CLUSTER.ssIasZone))
      add(iasCapability(ep.getClusterAttributeValue("ssIasZone", "zoneType")), ep.ID);
    if (has(CLUSTER.genPowerCfg)) add("battery", ep.ID);
    if (has(CLUSTER.seMetering)) add("energy", ep.ID);
    if (has(CLUSTER.haElectricalMeasurement)) {
      add("power", ep.ID);
      add("voltage", ep.ID);
    }
    if (has(CLUSTER.genMultistateInput))
      add({ name: "action", actions: ["hold", "single", "double", "triple"] }, ep.ID);
  }
  const names = new Set(caps.keys());
  const type: DeviceShape["type"] =
    names.has("on_off") && (names.has("brightness") || names.has("color_temp") || names.has("color"))
      ? "light"
      : names.has("on_off")
        ? "switch"
        : ["contact", "motion", "occupancy", "water_leak"].some((c) => names.has(c))
          ? "binary_sensor"
          : ["temperature", "humidity", "illuminance", "power", "energy"].some((c) => names.has(c))
            ? "sensor"
            : names.has("action")
              ? "button"
              : "other";
  return { type, capabilities: [...caps.values()], endpointOf };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * State from one herdsman message (`attributeReport`, `readResponse`, IAS commands). `iasCap` is the
 * device's IAS capability. Values are plain numbers and booleans (a bigint never reaches JSON).
 */
export function stateFromMessage(
  type: string,
  cluster: string,
  data: Record<string, unknown>,
  iasCap: string | undefined,
): Record<string, unknown> {
  const n = (v: unknown): number | undefined =>
    typeof v === "number" ? v : typeof v === "bigint" ? Number(v) : undefined;
  const out: Record<string, unknown> = {};
  if (type === "commandStatusChangeNotification" && cluster === "ssIasZone") {
    const status = n(data.zonestatus);
    if (status !== undefined) Object.assign(out, iasState(iasCap, status));
    return out;
  }
  if (
    type === "commandMultistateAction" ||
    (cluster === "genMultistateInput" && data.presentValue !== undefined)
  ) {
    const v = n(data.presentValue);
    const actions = ["hold", "single", "double", "triple"];
    if (v !== undefined && actions[v] !== undefined) out.action = actions[v];
    return out;
  }
  if (type !== "attributeReport" && type !== "readResponse") return out;
  const v = (k: string) => n(data[k]);
  switch (cluster) {
    case "genOnOff":
      if (data.onOff !== undefined) out.on_off = data.onOff === 1 || data.onOff === true;
      break;
    case "genLevelCtrl": {
      const level = v("currentLevel");
      if (level !== undefined) out.brightness = Math.round((Math.min(254, level) * 100) / 254);
      break;
    }
    case "lightingColorCtrl": {
      const m = v("colorTemperature");
      if (m !== undefined && m > 0) out.color_temp = miredsToKelvin(m);
      const hue = v("currentHue");
      const sat = v("currentSaturation");
      if (hue !== undefined && sat !== undefined) {
        out.color = { hue: Math.round((hue * 360) / 254), saturation: Math.round((sat * 100) / 254) };
      }
      break;
    }
    case "msTemperatureMeasurement":
      if (v("measuredValue") !== undefined) out.temperature = round1((v("measuredValue") as number) / 100);
      break;
    case "msRelativeHumidity":
      if (v("measuredValue") !== undefined) out.humidity = round1((v("measuredValue") as number) / 100);
      break;
    case "msIlluminanceMeasurement": {
      const raw = v("measuredValue");
      if (raw !== undefined) out.illuminance = raw === 0 ? 0 : Math.round(10 ** ((raw - 1) / 10000));
      break;
    }
    case "msOccupancySensing":
      if (v("occupancy") !== undefined) out.occupancy = ((v("occupancy") as number) & 1) === 1;
      break;
    case "ssIasZone":
      if (v("zoneStatus") !== undefined) Object.assign(out, iasState(iasCap, v("zoneStatus") as number));
      break;
    case "genPowerCfg": {
      const pct = v("batteryPercentageRemaining");
      if (pct !== undefined && pct !== 0xff) out.battery = Math.min(100, Math.round(pct / 2));
      break;
    }
    case "seMetering": {
      const e = v("currentSummDelivered");
      if (e !== undefined) out.energy = round1(e / 1000);
      break;
    }
    case "haElectricalMeasurement":
      if (v("activePower") !== undefined) out.power = v("activePower");
      if (v("rmsVoltage") !== undefined) out.voltage = v("rmsVoltage");
      break;
  }
  return out;
}

function iasState(cap: string | undefined, status: number): Record<string, unknown> {
  const alarm = (status & 0x01) !== 0;
  const out: Record<string, unknown> = {};
  // A contact sensor's alarm means "open": Hearth's `contact` is true when closed.
  if (cap === "contact" || cap === undefined) out.contact = !alarm;
  else out[cap] = alarm;
  if ((status & 0x08) !== 0) out.battery_low = true;
  return out;
}

/** One ZCL command to send for a state change. */
export interface ZclCommand {
  capability: string;
  cluster: string;
  command: string;
  payload: Record<string, unknown>;
}

/** ZCL commands for the requested changes (unknown capabilities are skipped by the caller). */
export function commandsFor(changes: Record<string, unknown>): ZclCommand[] {
  const out: ZclCommand[] = [];
  const { on_off, brightness, color_temp, color } = changes;
  if (typeof brightness === "number") {
    const level = Math.round((Math.max(0, Math.min(100, brightness)) * 254) / 100);
    out.push({
      capability: "brightness",
      cluster: "genLevelCtrl",
      command: on_off === false ? "moveToLevel" : "moveToLevelWithOnOff",
      payload: { level, transtime: 0 },
    });
  }
  if (typeof on_off === "boolean" && !(on_off && typeof brightness === "number")) {
    out.unshift({ capability: "on_off", cluster: "genOnOff", command: on_off ? "on" : "off", payload: {} });
  }
  if (typeof color_temp === "number") {
    out.push({
      capability: "color_temp",
      cluster: "lightingColorCtrl",
      command: "moveToColorTemp",
      payload: { colortemp: Math.round(1_000_000 / color_temp), transtime: 0 },
    });
  }
  if (color !== null && typeof color === "object") {
    const { hue, saturation } = color as { hue?: number; saturation?: number };
    out.push({
      capability: "color",
      cluster: "lightingColorCtrl",
      command: "moveToHueAndSaturation",
      payload: {
        hue: Math.round(((hue ?? 0) * 254) / 360),
        saturation: Math.round(((saturation ?? 0) * 254) / 100),
        transtime: 0,
      },
    });
  }
  return out;
}

/** Attribute reporting to configure after an interview, per cluster. */
export const REPORTING: Record<string, { attribute: string; min: number; max: number; change: number }[]> = {
  genOnOff: [{ attribute: "onOff", min: 0, max: 3600, change: 0 }],
  genLevelCtrl: [{ attribute: "currentLevel", min: 1, max: 3600, change: 1 }],
  lightingColorCtrl: [{ attribute: "colorTemperature", min: 1, max: 3600, change: 1 }],
  msTemperatureMeasurement: [{ attribute: "measuredValue", min: 10, max: 3600, change: 10 }],
  msRelativeHumidity: [{ attribute: "measuredValue", min: 10, max: 3600, change: 100 }],
  msIlluminanceMeasurement: [{ attribute: "measuredValue", min: 10, max: 3600, change: 500 }],
  msOccupancySensing: [{ attribute: "occupancy", min: 0, max: 3600, change: 0 }],
  genPowerCfg: [{ attribute: "batteryPercentageRemaining", min: 3600, max: 43200, change: 2 }],
  haElectricalMeasurement: [{ attribute: "activePower", min: 5, max: 3600, change: 1 }],
  seMetering: [{ attribute: "currentSummDelivered", min: 10, max: 3600, change: 1 }],
};
