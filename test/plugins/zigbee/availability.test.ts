/** plugins/zigbee/availability.ts on fake devices and a fake clock: what the devices module is told. */
import { describe, expect, it } from "bun:test";
import {
  type AvailabilityDevice,
  createAvailability,
  isMainsPowered,
} from "../../../plugins/zigbee/availability.ts";

function setup(pingIntervalMs = 1000) {
  const told: string[] = [];
  const clock = { t: 1_000_000 };
  const a = createAvailability({
    pingIntervalMs,
    setAvailable: async (ieee, available) => {
      told.push(`${ieee} ${available}`);
    },
    log: { debug: () => undefined },
    now: () => clock.t,
  });
  return { a, told, clock };
}
const device = (
  ieee: string,
  over: Partial<AvailabilityDevice> = {},
): AvailabilityDevice & { pings: number } => {
  const d = {
    ieeeAddr: ieee,
    type: "Router",
    interviewState: "SUCCESSFUL",
    lastSeen: 0,
    pings: 0,
    async ping() {
      d.pings++;
    },
    ...over,
  };
  return d;
};

describe("zigbee availability", () => {
  it("tells 'available' when a device is heard, then at most once a minute while it stays so", () => {
    const { a, told, clock } = setup();
    const d = device("0x01");
    a.seen(d);
    a.seen(d);
    clock.t += 59_000;
    a.seen(d);
    clock.t += 2000;
    a.seen(d);
    expect(told).toEqual(["0x01 true", "0x01 true"]);
  });

  it("tells 'available' at once when a device that was lost is heard again", () => {
    const { a, told } = setup();
    const d = device("0x01");
    a.seen(d);
    a.lost("0x01");
    a.seen(d);
    expect(told).toEqual(["0x01 true", "0x01 false", "0x01 true"]);
  });

  it("pings only interviewed mains devices silent for the interval", async () => {
    const { a, clock } = setup(1000);
    const quiet = device("0x01", { lastSeen: clock.t - 5000 });
    const recent = device("0x02", { lastSeen: clock.t - 10 });
    const battery = device("0x03", { type: "EndDevice", powerSource: "Battery", lastSeen: 0 });
    const plug = device("0x04", { type: "EndDevice", powerSource: "Mains (single phase)", lastSeen: 0 });
    const fresh = device("0x05", { interviewState: "IN_PROGRESS" });
    const coordinator = device("0x00", { type: "Coordinator" });
    await a.sweep([quiet, recent, battery, plug, fresh, coordinator]);
    expect([quiet, recent, battery, plug, fresh, coordinator].map((d) => d.pings)).toEqual([
      1, 0, 0, 1, 0, 0,
    ]);
  });

  it("with all (the network just came up), pings every interviewed mains device, however recent", async () => {
    const { a, told, clock } = setup(1000);
    const recent = device("0x01", { lastSeen: clock.t - 10 });
    const battery = device("0x02", { type: "EndDevice", powerSource: "Battery", lastSeen: clock.t - 10 });
    const fresh = device("0x03", { interviewState: "IN_PROGRESS", lastSeen: clock.t - 10 });
    a.lost("0x01");
    await a.sweep([recent, battery, fresh], undefined, { all: true });
    expect([recent, battery, fresh].map((d) => d.pings)).toEqual([1, 0, 0]);
    expect(told).toEqual(["0x01 false", "0x01 true"]);
  });

  it("tells 'unavailable' once for a device that does not answer, and 'available' when it does", async () => {
    const { a, told } = setup();
    let answers = false;
    const d = device("0x01", {
      async ping() {
        if (!answers) throw new Error("MAC no ack");
      },
    });
    await a.sweep([d]);
    await a.sweep([d]);
    answers = true;
    await a.sweep([d]);
    expect(told).toEqual(["0x01 false", "0x01 true"]);
  });

  it("never pings with an interval of 0", async () => {
    const { a } = setup(0);
    const d = device("0x01");
    await a.sweep([d]);
    expect(d.pings).toBe(0);
  });

  it("counts routers and mains or DC powered devices as mains", () => {
    expect(isMainsPowered({ type: "Router" })).toBe(true);
    expect(isMainsPowered({ type: "EndDevice", powerSource: "Mains (3 phase)" })).toBe(true);
    expect(isMainsPowered({ type: "EndDevice", powerSource: "DC Source" })).toBe(true);
    expect(isMainsPowered({ type: "EndDevice", powerSource: "Battery" })).toBe(false);
    expect(isMainsPowered({ type: "EndDevice" })).toBe(false);
  });
});
