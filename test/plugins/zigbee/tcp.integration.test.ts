/**
 * A network coordinator (`port: "tcp://host:port"`, as for a Z-Stack stick behind ser2net or a
 * network adapter): the simulator serves ZNP over TCP, herdsman connects with its own socket (no
 * serial port involved), the network forms, a device joins, a command and a report go through, and
 * closing the connection is handled as an unplug.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import manifest from "../../../plugins/zigbee/plugin.json" with { type: "json" };
import type { BusEvent } from "../../../src/kernel/bus/types.ts";
import { builtinSource } from "../../../src/kernel/plugins/index.ts";
import { type Booted, bootRuntime, dataDir, removeDataDirs } from "../../helpers/runtime.ts";
import { attachTcp, ZnpStick } from "../../zigbee/sim/index.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const zigbee = () => builtinSource({ manifest, load: () => import("../../../plugins/zigbee/index.ts") });

let stick: ZnpStick;
let sim: ReturnType<typeof attachTcp>;
let b: Booted;
const events: BusEvent[] = [];

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(20);
  }
};
const status = async (): Promise<Json> =>
  ((await b.json("/api/v1/plugins")) as Json).plugins.find((p: Json) => p.name === "zigbee");
const zigbeeDevices = async (): Promise<Json[]> =>
  ((await b.json("/api/v1/devices")) as Json).devices.filter((d: Json) => d.owner === "zigbee");

beforeAll(async () => {
  stick = new ZnpStick();
  sim = attachTcp(stick, 0);
  b = await bootRuntime({
    dir: dataDir("hearth-zigbee-tcp-"),
    plugins: [zigbee()],
    hookTimeoutMs: 8000,
    overrides: {
      "plugins.zigbee.config": { port: `tcp://127.0.0.1:${sim.port}`, retryMinMs: 200, retryMaxMs: 1000 },
    },
  });
  b.kernel.bus.subscribe("*", (e) => {
    events.push(e);
  });
});

afterAll(async () => {
  await b?.stop();
  await sim?.close();
  removeDataDirs();
});

describe("zigbee plugin on a tcp:// coordinator", () => {
  it("forms the network over TCP", async () => {
    await waitFor(async () => (await status()).health?.status === "ok", "the network to form", 30_000);
    expect(sim.connected()).toBe(true);
    expect(stick.nv.has(0x21)).toBe(true);
  }, 40_000);

  it("lets a device join, sends it a command and takes its report", async () => {
    await b.json("/api/v1/services/zigbee.permit_join/call", {
      method: "POST",
      body: JSON.stringify({ seconds: 30 }),
    });
    await waitFor(() => stick.permitJoin, "permit join");
    stick.join("bulb");
    await waitFor(async () => (await zigbeeDevices()).length === 1, "the bulb");
    const [bulb] = await zigbeeDevices();
    await b.json(`/api/v1/devices/${bulb.id}/command`, {
      method: "POST",
      body: JSON.stringify({ on_off: false }),
    });
    await waitFor(
      () => stick.delivered.some((z) => z.cluster === 0x0006 && z.command === 0x00),
      "genOnOff off",
    );
    events.length = 0;
    stick.report(bulb.attributes.ieee, 0x0006, { 0: 1 });
    await waitFor(
      () => events.some((e) => e.type === "device.state_changed" && (e.payload as Json).new?.on_off === true),
      "on_off true from the report",
    );
  }, 30_000);

  it("reports error when the coordinator goes away and reconnects when it is back on the same port", async () => {
    const port = sim.port;
    await sim.close();
    await waitFor(async () => (await status()).health?.status === "error", "status error");
    sim = attachTcp(stick, port);
    await waitFor(async () => (await status()).health?.status === "ok", "reconnected", 30_000);
    events.length = 0;
    stick.report("bulb", 0x0006, { 0: 0 });
    await waitFor(
      () =>
        events.some((e) => e.type === "device.state_changed" && (e.payload as Json).new?.on_off === false),
      "a report after the reconnect",
    );
  }, 40_000);
});
