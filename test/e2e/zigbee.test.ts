/**
 * The zigbee plugin inside the compiled binary (issue 16: "the same flow runs in the compiled
 * binary"): `hearth run` from a folder without node_modules, configured against the Z-Stack simulator
 * on the other end of a socat pty. herdsman, bundled with the serialport shim, forms the network over
 * Hearth's Bun serial driver; a bulb joins over HTTP permit join and is interviewed; an HTTP command
 * reaches the simulator as ZCL; a report comes back as device state.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type PtyPair, startPtyPair } from "../helpers/socat.ts";
import { toolAvailable } from "../helpers/tools.ts";
import { attachPty, type SimTransport, ZnpStick } from "../zigbee/sim/index.ts";
import { hearthBinary, type Running, startHearth, tempDir } from "./harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

let pty: PtyPair;
let stick: ZnpStick;
let sim: SimTransport;
let h: Running;
let cwd: string;
let token: string;

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 30_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${h?.text().slice(-4000)}`);
    await Bun.sleep(50);
  }
};
const api = async (path: string, init: RequestInit = {}): Promise<Json> => {
  const res = await fetch(h.url(path), {
    ...init,
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
  });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const zigbeeDevices = async (): Promise<Json[]> =>
  (await api("/api/v1/devices")).devices.filter((d: Json) => d.owner === "zigbee");

describe.skipIf(!toolAvailable("socat"))("zigbee in the compiled binary", () => {
  beforeAll(async () => {
    const bin = await hearthBinary();
    pty = await startPtyPair();
    stick = new ZnpStick();
    sim = attachPty(stick, pty.b);
    // A folder with the config and the data, and no node_modules anywhere above it.
    cwd = tempDir("e2e-zigbee");
    expect(existsSync(join(cwd, "node_modules"))).toBe(false);
    const config = { plugins: { zigbee: { config: { port: pty.a, retryMinMs: 500, retryMaxMs: 2000 } } } };
    writeFileSync(join(cwd, "hearth.json"), JSON.stringify(config));
    h = await startHearth(bin, {
      cwd,
      args: ["--data-dir", join(cwd, "data")],
      env: { HEARTH_CONFIG: join(cwd, "hearth.json") },
    });
    token = readFileSync(join(cwd, "data", "admin.token"), "utf8").trim();
  }, 180_000);

  afterAll(async () => {
    h?.proc.kill("SIGTERM");
    await h?.exited;
    await sim?.close();
    await pty?.dispose();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it("forms the network on the simulated stick over the pty", async () => {
    await waitFor(() => h.logs.some((l) => l.msg === "zigbee network up"), "zigbee network up");
    const zigbee = (await api("/api/v1/plugins")).plugins.find((p: Json) => p.name === "zigbee");
    expect(zigbee.health?.status).toBe("ok");
    expect(stick.nv.has(0x21)).toBe(true);
    expect(h.text()).not.toContain("bindings-cpp");
  }, 60_000);

  it("lets a bulb join over HTTP permit join; it is interviewed and listed as a light", async () => {
    await api("/api/v1/services/zigbee.permit_join/call", {
      method: "POST",
      body: JSON.stringify({ seconds: 60 }),
    });
    await waitFor(() => stick.permitJoin, "permit join on the stick");
    stick.join("bulb");
    await waitFor(async () => (await zigbeeDevices()).length === 1, "the bulb in /api/v1/devices");
    const [bulb] = await zigbeeDevices();
    expect(bulb.type).toBe("light");
    expect(bulb.capabilities.map((c: Json) => c.name).sort()).toEqual(["brightness", "color_temp", "on_off"]);
  }, 60_000);

  it("sends an HTTP command to the bulb as ZCL frames the simulator receives", async () => {
    const [bulb] = await zigbeeDevices();
    stick.delivered.length = 0;
    await api(`/api/v1/devices/${bulb.id}/command`, {
      method: "POST",
      body: JSON.stringify({ on_off: true, brightness: 40 }),
    });
    await waitFor(
      () => stick.delivered.some((z) => z.cluster === 0x0008 && z.command === 0x04),
      "moveToLevelWithOnOff at the simulator",
    );
    expect(stick.delivered.find((z) => z.cluster === 0x0008)?.payload[0]).toBe(Math.round((40 * 254) / 100));
  }, 30_000);

  it("turns a report from the bulb into its state", async () => {
    const [bulb] = await zigbeeDevices();
    stick.report(bulb.attributes.ieee, 0x0008, { 0: 254 });
    await waitFor(
      async () => (await api(`/api/v1/devices/${bulb.id}`)).state.reported.brightness === 100,
      "brightness 100 from the report",
    );
  }, 30_000);
});
