/**
 * Availability from herdsman's signals, against the simulator: a mains-powered bulb that is quiet is
 * pinged and stays available; once it stops answering (out of range, off at the wall) it becomes
 * unavailable, and available again when it answers; a battery sensor is never pinged.
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
const byModel = async (model: string): Promise<Json> =>
  ((await b.json("/api/v1/devices")) as Json).devices.find((d: Json) => d.attributes?.model === model);
const pings = (kind: string) =>
  stick.delivered.filter((z) => z.kind === kind && z.cluster === 0x0000 && z.command === 0x00).length;

beforeAll(async () => {
  stick = new ZnpStick();
  sim = attachTcp(stick, 0);
  b = await bootRuntime({
    dir: dataDir("hearth-zigbee-avail-"),
    plugins: [zigbee()],
    hookTimeoutMs: 8000,
    overrides: {
      "plugins.zigbee.config": { port: `tcp://127.0.0.1:${sim.port}`, pingIntervalMs: 1000 },
    },
  });
  b.kernel.bus.subscribe("device.availability_changed", (e) => {
    events.push(e);
  });
  await waitFor(
    async () =>
      ((await b.json("/api/v1/plugins")) as Json).plugins.find((p: Json) => p.name === "zigbee").health
        ?.status === "ok",
    "the network",
    30_000,
  );
  stick.openJoin(60);
  stick.join("bulb");
  stick.join("contact");
  await waitFor(async () => (await byModel("SIM-BULB-CT")) && (await byModel("SIM-CONTACT")), "both devices");
}, 40_000);

afterAll(async () => {
  await b?.stop();
  await sim?.close();
  removeDataDirs();
});

describe("zigbee availability", () => {
  it("pings a quiet mains-powered bulb, which answers and stays available; never the battery sensor", async () => {
    stick.delivered.length = 0;
    await waitFor(() => pings("bulb") >= 2, "two pings of the bulb");
    expect((await byModel("SIM-BULB-CT")).available).toBe(true);
    expect(pings("contact")).toBe(0);
  }, 20_000);

  it("makes the bulb unavailable once it stops answering, leaving the sensor available", async () => {
    const bulb = await byModel("SIM-BULB-CT");
    events.length = 0;
    stick.setReachable("bulb", false);
    await waitFor(
      () => events.some((e) => (e.payload as Json).id === bulb.id && (e.payload as Json).available === false),
      "device.availability_changed false",
    );
    expect((await byModel("SIM-BULB-CT")).available).toBe(false);
    expect((await byModel("SIM-CONTACT")).available).toBe(true);
  }, 20_000);

  it("makes it available again when it answers", async () => {
    const bulb = await byModel("SIM-BULB-CT");
    events.length = 0;
    stick.setReachable("bulb", true);
    await waitFor(
      () => events.some((e) => (e.payload as Json).id === bulb.id && (e.payload as Json).available === true),
      "device.availability_changed true",
    );
    expect((await byModel("SIM-BULB-CT")).available).toBe(true);
  }, 20_000);
});
