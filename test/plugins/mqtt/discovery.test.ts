/**
 * Home Assistant discovery configs for the demo house, checked against the checked-in table of keys
 * Home Assistant requires per component (plugins/mqtt/ha-required.json).
 */
import { describe, expect, it } from "bun:test";
import type { CapabilityView, DeviceView } from "../../../plugins/mqtt/device.ts";
import { type DiscoveryEntry, deviceEntries, nodeEntry } from "../../../plugins/mqtt/discovery.ts";
import { problems } from "./ha-check.ts";

const ctx = { nodeId: "house", prefix: "homeassistant", base: "hearth/house", version: "0.1.0" };

const cap = (name: string, extra: Partial<CapabilityView> = {}): CapabilityView => ({
  name,
  kind:
    name === "action"
      ? "action"
      : ["on_off", "motion", "contact", "occupancy", "water_leak"].includes(name)
        ? "boolean"
        : "number",
  commandable: ["on_off", "brightness", "color_temp", "position", "color"].includes(name),
  ...extra,
});

const device = (
  id: string,
  type: string,
  caps: CapabilityView[],
  area: string | null = "hall",
): DeviceView => ({
  id,
  name: id,
  type,
  capabilities: caps,
  owner: "demo",
  externalId: id,
  area,
  attributes: { manufacturer: "Hearth", model: `model-${id}` },
  state: { desired: {}, reported: {}, pending: [] },
  available: true,
});

/** The demo house as the devices module shows it. */
const HOUSE = [
  device(
    "demo-light",
    "light",
    [cap("on_off"), cap("brightness", { min: 0, max: 100 }), cap("color_temp", { min: 2200, max: 4000 })],
    "living-room",
  ),
  device("demo-switch", "switch", [cap("on_off"), cap("power", { unit: "W" })], "living-room"),
  device("demo-motion", "binary_sensor", [cap("motion"), cap("battery")]),
  device("demo-door", "binary_sensor", [cap("contact"), cap("battery")]),
  device("demo-climate", "sensor", [cap("temperature"), cap("humidity"), cap("battery")], "bedroom"),
  device(
    "demo-button",
    "button",
    [cap("action", { actions: ["single", "double", "hold"] }), cap("battery")],
    null,
  ),
];

const all = (): DiscoveryEntry[] => [nodeEntry(ctx), ...HOUSE.flatMap((d) => deviceEntries(d, ctx))];

describe("Home Assistant discovery", () => {
  it("gives every entity of the demo house the keys Home Assistant requires", () => {
    expect(all().flatMap(problems)).toEqual([]);
  });

  it("maps the demo house to the expected components", () => {
    const byTopic = Object.fromEntries(
      all().map((e) => [e.topic.split("/").slice(1, 4).join("/"), e.config]),
    );
    expect(Object.keys(byTopic).sort()).toEqual([
      "binary_sensor/house/demo-door_contact",
      "binary_sensor/house/demo-motion_motion",
      "binary_sensor/house/node",
      "device_automation/house/demo-button_action_double",
      "device_automation/house/demo-button_action_hold",
      "device_automation/house/demo-button_action_single",
      "light/house/demo-light",
      "sensor/house/demo-button_battery",
      "sensor/house/demo-climate_battery",
      "sensor/house/demo-climate_humidity",
      "sensor/house/demo-climate_temperature",
      "sensor/house/demo-door_battery",
      "sensor/house/demo-motion_battery",
      "sensor/house/demo-switch_power",
      "switch/house/demo-switch",
    ]);
  });

  it("describes the light with the JSON schema, brightness in percent and colour temperature in kelvin", () => {
    const light = deviceEntries(HOUSE[0] as DeviceView, ctx)[0]?.config ?? {};
    expect(light).toMatchObject({
      schema: "json",
      state_topic: "hearth/house/devices/demo-light/state",
      command_topic: "hearth/house/devices/demo-light/set",
      brightness: true,
      brightness_scale: 100,
      supported_color_modes: ["color_temp"],
      color_temp_kelvin: true,
      min_kelvin: 2200,
      max_kelvin: 4000,
    });
  });

  it("wires availability to the node and the device, and the device block to the node", () => {
    const temp =
      deviceEntries(HOUSE[4] as DeviceView, ctx).find((e) => e.topic.includes("temperature"))?.config ?? {};
    expect(temp).toMatchObject({
      availability: [
        { topic: "hearth/house/status" },
        { topic: "hearth/house/devices/demo-climate/availability" },
      ],
      availability_mode: "all",
      device_class: "temperature",
      state_class: "measurement",
      unit_of_measurement: "°C",
      value_template: "{{ value_json.temperature }}",
      device: {
        identifiers: ["hearth_house_demo-climate"],
        manufacturer: "Hearth",
        model: "model-demo-climate",
        suggested_area: "bedroom",
        via_device: "hearth_house",
      },
    });
    expect((nodeEntry(ctx).config.device as { identifiers: string[] }).identifiers).toEqual(["hearth_house"]);
  });

  it("shows a closed door (contact true) as off", () => {
    const door = deviceEntries(HOUSE[3] as DeviceView, ctx)[0]?.config ?? {};
    expect(door).toMatchObject({
      device_class: "door",
      value_template: "{{ 'OFF' if value_json.contact else 'ON' }}",
    });
  });

  it("makes device triggers of a button's actions", () => {
    const triggers = deviceEntries(HOUSE[5] as DeviceView, ctx).filter(
      (e) => e.component === "device_automation",
    );
    expect(triggers.map((t) => [t.config.type, t.config.payload, t.config.topic])).toEqual([
      ["button_short_press", "single", "hearth/house/devices/demo-button/action"],
      ["button_double_press", "double", "hearth/house/devices/demo-button/action"],
      ["button_long_press", "hold", "hearth/house/devices/demo-button/action"],
    ]);
  });

  it("finds a config missing a required key (the check works)", () => {
    const bad: DiscoveryEntry = {
      component: "sensor",
      topic: "homeassistant/sensor/house/x/config",
      config: { device: { identifiers: ["x"] } },
    };
    expect(problems(bad)).toEqual([
      "homeassistant/sensor/house/x/config: missing state_topic",
      "homeassistant/sensor/house/x/config: missing unique_id",
    ]);
  });
});
