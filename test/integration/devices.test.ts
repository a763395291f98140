/**
 * The devices module on a real runtime, through the HTTP API and the bus (issue 12): announce, the
 * command path, the report path, availability, areas, ownership, and a restart.
 */
import { afterAll, beforeEach, describe, expect, it } from "bun:test";
import type { BusEvent } from "../../src/kernel/bus/types.ts";
import type { PluginContext } from "../../src/sdk/index.ts";
import { type Booted, bootRuntime, dataDir, plugin, removeDataDirs } from "../helpers/runtime.ts";
import { messages, readUntil } from "../unit/modules/admin/sse-reader.ts";

const running: Booted[] = [];
afterAll(async () => {
  for (const b of running) await b.stop();
  removeDataDirs();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

/** How the fake bulb plugin answers a command. */
type Mode = "confirm" | "silent" | "throw" | "confirm-other";

interface Bulbs {
  ctx: PluginContext<unknown>;
  mode: Mode;
  commands: Json[];
}

/** A plugin that drives a light, a switch, a sensor and a button, and answers commands as `mode` says. */
function bulbs(state: { current?: Bulbs }, name = "bulbs") {
  return plugin(name, {
    async onStart(ctx) {
      const me: Bulbs = { ctx, mode: "confirm", commands: [] };
      state.current = me;
      ctx.services.register("command", async (p: Json) => {
        me.commands.push(p);
        if (me.mode === "throw") throw ctx.errors.create("SERVICE_TIMEOUT", "the bulb did not answer");
        if (me.mode === "confirm") {
          setTimeout(() => {
            void ctx.services.call("devices.report", { externalId: p.externalId, state: p.changes });
          }, 5);
        }
        if (me.mode === "confirm-other") {
          setTimeout(() => {
            void ctx.services.call("devices.report", { externalId: p.externalId, state: { brightness: 1 } });
          }, 5);
        }
        return { ok: true };
      });
      await ctx.services.call("devices.announce", {
        externalId: "0x01",
        name: "Living room light",
        type: "light",
        area: "living-room",
        capabilities: ["on_off", "brightness", { name: "color_temp", min: 2200, max: 4000 }],
        attributes: { manufacturer: "IKEA", model: "LED1545G12" },
      });
      await ctx.services.call("devices.announce", {
        externalId: "0x02",
        name: "Plug",
        type: "switch",
        area: "living-room",
        capabilities: ["on_off", "power"],
      });
      await ctx.services.call("devices.announce", {
        externalId: "0x03",
        name: "Hall sensor",
        type: "sensor",
        area: "hall",
        capabilities: ["temperature", "humidity", "battery"],
      });
      await ctx.services.call("devices.announce", {
        externalId: "0x04",
        name: "Button",
        type: "button",
        capabilities: [{ name: "action", actions: ["single", "double", "hold"] }],
      });
      await ctx.services.call("devices.report", {
        externalId: "0x01",
        state: { on_off: false, brightness: 50, color_temp: 2700 },
      });
    },
  });
}

const LIGHT = "bulbs-0x01";
const PLUG = "bulbs-0x02";
const SENSOR = "bulbs-0x03";
const BUTTON = "bulbs-0x04";

let b: Booted;
let fake: { current?: Bulbs };
let events: BusEvent[];

async function boot(options: { dir?: string; commandTimeoutMs?: number } = {}): Promise<Booted> {
  fake = {};
  const booted = await bootRuntime({
    dir: options.dir,
    plugins: [bulbs(fake)],
    overrides: { "devices.commandTimeoutMs": options.commandTimeoutMs ?? 300 },
  });
  running.push(booted);
  events = [];
  booted.kernel.bus.subscribe("device.*", (e) => {
    events.push(e);
  });
  return booted;
}

const waitFor = async (cond: () => boolean, what: string, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
};
const of = (type: string) => events.filter((e) => e.type === type);
const device = (id: string): Promise<Json> => b.json(`/api/v1/devices/${id}`);
const command = (id: string, changes: unknown, token?: string) =>
  b.request(`/api/v1/devices/${id}/command`, { method: "POST", body: JSON.stringify(changes), token });
const settle = () => Bun.sleep(40);

describe("devices", () => {
  beforeEach(async () => {
    b = await boot();
    await settle();
    events.length = 0;
  });

  it("lists announced devices with ids from owner and externalId, filtered by area, type, owner and capability", async () => {
    const all: Json = await b.json("/api/v1/devices");
    expect(all.devices.map((d: Json) => d.id)).toEqual([LIGHT, PLUG, SENSOR, BUTTON]);
    const light = all.devices[0];
    expect(light).toMatchObject({
      name: "Living room light",
      type: "light",
      owner: "bulbs",
      externalId: "0x01",
      area: "living-room",
      attributes: { manufacturer: "IKEA" },
      available: true,
      state: { reported: { on_off: false, brightness: 50, color_temp: 2700 }, pending: [] },
    });
    expect(light.capabilities).toContainEqual({
      name: "color_temp",
      kind: "number",
      commandable: true,
      unit: "K",
      min: 2200,
      max: 4000,
    });
    const ids = async (q: string) =>
      (await b.json<Json>(`/api/v1/devices?${q}`)).devices.map((d: Json) => d.id);
    expect(await ids("area=living-room")).toEqual([LIGHT, PLUG]);
    expect(await ids("type=sensor")).toEqual([SENSOR]);
    expect(await ids("owner=nobody")).toEqual([]);
    expect(await ids("capability=on_off")).toEqual([LIGHT, PLUG]);
    expect((await b.request("/api/v1/devices/nope")).status).toBe(404);
    expect((await b.request("/api/v1/devices/nope")).headers.get("content-type")).toContain("json");
    expect(await b.json("/api/v1/areas")).toEqual({
      areas: [
        { area: "hall", devices: 1 },
        { area: "living-room", devices: 2 },
      ],
    });
    // The public view is in the state engine too.
    expect(b.kernel.state.get(`devices/${LIGHT}`)).toMatchObject({ id: LIGHT, available: true });
  });

  it("command → owner called once → report → one device.state_changed (source command), on SSE too", async () => {
    const { token } = await b.tokens.create({ name: "panel", scopes: ["control"] });
    const stream = await b.request("/api/v1/events/stream?pattern=device.*", { token });
    expect(stream.status).toBe(200);
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader();

    const res = await command(LIGHT, { on_off: true, brightness: 80 }, token);
    expect(res.status).toBe(200);
    const ack: Json = await res.json();
    expect(ack.state.desired).toMatchObject({ on_off: true, brightness: 80 });
    expect(ack.state.pending).toEqual(["brightness", "on_off"]);
    expect(fake.current?.commands).toEqual([
      { id: LIGHT, externalId: "0x01", changes: { on_off: true, brightness: 80 } },
    ]);
    await waitFor(() => of("device.state_changed").length === 1, "the state change");
    await settle();
    const changes = of("device.state_changed");
    expect(changes).toHaveLength(1);
    expect(changes[0]?.payload).toEqual({
      id: LIGHT,
      old: { on_off: false, brightness: 50, color_temp: 2700 },
      new: { on_off: true, brightness: 80, color_temp: 2700 },
      changed: ["on_off", "brightness"],
      source: "command",
    });
    const now = await device(LIGHT);
    expect(now.state).toEqual({
      desired: { on_off: true, brightness: 80, color_temp: 2700 },
      reported: { on_off: true, brightness: 80, color_temp: 2700 },
      pending: [],
    });
    const text = await readUntil(reader, (t) => t.includes("device.state_changed"));
    const sse = messages(text).find((m) => m.event === "device.state_changed");
    expect(JSON.parse(sse?.data ?? "{}")).toMatchObject({ payload: { id: LIGHT, source: "command" } });
    await reader.cancel();
  });

  it("publishes nothing for an identical report but advances lastSeen; merges a partial report", async () => {
    const before = await device(LIGHT);
    await Bun.sleep(5);
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    await ctx.services.call("devices.report", {
      externalId: "0x01",
      state: { on_off: false, brightness: 50 },
    });
    await settle();
    expect(of("device.state_changed")).toHaveLength(0);
    const same = await device(LIGHT);
    expect(same.lastSeen > (before.lastSeen ?? "")).toBe(true);

    await ctx.services.call("devices.report", { externalId: "0x01", state: { brightness: 20 } });
    await waitFor(() => of("device.state_changed").length === 1, "the change");
    expect((await device(LIGHT)).state.reported).toEqual({ on_off: false, brightness: 20, color_temp: 2700 });
  });

  it("takes an unsolicited report (a wall switch) into reported and desired, as external", async () => {
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    await ctx.services.call("devices.report", { externalId: "0x02", state: { on_off: true, power: 12.5 } });
    await waitFor(() => of("device.state_changed").length === 1, "the change");
    expect(of("device.state_changed")[0]?.payload).toMatchObject({
      id: PLUG,
      changed: ["on_off", "power"],
      source: "external",
    });
    expect((await device(PLUG)).state).toEqual({
      desired: { on_off: true, power: 12.5 },
      reported: { on_off: true, power: 12.5 },
      pending: [],
    });
  });

  it("publishes button actions as device.action, never as state", async () => {
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    await ctx.services.call("devices.report", { externalId: "0x04", state: { action: "double" } });
    await waitFor(() => of("device.action").length === 1, "the action");
    expect(of("device.action")[0]?.payload).toEqual({ id: BUTTON, action: "double" });
    expect(of("device.state_changed")).toHaveLength(0);
    expect((await device(BUTTON)).state.reported).toEqual({});
    expect(
      await ctx.services
        .call("devices.report", { externalId: "0x04", state: { action: "quadruple" } })
        .catch((e) => e.code),
    ).toBe("VALIDATION_FAILED");
  });

  it("reverts desired and publishes command_failed when the owner throws; the caller gets its code", async () => {
    (fake.current as Bulbs).mode = "throw";
    const res = await command(LIGHT, { brightness: 90 });
    const body: Json = await res.json();
    expect(body.error.code).toBe("SERVICE_TIMEOUT");
    expect(res.status).toBe(504);
    const now = await device(LIGHT);
    expect(now.state).toEqual({
      desired: { on_off: false, brightness: 50, color_temp: 2700 },
      reported: { on_off: false, brightness: 50, color_temp: 2700 },
      pending: [],
    });
    await waitFor(() => of("device.command_failed").length === 1, "the failure");
    expect(of("device.command_failed")[0]?.payload).toEqual({
      id: LIGHT,
      changes: { brightness: 90 },
      code: "SERVICE_TIMEOUT",
      reason: "the bulb did not answer",
    });
  });

  it("fails a command no report confirms within commandTimeoutMs (timeout), pending cleared", async () => {
    (fake.current as Bulbs).mode = "silent";
    const ack: Json = await (await command(LIGHT, { on_off: true })).json();
    expect(ack.state.pending).toEqual(["on_off"]);
    await waitFor(() => of("device.command_failed").length === 1, "the timeout", 3000);
    expect(of("device.command_failed")[0]?.payload).toMatchObject({
      id: LIGHT,
      changes: { on_off: true },
      reason: "timeout",
      code: "DEVICE_COMMAND_TIMEOUT",
    });
    expect((await device(LIGHT)).state).toMatchObject({ pending: [], desired: { on_off: false } });
  });

  it("refuses out-of-range values, unknown or read-only capabilities and wrong types with 422 naming the key, changing nothing", async () => {
    const before = await device(LIGHT);
    for (const [changes, key] of [
      [{ brightness: 101 }, "brightness"],
      [{ color_temp: 6500 }, "color_temp"],
      [{ on_off: "yes" }, "on_off"],
      [{ temperature: 20 }, "temperature"],
      [{ position: 10 }, "position"],
      [{}, "changes"],
    ] as const) {
      const res = await command(LIGHT, changes);
      expect(res.status).toBe(422);
      const body: Json = await res.json();
      expect(body.error.code).toBe("VALIDATION_FAILED");
      expect(JSON.stringify(body.error.data.issues)).toContain(key);
    }
    expect(fake.current?.commands).toEqual([]);
    expect(await device(LIGHT)).toEqual(before);
    expect(of("device.command_failed")).toHaveLength(0);
  });

  it("makes the owner's devices unavailable when it is disabled (409 on command), and brings them back on a report", async () => {
    await b.json("/api/v1/plugins/bulbs/disable", { method: "POST" });
    await waitFor(() => of("device.availability_changed").length === 4, "four devices unavailable");
    expect((await device(LIGHT)).available).toBe(false);
    const res = await command(LIGHT, { on_off: true });
    expect(res.status).toBe(409);
    expect(((await res.json()) as Json).error.code).toBe("DEVICE_UNAVAILABLE");
    // Not deleted.
    expect((await b.json<Json>("/api/v1/devices")).devices).toHaveLength(4);

    events.length = 0;
    await b.json("/api/v1/plugins/bulbs/enable", { method: "POST" });
    // It re-announces and reports the light: that one comes back.
    await waitFor(() => of("device.availability_changed").length >= 1, "the light back");
    expect(of("device.availability_changed")[0]?.payload).toEqual({ id: LIGHT, available: true });
    expect((await device(LIGHT)).available).toBe(true);
    expect((await command(LIGHT, { on_off: true })).status).toBe(200);
  });

  it("turns a silent device unavailable at its timeout through the state engine's TTL, and back on a report", async () => {
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    await ctx.services.call("devices.announce", {
      externalId: "0x05",
      name: "Quick",
      type: "binary_sensor",
      capabilities: ["motion"],
      availableTimeoutMs: 1000,
    });
    expect((await device("bulbs-0x05")).availableTimeoutMs).toBe(1000);
    await waitFor(
      () => of("device.availability_changed").some((e) => (e.payload as Json).id === "bulbs-0x05"),
      "the timeout",
      3000,
    );
    expect((await device("bulbs-0x05")).available).toBe(false);
    await ctx.services.call("devices.report", { externalId: "0x05", state: { motion: true } });
    expect((await device("bulbs-0x05")).available).toBe(true);
  });

  it("lets the owner mark a device unavailable and available again", async () => {
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    const off: Json = await ctx.services.call("devices.set_available", {
      externalId: "0x02",
      available: false,
    });
    expect(off.available).toBe(false);
    await waitFor(() => of("device.availability_changed").length === 1, "the change");
    expect(of("device.availability_changed")[0]?.payload).toEqual({ id: PLUG, available: false });
    expect((await command(PLUG, { on_off: true })).status).toBe(409);
    // Saying it again changes nothing.
    await ctx.services.call("devices.set_available", { externalId: "0x02", available: false });
    const on: Json = await ctx.services.call("devices.set_available", { id: PLUG, available: true });
    expect(on.available).toBe(true);
    await waitFor(() => of("device.availability_changed").length === 2, "the second change");
    expect((await command(PLUG, { on_off: true })).status).toBe(200);
  });

  it("lets only the owner announce, report or forget, and keeps a user's rename and area across a re-announce", async () => {
    const other: { current?: Bulbs } = {};
    const intruder = await bootRuntime({ dir: dataDir(), plugins: [bulbs({}), bulbs(other, "rival")] });
    running.push(intruder);
    const rival = other.current?.ctx as PluginContext<unknown>;
    const code = (p: Promise<unknown>) => p.then(() => "ok").catch((e) => e.code);
    expect(await code(rival.services.call("devices.report", { id: LIGHT, state: { on_off: true } }))).toBe(
      "DEVICE_FORBIDDEN",
    );
    expect(await code(rival.services.call("devices.forget", { id: LIGHT }))).toBe("DEVICE_FORBIDDEN");
    expect(await code(intruder.kernel.services.call("devices.report", { id: LIGHT, state: {} }))).toBe(
      "DEVICE_FORBIDDEN",
    );
    // Through the API (admin, not the owner) too.
    const viaApi = await intruder.request("/api/v1/services/devices.report/call", {
      method: "POST",
      body: JSON.stringify({ id: LIGHT, state: { on_off: true } }),
    });
    expect(viaApi.status).toBe(403);
    // Its own externalId "0x01" is its own device, not the other's.
    expect(
      (await intruder.json<Json>("/api/v1/devices?owner=rival")).devices.map((d: Json) => d.id),
    ).toContain("rival-0x01");

    // Rename and move; the owner re-announces; the user's choice stays.
    const patched = await b.request(`/api/v1/devices/${LIGHT}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "Reading lamp", area: "study" }),
    });
    expect(patched.status).toBe(200);
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    await ctx.services.call("devices.announce", {
      externalId: "0x01",
      name: "Living room light",
      type: "light",
      area: "living-room",
      capabilities: ["on_off", "brightness"],
    });
    expect(await device(LIGHT)).toMatchObject({ name: "Reading lamp", area: "study" });
    const { token } = await b.tokens.create({ name: "ctl", scopes: ["control"] });
    const weak = await b.request(`/api/v1/devices/${LIGHT}`, { method: "PATCH", body: "{}", token });
    expect(weak.status).toBe(403);
  });

  it("reverts only what a failed command still holds, and leaves no key pending for ever", async () => {
    const bulbs = fake.current as Bulbs;
    bulbs.mode = "silent";
    await command(LIGHT, { brightness: 70 }); // A: acknowledged, waiting for a report
    bulbs.mode = "throw";
    const res = await command(LIGHT, { brightness: 90 }); // B: takes the key over, then fails
    expect(res.status).toBe(504);
    const now = await device(LIGHT);
    expect(now.state.pending).toEqual([]);
    expect(now.state.desired.brightness).toBe(now.state.reported.brightness);
  });

  it("does not bring a removed device back when a command in flight ends", async () => {
    (fake.current as Bulbs).mode = "silent";
    await command(LIGHT, { on_off: true });
    expect((await b.request(`/api/v1/devices/${LIGHT}`, { method: "DELETE" })).status).toBe(204);
    await Bun.sleep(400); // past commandTimeoutMs (300): the confirmation timer has fired
    expect(b.kernel.state.get(`devices/${LIGHT}`)).toBeUndefined();
    expect(of("device.command_failed")).toHaveLength(0);
    expect(await b.kernel.storage.get("devices.state", LIGHT)).toBeUndefined();
  });

  it("refuses an area command naming a capability no device of the area has (a typo)", async () => {
    const res = await b.request("/api/v1/areas/living-room/command", {
      method: "POST",
      body: JSON.stringify({ on_of: true, brightness: 40 }),
    });
    expect(res.status).toBe(422);
    expect(JSON.stringify(((await res.json()) as Json).error.data.issues)).toContain("on_of");
    expect(fake.current?.commands).toEqual([]);
  });

  it("refuses the owner services to modules (a rule's service_call) as to the API", async () => {
    const code = await b.kernel.services
      .call("devices.report", { id: LIGHT, state: { on_off: true } }, { caller: "automation" })
      .then(() => "ok")
      .catch((e) => e.code);
    expect(code).toBe("DEVICE_FORBIDDEN");
  });

  it("takes the device from the path, not from a body or query field of the same name", async () => {
    const res = await b.request(`/api/v1/devices/${LIGHT}/command?id=${PLUG}`, {
      method: "POST",
      body: JSON.stringify({ id: PLUG, on_off: true }),
    });
    expect(res.status).toBeLessThan(500);
    expect(fake.current?.commands.every((c: Json) => c.id === LIGHT)).toBe(true);
  });

  it("commands every device of an area that has the capability", async () => {
    const res = await b.request("/api/v1/areas/living-room/command", {
      method: "POST",
      body: JSON.stringify({ on_off: true }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      area: "living-room",
      results: [
        { id: LIGHT, ok: true },
        { id: PLUG, ok: true },
      ],
    });
    await waitFor(() => of("device.state_changed").length === 2, "both changed");
    expect((await device(PLUG)).state.reported.on_off).toBe(true);
    expect(
      (await b.request("/api/v1/areas/nowhere/command", { method: "POST", body: '{"on_off":true}' })).status,
    ).toBe(404);
    expect(
      (await b.request("/api/v1/areas/hall/command", { method: "POST", body: '{"on_off":true}' })).status,
    ).toBe(422);
  });

  it("removes a device (204); a later report is dropped and counted, a re-announce brings it back", async () => {
    const res = await b.request(`/api/v1/devices/${PLUG}`, { method: "DELETE" });
    expect(res.status).toBe(204);
    expect((await b.request(`/api/v1/devices/${PLUG}`)).status).toBe(404);
    expect(b.kernel.state.get(`devices/${PLUG}`)).toBeUndefined();
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    expect(
      await ctx.services.call("devices.report", { externalId: "0x02", state: { on_off: true } }),
    ).toEqual({
      accepted: false,
    });
    expect((await b.json<Json>("/api/v1/devices")).devices).toHaveLength(3);
    const ready: Json = await b.json("/health/ready");
    expect(JSON.stringify(ready.checks.modules)).toContain("1 reports for unknown devices dropped");
    await ctx.services.call("devices.announce", {
      externalId: "0x02",
      name: "Plug",
      type: "switch",
      capabilities: ["on_off"],
    });
    expect((await device(PLUG)).name).toBe("Plug");
  });
});

describe("devices across a restart", () => {
  it("keeps devices available across a clean restart of Hearth with their plugin", async () => {
    const dir = dataDir();
    const first = await boot({ dir });
    await settle();
    expect((await first.json<Json>(`/api/v1/devices/${PLUG}`)).available).toBe(true);
    await first.stop();
    // The plugin reports only the light at start: the others must still be available.
    const second = await boot({ dir });
    await settle();
    for (const id of [PLUG, SENSOR, BUTTON]) {
      expect((await second.json<Json>(`/api/v1/devices/${id}`)).available).toBe(true);
    }
    await second.stop();
  });

  it("restores devices, names, areas and last reported state, with nothing pending", async () => {
    const dir = dataDir();
    b = await boot({ dir, commandTimeoutMs: 60_000 });
    await settle();
    await b.json(`/api/v1/devices/${SENSOR}`, {
      method: "PATCH",
      body: JSON.stringify({ name: "Bedroom", area: "bedroom" }),
    });
    const ctx = fake.current?.ctx as PluginContext<unknown>;
    await ctx.services.call("devices.report", {
      externalId: "0x03",
      state: { temperature: 21.5, humidity: 40 },
    });
    (fake.current as Bulbs).mode = "silent";
    await command(LIGHT, { on_off: true });
    expect((await device(LIGHT)).state.pending).toEqual(["on_off"]);
    await b.stop();

    // The plugin is not there on the second start: its devices are, unavailable.
    const second = await bootRuntime({ dir, overrides: { "devices.commandTimeoutMs": 300 } });
    running.push(second);
    await waitFor(
      () => second.kernel.state.get<Json>(`devices/${LIGHT}`)?.available === false,
      "unavailable",
    );
    const sensor: Json = await second.json(`/api/v1/devices/${SENSOR}`);
    expect(sensor).toMatchObject({
      name: "Bedroom",
      area: "bedroom",
      state: { reported: { temperature: 21.5, humidity: 40 } },
    });
    const light: Json = await second.json(`/api/v1/devices/${LIGHT}`);
    expect(light.state).toEqual({
      desired: { on_off: false, brightness: 50, color_temp: 2700 },
      reported: { on_off: false, brightness: 50, color_temp: 2700 },
      pending: [],
    });
    await second.stop();

    // With the plugin back, they are available again and nothing is pending.
    const third = await boot({ dir });
    await settle();
    const back: Json = await third.json(`/api/v1/devices/${LIGHT}`);
    expect(back).toMatchObject({ available: true, state: { pending: [] } });
    expect((await third.json<Json>(`/api/v1/devices/${SENSOR}`)).name).toBe("Bedroom");
  });
});
