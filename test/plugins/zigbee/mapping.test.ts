/** plugins/zigbee/mapping.ts: clusters → capabilities, messages → state, state changes → ZCL commands. */
import { describe, expect, it } from "bun:test";
import {
  CLUSTER,
  commandsFor,
  type EndpointLike,
  iasCapability,
  REPORTING,
  shapeOf,
  stateFromMessage,
} from "../../../plugins/zigbee/mapping.ts";

/** An endpoint with these input clusters and these cached attribute values (`cluster.attr`). */
function ep(ID: number, clusters: number[], attrs: Record<string, unknown> = {}): EndpointLike {
  return {
    ID,
    inputClusters: clusters,
    getClusterAttributeValue: (cluster, attribute) => attrs[`${cluster}.${attribute}`],
  };
}
const names = (endpoints: EndpointLike[]) =>
  shapeOf(endpoints).capabilities.map((c) => (typeof c === "string" ? c : c.name));

describe("shapeOf: clusters → capabilities", () => {
  it("makes a colour-temperature bulb a light with its physical range in kelvin", () => {
    const shape = shapeOf([
      ep(11, [0x0000, CLUSTER.genOnOff, CLUSTER.genLevelCtrl, CLUSTER.lightingColorCtrl], {
        "lightingColorCtrl.colorTempPhysicalMin": 153,
        "lightingColorCtrl.colorTempPhysicalMax": 500,
        "lightingColorCtrl.colorCapabilities": 0x10,
      }),
    ]);
    expect(shape.type).toBe("light");
    expect(shape.capabilities).toEqual([
      "on_off",
      "brightness",
      { name: "color_temp", min: 2000, max: 6536 },
    ]);
    expect(shape.endpointOf).toEqual({ on_off: 11, brightness: 11, color_temp: 11 });
  });

  it("adds colour when the colour capabilities say hue/saturation, and uses defaults without a range", () => {
    const shape = shapeOf([
      ep(1, [CLUSTER.genOnOff, CLUSTER.lightingColorCtrl], { "lightingColorCtrl.colorCapabilities": 0x19 }),
    ]);
    expect(shape.capabilities).toEqual(["on_off", { name: "color_temp", min: 2000, max: 6500 }, "color"]);
  });

  it("makes a plug with on/off only a switch, with power, voltage and energy", () => {
    const plug = [ep(1, [CLUSTER.genOnOff, CLUSTER.seMetering, CLUSTER.haElectricalMeasurement])];
    expect(shapeOf(plug).type).toBe("switch");
    expect(names(plug)).toEqual(["on_off", "energy", "power", "voltage"]);
  });

  it("names the IAS zone capability from the zone type", () => {
    const zone = (zoneType: unknown) =>
      names([ep(1, [CLUSTER.ssIasZone], { "ssIasZone.zoneType": zoneType })]);
    expect(zone(0x0015)).toEqual(["contact"]);
    expect(zone(0x000d)).toEqual(["motion"]);
    expect(zone(0x002a)).toEqual(["water_leak"]);
    expect(zone(0x0028)).toEqual(["occupancy"]);
    // Not read yet: a contact sensor is the most common IAS device.
    expect(zone(undefined)).toEqual(["contact"]);
    expect(iasCapability("x")).toBe("contact");
    expect(shapeOf([ep(1, [CLUSTER.ssIasZone, CLUSTER.genPowerCfg])]).type).toBe("binary_sensor");
  });

  it("makes a climate sensor a sensor and a multistate input a button", () => {
    expect(
      shapeOf([ep(1, [CLUSTER.msTemperatureMeasurement, CLUSTER.msRelativeHumidity, CLUSTER.genPowerCfg])]),
    ).toMatchObject({ type: "sensor", capabilities: ["temperature", "humidity", "battery"] });
    expect(shapeOf([ep(1, [CLUSTER.genMultistateInput])])).toMatchObject({
      type: "button",
      capabilities: [{ name: "action", actions: ["hold", "single", "double", "triple"] }],
    });
    expect(shapeOf([ep(1, [0x0000, 0x0003])]).type).toBe("other");
  });

  it("keeps the first endpoint that has a capability", () => {
    const shape = shapeOf([ep(1, [CLUSTER.genOnOff]), ep(2, [CLUSTER.genOnOff, CLUSTER.genLevelCtrl])]);
    expect(shape.endpointOf).toEqual({ on_off: 1, brightness: 2 });
    expect(shape.capabilities).toEqual(["on_off", "brightness"]);
  });
});

describe("stateFromMessage: reports → state", () => {
  const report = (cluster: string, data: Record<string, unknown>, ias?: string) =>
    stateFromMessage("attributeReport", cluster, data, ias);

  it("maps on/off, level (0-254 → 0-100 %) and colour temperature (mireds → K)", () => {
    expect(report("genOnOff", { onOff: 1 })).toEqual({ on_off: true });
    expect(report("genOnOff", { onOff: 0 })).toEqual({ on_off: false });
    expect(report("genLevelCtrl", { currentLevel: 254 })).toEqual({ brightness: 100 });
    expect(report("genLevelCtrl", { currentLevel: 102 })).toEqual({ brightness: 40 });
    expect(report("genLevelCtrl", { currentLevel: 255 })).toEqual({ brightness: 100 });
    expect(report("lightingColorCtrl", { colorTemperature: 370 })).toEqual({ color_temp: 2703 });
    expect(report("lightingColorCtrl", { currentHue: 127, currentSaturation: 254 })).toEqual({
      color: { hue: 180, saturation: 100 },
    });
  });

  it("scales measurements as ZCL defines them", () => {
    expect(report("msTemperatureMeasurement", { measuredValue: 2345 })).toEqual({ temperature: 23.5 });
    expect(report("msTemperatureMeasurement", { measuredValue: -512 })).toEqual({ temperature: -5.1 });
    expect(report("msRelativeHumidity", { measuredValue: 4567 })).toEqual({ humidity: 45.7 });
    // 10,000 × log10(lux) + 1
    expect(report("msIlluminanceMeasurement", { measuredValue: 20001 })).toEqual({ illuminance: 100 });
    expect(report("msIlluminanceMeasurement", { measuredValue: 0 })).toEqual({ illuminance: 0 });
    expect(report("msOccupancySensing", { occupancy: 1 })).toEqual({ occupancy: true });
    expect(report("genPowerCfg", { batteryPercentageRemaining: 150 })).toEqual({ battery: 75 });
    expect(report("genPowerCfg", { batteryPercentageRemaining: 0xff })).toEqual({});
    expect(report("seMetering", { currentSummDelivered: 12345n })).toEqual({ energy: 12.3 });
    expect(report("haElectricalMeasurement", { activePower: 42, rmsVoltage: 231 })).toEqual({
      power: 42,
      voltage: 231,
    });
  });

  it("reads an IAS zone status by the device's capability (contact is true when closed)", () => {
    const notify = (cap: string | undefined, zonestatus: number) =>
      stateFromMessage("commandStatusChangeNotification", "ssIasZone", { zonestatus }, cap);
    expect(notify("contact", 1)).toEqual({ contact: false });
    expect(notify("contact", 0)).toEqual({ contact: true });
    expect(notify("motion", 1)).toEqual({ motion: true });
    expect(notify("water_leak", 0x09)).toEqual({ water_leak: true, battery_low: true });
    expect(notify(undefined, 0)).toEqual({ contact: true });
    expect(report("ssIasZone", { zoneStatus: 1 }, "motion")).toEqual({ motion: true });
  });

  it("turns a multistate action into an action name", () => {
    expect(
      stateFromMessage("commandMultistateAction", "genMultistateInput", { presentValue: 2 }, undefined),
    ).toEqual({ action: "double" });
    expect(report("genMultistateInput", { presentValue: 1 })).toEqual({ action: "single" });
    expect(report("genMultistateInput", { presentValue: 9 })).toEqual({});
  });

  it("takes read responses like reports and ignores other messages and unknown attributes", () => {
    expect(stateFromMessage("readResponse", "genOnOff", { onOff: 1 }, undefined)).toEqual({ on_off: true });
    expect(stateFromMessage("commandOn", "genOnOff", {}, undefined)).toEqual({});
    expect(report("genBasic", { modelId: "x" })).toEqual({});
    expect(report("genOnOff", { startUpOnOff: 1 })).toEqual({});
  });
});

describe("commandsFor: state changes → ZCL commands", () => {
  it("sends on and off", () => {
    expect(commandsFor({ on_off: true })).toEqual([
      { capability: "on_off", cluster: "genOnOff", command: "on", payload: {} },
    ]);
    expect(commandsFor({ on_off: false })).toEqual([
      { capability: "on_off", cluster: "genOnOff", command: "off", payload: {} },
    ]);
  });

  it("dims with moveToLevelWithOnOff (which also turns the light on), clamped to 0-100 %", () => {
    expect(commandsFor({ brightness: 40 })).toEqual([
      {
        capability: "brightness",
        cluster: "genLevelCtrl",
        command: "moveToLevelWithOnOff",
        payload: { level: 102, transtime: 0 },
      },
    ]);
    expect(commandsFor({ brightness: 150 })[0]?.payload).toEqual({ level: 254, transtime: 0 });
    // on + brightness is one command
    expect(commandsFor({ on_off: true, brightness: 100 }).map((c) => c.command)).toEqual([
      "moveToLevelWithOnOff",
    ]);
  });

  it("sets the level of a light kept off without turning it on", () => {
    expect(commandsFor({ on_off: false, brightness: 50 }).map((c) => `${c.cluster}.${c.command}`)).toEqual([
      "genOnOff.off",
      "genLevelCtrl.moveToLevel",
    ]);
  });

  it("sends colour temperature in mireds and colour as hue/saturation on 0-254", () => {
    expect(commandsFor({ color_temp: 2700 })).toEqual([
      {
        capability: "color_temp",
        cluster: "lightingColorCtrl",
        command: "moveToColorTemp",
        payload: { colortemp: 370, transtime: 0 },
      },
    ]);
    expect(commandsFor({ color: { hue: 180, saturation: 50 } })[0]?.payload).toEqual({
      hue: 127,
      saturation: 127,
      transtime: 0,
    });
  });

  it("sends nothing for capabilities it does not command", () => {
    expect(commandsFor({ temperature: 20, contact: true })).toEqual([]);
  });
});

describe("REPORTING", () => {
  it("configures reporting only for clusters the mapping reads", () => {
    for (const cluster of Object.keys(REPORTING)) expect(CLUSTER).toHaveProperty(cluster);
  });
});
