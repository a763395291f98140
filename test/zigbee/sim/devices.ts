/**
 * Simulated Zigbee devices: endpoints with clusters and typed attributes, and how each answers the
 * cluster commands it supports (a bulb turning on, dimming; an IAS zone enrolling).
 */
import { ZclType, type ZclValue } from "./zcl.ts";

export interface SimAttribute {
  type: number;
  value: ZclValue;
}

export interface SimEndpoint {
  id: number;
  profileId: number;
  deviceId: number;
  inClusters: number[];
  outClusters: number[];
  /** cluster id → attribute id → attribute. */
  attributes: Map<number, Map<number, SimAttribute>>;
}

export type SimDeviceKind = "bulb" | "motion" | "contact" | "climate";
export const SIM_DEVICE_KINDS: SimDeviceKind[] = ["bulb", "motion", "contact", "climate"];

export interface SimDevice {
  kind: SimDeviceKind;
  ieee: string;
  nwk: number;
  /** Router (mains) or end device (battery). */
  router: boolean;
  endpoints: SimEndpoint[];
  /** Out of range or powered off: frames to it get no MAC ack and no answer. */
  unreachable?: boolean;
}

export const Cluster = {
  BASIC: 0x0000,
  POWER_CFG: 0x0001,
  IDENTIFY: 0x0003,
  GROUPS: 0x0004,
  SCENES: 0x0005,
  ON_OFF: 0x0006,
  LEVEL: 0x0008,
  COLOR: 0x0300,
  ILLUMINANCE: 0x0400,
  TEMPERATURE: 0x0402,
  HUMIDITY: 0x0405,
  OCCUPANCY: 0x0406,
  IAS_ZONE: 0x0500,
} as const;

const HA = 0x0104;

function attrs(
  spec: Record<number, Record<number, [number, ZclValue]>>,
): Map<number, Map<number, SimAttribute>> {
  const out = new Map<number, Map<number, SimAttribute>>();
  for (const [cluster, list] of Object.entries(spec)) {
    const m = new Map<number, SimAttribute>();
    for (const [id, [type, value]] of Object.entries(list)) m.set(Number(id), { type, value });
    out.set(Number(cluster), m);
  }
  return out;
}

function basic(model: string, powerSource: number): Record<number, [number, ZclValue]> {
  return {
    0: [ZclType.UINT8, 3],
    1: [ZclType.UINT8, 1],
    2: [ZclType.UINT8, 1],
    3: [ZclType.UINT8, 1],
    4: [ZclType.CHAR_STR, "Hearth Sim"],
    5: [ZclType.CHAR_STR, model],
    6: [ZclType.CHAR_STR, "20261201"],
    7: [ZclType.ENUM8, powerSource],
    16384: [ZclType.CHAR_STR, "1.0.0"],
  };
}

const battery = { 32: [ZclType.UINT8, 30], 33: [ZclType.UINT8, 200] } as Record<number, [number, ZclValue]>;

function ias(zoneType: number): Record<number, [number, ZclValue]> {
  return {
    0: [ZclType.ENUM8, 0],
    1: [ZclType.ENUM16, zoneType],
    2: [ZclType.BITMAP16, 0],
    16: [ZclType.IEEE, "0x0000000000000000"],
    17: [ZclType.UINT8, 0xff],
  };
}

/** A new device of `kind` with the given addresses. */
export function createSimDevice(kind: SimDeviceKind, ieee: string, nwk: number): SimDevice {
  const C = Cluster;
  switch (kind) {
    case "bulb":
      return {
        kind,
        ieee,
        nwk,
        router: true,
        endpoints: [
          {
            id: 11,
            profileId: HA,
            deviceId: 0x010c,
            inClusters: [C.BASIC, C.IDENTIFY, C.GROUPS, C.SCENES, C.ON_OFF, C.LEVEL, C.COLOR],
            outClusters: [],
            attributes: attrs({
              [C.BASIC]: basic("SIM-BULB-CT", 1),
              [C.ON_OFF]: { 0: [ZclType.BOOL, false] },
              [C.LEVEL]: { 0: [ZclType.UINT8, 254] },
              [C.COLOR]: {
                7: [ZclType.UINT16, 370],
                8: [ZclType.ENUM8, 2],
                16394: [ZclType.BITMAP16, 0x0010],
                16395: [ZclType.UINT16, 153],
                16396: [ZclType.UINT16, 500],
              },
            }),
          },
        ],
      };
    case "motion":
      return {
        kind,
        ieee,
        nwk,
        router: false,
        endpoints: [
          {
            id: 1,
            profileId: HA,
            deviceId: 0x0107,
            inClusters: [C.BASIC, C.POWER_CFG, C.IDENTIFY, C.OCCUPANCY, C.ILLUMINANCE],
            outClusters: [C.ON_OFF],
            attributes: attrs({
              [C.BASIC]: basic("SIM-MOTION", 3),
              [C.POWER_CFG]: battery,
              [C.OCCUPANCY]: { 0: [ZclType.BITMAP8, 0], 1: [ZclType.ENUM8, 0] },
              [C.ILLUMINANCE]: { 0: [ZclType.UINT16, 20000] },
            }),
          },
        ],
      };
    case "contact":
      return {
        kind,
        ieee,
        nwk,
        router: false,
        endpoints: [
          {
            id: 1,
            profileId: HA,
            deviceId: 0x0402,
            inClusters: [C.BASIC, C.POWER_CFG, C.IDENTIFY, C.IAS_ZONE],
            outClusters: [],
            attributes: attrs({
              [C.BASIC]: basic("SIM-CONTACT", 3),
              [C.POWER_CFG]: battery,
              [C.IAS_ZONE]: ias(0x0015),
            }),
          },
        ],
      };
    case "climate":
      return {
        kind,
        ieee,
        nwk,
        router: false,
        endpoints: [
          {
            id: 1,
            profileId: HA,
            deviceId: 0x0302,
            inClusters: [C.BASIC, C.POWER_CFG, C.IDENTIFY, C.TEMPERATURE, C.HUMIDITY],
            outClusters: [],
            attributes: attrs({
              [C.BASIC]: basic("SIM-CLIMATE", 3),
              [C.POWER_CFG]: battery,
              [C.TEMPERATURE]: { 0: [ZclType.INT16, 2150] },
              [C.HUMIDITY]: { 0: [ZclType.UINT16, 4500] },
            }),
          },
        ],
      };
  }
}

/** What a cluster command did: attributes that changed (reported back), or false when unsupported. */
export type CommandEffect = { changed: Array<[number, number]> } | false;

function set(
  ep: SimEndpoint,
  cluster: number,
  attr: number,
  value: ZclValue,
  changed: Array<[number, number]>,
) {
  const a = ep.attributes.get(cluster)?.get(attr);
  if (a === undefined) return;
  if (a.value !== value) {
    a.value = value;
    changed.push([cluster, attr]);
  }
}

/**
 * Applies a cluster-specific command (client to server) to an endpoint. `payload` is the command's
 * bytes after the ZCL header.
 */
export function applyCommand(
  ep: SimEndpoint,
  cluster: number,
  command: number,
  payload: Uint8Array,
): CommandEffect {
  const changed: Array<[number, number]> = [];
  const onOff = (on: boolean) => set(ep, Cluster.ON_OFF, 0, on, changed);
  const u16 = (i: number) => (payload[i] ?? 0) | ((payload[i + 1] ?? 0) << 8);
  if (!ep.inClusters.includes(cluster)) return false;
  switch (cluster) {
    case Cluster.ON_OFF: {
      const current = ep.attributes.get(Cluster.ON_OFF)?.get(0)?.value === true;
      if (command === 0x00) onOff(false);
      else if (command === 0x01) onOff(true);
      else if (command === 0x02) onOff(!current);
      else return false;
      return { changed };
    }
    case Cluster.LEVEL: {
      // moveToLevel (0x00) / moveToLevelWithOnOff (0x04): level u8, transition u16.
      if (command !== 0x00 && command !== 0x04) return false;
      const level = payload[0] ?? 0;
      set(ep, Cluster.LEVEL, 0, level, changed);
      if (command === 0x04) onOff(level > 0);
      return { changed };
    }
    case Cluster.COLOR: {
      // moveToColorTemp (0x0a): mireds u16, transition u16.
      if (command !== 0x0a) return false;
      set(ep, Cluster.COLOR, 0x0007, u16(0), changed);
      set(ep, Cluster.COLOR, 0x0008, 2, changed);
      return { changed };
    }
    case Cluster.IAS_ZONE: {
      // zoneEnrollResponse (0x00): code u8, zone id u8 → enrolled.
      if (command !== 0x00) return false;
      set(ep, Cluster.IAS_ZONE, 0x0000, 1, changed);
      set(ep, Cluster.IAS_ZONE, 0x0011, payload[1] ?? 0, changed);
      return { changed: [] };
    }
    case Cluster.IDENTIFY:
    case Cluster.GROUPS:
    case Cluster.SCENES:
      return { changed };
    default:
      return false;
  }
}
