/**
 * The mqtt plugin on real runtimes and an in-process aedes broker (issue 18): the demo house out as
 * retained state, commands in on `set` topics (and refused ones), Home Assistant discovery and its
 * removal, a second node importing the first, and a broker restart.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import demoManifest from "../../plugins/demo/plugin.json" with { type: "json" };
import mqttManifest from "../../plugins/mqtt/plugin.json" with { type: "json" };
import { builtinSource } from "../../src/kernel/plugins/index.ts";
import { startBroker, type TestBroker, type Watcher, watch } from "../helpers/mqtt.ts";
import { type Booted, bootRuntime, removeDataDirs } from "../helpers/runtime.ts";
import { problems } from "../plugins/mqtt/ha-check.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const mqttPlugin = () =>
  builtinSource({ manifest: mqttManifest, load: () => import("../../plugins/mqtt/index.ts") });
const demoPlugin = () =>
  builtinSource({ manifest: demoManifest, load: () => import("../../plugins/demo/index.ts") });

let broker: TestBroker;
let watcher: Watcher;
let a: Booted;
let b: Booted;

const json = (s: string): Json => JSON.parse(s);
const until = async (what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 5000) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await Bun.sleep(20);
  }
  throw new Error(`timed out waiting for ${what}`);
};
const mqttConfig = (nodeId: string, extra: Record<string, unknown> = {}) => ({
  url: broker.url,
  nodeId,
  reconnect: { minMs: 100, maxMs: 400 },
  commandTimeoutMs: 2000,
  ...extra,
});

beforeAll(async () => {
  broker = await startBroker();
  watcher = await watch(broker.url, ["hearth/#", "homeassistant/#"]);
  a = await bootRuntime({
    plugins: [demoPlugin(), mqttPlugin()],
    overrides: {
      "plugins.demo.config": {
        intervalMs: 60_000,
        commandDelayMs: 10,
        motionChance: 0,
        doorChance: 0,
        buttonChance: 0,
      },
      "plugins.mqtt.config": mqttConfig("house", { bridge: { events: ["device.action"] } }),
    },
  });
  await watcher.waitFor("hearth/house/status", (p) => p === "online");
});

afterAll(async () => {
  await b?.stop();
  await a?.stop();
  await watcher?.close();
  await broker?.stop();
  removeDataDirs();
});

const setAndWait = async (id: string, payload: string | Uint8Array, requestId: string) => {
  const from = watcher.messages.length;
  const body =
    typeof payload === "string" &&
    payload.startsWith("{") &&
    !payload.includes("requestId") &&
    requestId !== ""
      ? payload.replace(/^\{/, `{"requestId":"${requestId}",`)
      : payload;
  await watcher.publish(`hearth/house/devices/${id}/set`, body);
  return json(await watcher.waitFor(`hearth/house/devices/${id}/set/result`, () => true, 5000, from));
};

describe("state out", () => {
  it("publishes every device's state, availability and description retained, and the node online", async () => {
    const state = json(await watcher.waitFor("hearth/house/devices/demo-light/state"));
    expect(state).toMatchObject({ on_off: false, brightness: 80, color_temp: 2700, state: "OFF" });
    expect(await watcher.waitFor("hearth/house/devices/demo-light/availability")).toBe("online");
    const info = json(await watcher.waitFor("hearth/house/devices/demo-climate/info"));
    expect(info).toMatchObject({ id: "demo-climate", type: "sensor", area: "bedroom" });
    expect(watcher.messages.find((m) => m.topic === "hearth/house/devices/demo-light/state")?.retain).toBe(
      false,
    );
    // A late subscriber gets them as retained messages.
    const late = await watch(broker.url, ["hearth/house/#"]);
    await late.waitFor("hearth/house/devices/demo-switch/state");
    expect(late.messages.find((m) => m.topic === "hearth/house/devices/demo-switch/state")?.retain).toBe(
      true,
    );
    expect(late.last.get("hearth/house/status")).toBe("online");
    await late.close();
  });

  it("reports the plugin ok in the integrations", async () => {
    const plugins: Json = await a.json("/api/v1/plugins");
    const mqtt = (plugins.plugins ?? plugins).find((p: Json) => p.name === "mqtt");
    expect(mqtt.health.status).toBe("ok");
  });
});

describe("commands in", () => {
  it("carries out a command on a set topic and the state comes back retained", async () => {
    const from = watcher.messages.length;
    const result = await setAndWait("demo-light", '{"on_off":true,"brightness":40}', "c1");
    expect(result).toMatchObject({ ok: true, id: "demo-light", requestId: "c1" });
    const state = json(
      await watcher.waitFor(
        "hearth/house/devices/demo-light/state",
        (p) => json(p).brightness === 40,
        5000,
        from,
      ),
    );
    expect(state).toMatchObject({ on_off: true, brightness: 40, state: "ON" });
    const device: Json = await a.json("/api/v1/devices/demo-light");
    expect(device.state.reported).toMatchObject({ on_off: true, brightness: 40 });
  });

  it("takes Home Assistant's JSON light command", async () => {
    const from = watcher.messages.length;
    expect(await setAndWait("demo-light", '{"state":"OFF"}', "c2")).toMatchObject({ ok: true });
    await watcher.waitFor(
      "hearth/house/devices/demo-light/state",
      (p) => json(p).state === "OFF",
      5000,
      from,
    );
  });

  it("does not carry out a redelivered request twice", async () => {
    const before = (await a.kernel.services.call("mqtt.status", {})) as Json;
    const first = await setAndWait("demo-switch", '{"on_off":true}', "dup-1");
    const again = await setAndWait("demo-switch", '{"on_off":true}', "dup-1");
    expect(again).toEqual(first);
    const after = (await a.kernel.services.call("mqtt.status", {})) as Json;
    expect(after.commands - before.commands).toBe(1);
  });

  it("answers malformed JSON, unknown ids, bad values and oversized payloads with an error, changing nothing", async () => {
    const before: Json = await a.json("/api/v1/devices/demo-light");
    expect((await setAndWait("demo-light", "{not json", "")).error.code).toBe("INVALID_JSON");
    expect((await setAndWait("no-such-device", '{"on_off":true}', "c3")).error.code).toBe("NOT_FOUND");
    const bad = await setAndWait("demo-light", '{"brightness":500}', "c4");
    expect(bad).toMatchObject({ ok: false, requestId: "c4", error: { code: "VALIDATION_FAILED" } });
    expect((await setAndWait("demo-light", '{"temperature":3}', "c5")).error.code).toBe("VALIDATION_FAILED");
    const big = `{"on_off":true,"pad":"${"x".repeat(20_000)}"}`;
    expect((await setAndWait("demo-light", big, "")).error.code).toBe("PAYLOAD_TOO_LARGE");
    const after: Json = await a.json("/api/v1/devices/demo-light");
    expect(after.state).toEqual(before.state);
  });
});

describe("Home Assistant discovery", () => {
  it("announces the demo house and the node", async () => {
    const light = json(await watcher.waitFor("homeassistant/light/house/demo-light/config"));
    expect(light).toMatchObject({ schema: "json", command_topic: "hearth/house/devices/demo-light/set" });
    await watcher.waitFor("homeassistant/binary_sensor/house/node/config");
    await watcher.waitFor("homeassistant/device_automation/house/demo-button_action_single/config");
    await watcher.waitFor("homeassistant/sensor/house/demo-climate_temperature/config");
  });

  it("gives every config it publishes the keys Home Assistant requires (ha-required.json)", async () => {
    await watcher.waitFor("homeassistant/sensor/house/demo-climate_humidity/config");
    const configs = [...watcher.last].filter(
      ([t, p]) => t.startsWith("homeassistant/") && t.endsWith("/config") && p !== "",
    );
    expect(configs.length).toBe(15);
    const bad = configs.flatMap(([topic, p]) =>
      problems({ component: topic.split("/")[1] as string, topic, config: json(p) }),
    );
    expect(bad).toEqual([]);
  });

  it("announces again when Home Assistant comes online", async () => {
    const from = watcher.messages.length;
    await watcher.publish("homeassistant/status", "online");
    await watcher.waitFor("homeassistant/light/house/demo-light/config", () => true, 5000, from);
  });

  it("publishes button actions for device triggers", async () => {
    const from = watcher.messages.length;
    await a.kernel.services.call(
      "devices.report",
      { externalId: "button", state: { action: "double" } },
      { caller: "demo" },
    );
    expect(await watcher.waitFor("hearth/house/devices/demo-button/action", () => true, 5000, from)).toBe(
      "double",
    );
  });

  it("bridges the bus events named in bridge.events", async () => {
    const from = watcher.messages.length;
    await a.kernel.services.call(
      "devices.report",
      { externalId: "button", state: { action: "hold" } },
      { caller: "demo" },
    );
    const event = json(await watcher.waitFor("hearth/house/events/device.action", () => true, 5000, from));
    expect(event).toEqual({ id: "demo-button", action: "hold" });
  });
});

describe("several nodes", () => {
  beforeAll(async () => {
    b = await bootRuntime({
      plugins: [mqttPlugin()],
      overrides: {
        "plugins.mqtt.config": mqttConfig("garage", { import: ["house"], discovery: { enabled: false } }),
      },
    });
    await until("B to import A's light", async () => {
      const res = await b.request("/api/v1/devices/mqtt-house-demo-light");
      return res.ok && ((await res.json()) as Json).available === true;
    });
  });

  it("shows the other node's devices, owned by the mqtt plugin, with their state", async () => {
    const light: Json = await b.json("/api/v1/devices/mqtt-house-demo-light");
    expect(light).toMatchObject({
      owner: "mqtt",
      externalId: "house.demo-light",
      type: "light",
      area: "living-room",
      available: true,
    });
    expect(light.attributes).toMatchObject({ node: "house", remoteId: "demo-light" });
    const list: Json = await b.json("/api/v1/devices");
    expect(list.devices.length).toBe(6);
  });

  it("sends a command through B's HTTP API to A's light and sees it confirmed", async () => {
    const res = await b.request("/api/v1/devices/mqtt-house-demo-light/command", {
      method: "POST",
      body: JSON.stringify({ on_off: true, brightness: 63 }),
    });
    expect(res.status).toBe(200);
    await until(
      "A's light at 63",
      async () => ((await a.json("/api/v1/devices/demo-light")) as Json).state.reported.brightness === 63,
    );
    await until("B confirmed", async () => {
      const d: Json = await b.json("/api/v1/devices/mqtt-house-demo-light");
      return d.state.reported.brightness === 63 && d.state.pending.length === 0;
    });
  });

  it("passes A's refusal back to B's caller", async () => {
    const res = await b.request("/api/v1/devices/mqtt-house-demo-light/command", {
      method: "POST",
      body: JSON.stringify({ color_temp: 9000 }),
    });
    // B checks against the imported range first: the same rule, the same answer.
    expect(res.status).toBe(422);
  });

  it("never exports imported devices again", async () => {
    await Bun.sleep(100);
    expect(watcher.messages.some((m) => m.topic.startsWith("hearth/garage/devices/"))).toBe(false);
    expect(watcher.last.get("hearth/garage/status")).toBe("online");
  });

  it("removes a device's discovery config and B's copy when A forgets it", async () => {
    const from = watcher.messages.length;
    await a.kernel.services.call("devices.remove", { id: "demo-door" });
    await watcher.waitFor(
      "homeassistant/binary_sensor/house/demo-door_contact/config",
      (p) => p === "",
      5000,
      from,
    );
    await watcher.waitFor("hearth/house/devices/demo-door/info", (p) => p === "", 5000, from);
    await until(
      "B to forget the door",
      async () => (await b.request("/api/v1/devices/mqtt-house-demo-door")).status === 404,
    );
  });

  it("survives a broker restart: both reconnect, retained state is back, nothing is duplicated", async () => {
    await broker.stop();
    await until("A to report the broker error", async () => {
      const p: Json = await a.json("/api/v1/plugins");
      return (p.plugins ?? p).find((x: Json) => x.name === "mqtt").health?.status === "error";
    });
    await until(
      "B's imported light to go unavailable",
      async () => !((await b.json("/api/v1/devices/mqtt-house-demo-light")) as Json).available,
    );
    const offline = await b.request("/api/v1/devices/mqtt-house-demo-light/command", {
      method: "POST",
      body: JSON.stringify({ on_off: false }),
    });
    expect(offline.status).toBe(409);
    // Meanwhile A's light changes: the latest state goes out after the reconnect.
    await a.kernel.services.call("devices.command", { id: "demo-light", changes: { brightness: 12 } });
    await broker.start();
    const w2 = await watch(broker.url, ["hearth/#"]);
    try {
      await w2.waitFor("hearth/house/status", (p) => p === "online", 8000);
      await w2.waitFor("hearth/garage/status", (p) => p === "online", 8000);
      await w2.waitFor("hearth/house/devices/demo-light/state", (p) => json(p).brightness === 12, 8000);
      await until(
        "B's light back with the latest state",
        async () => {
          const d: Json = await b.json("/api/v1/devices/mqtt-house-demo-light");
          return d.available && d.state.reported.brightness === 12;
        },
        8000,
      );
      const res = await b.request("/api/v1/devices/mqtt-house-demo-light/command", {
        method: "POST",
        body: JSON.stringify({ brightness: 77 }),
      });
      expect(res.status).toBe(200);
      await until(
        "A's light at 77",
        async () => ((await a.json("/api/v1/devices/demo-light")) as Json).state.reported.brightness === 77,
      );
      const list: Json = await b.json("/api/v1/devices");
      expect(list.devices.length).toBe(5);
      const statusA = (await a.kernel.services.call("mqtt.status", {})) as Json;
      expect(statusA.connects).toBe(2);
    } finally {
      await w2.close();
    }
  });
});
