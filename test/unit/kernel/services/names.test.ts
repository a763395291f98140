import { describe, expect, it } from "bun:test";
import { createServiceRegistry } from "../../../../src/kernel/services/index.ts";
import { hearthRejection, thrown } from "./helpers.ts";

const ok = async () => "ok";

describe("service names", () => {
  it("accepts <owner>.<action> in snake_case", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", ok, { owner: "devices" });
    expect(services.has("devices.turn_on")).toBe(true);
  });

  it("accepts an owner with a hyphen", () => {
    const services = createServiceRegistry();
    services.register("zigbee-herdsman.permit_join", ok, { owner: "zigbee-herdsman" });
    expect(services.has("zigbee-herdsman.permit_join")).toBe(true);
  });

  it("accepts v<N>.<owner>.<action> and records the version", () => {
    const services = createServiceRegistry();
    services.register("v12.devices.turn_on", ok, { owner: "devices" });
    expect(services.list()[0]).toMatchObject({
      name: "v12.devices.turn_on",
      baseName: "devices.turn_on",
      version: 12,
    });
  });

  it("takes an unversioned registration as version 1", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", ok, { owner: "devices" });
    expect(services.list()[0]?.version).toBe(1);
  });

  it("reads a two-segment name starting with v<N> as an owner named v<N>", () => {
    const services = createServiceRegistry();
    services.register("v2.reset", ok, { owner: "v2" });
    expect(services.list()[0]).toMatchObject({ owner: "v2", baseName: "v2.reset", version: 1 });
  });

  it.each([
    "",
    "devices",
    "Devices.turn_on",
    "devices.turnOn",
    "devices.turn-on",
    "devices.",
    ".turn_on",
    "1devices.turn_on",
    "devices._turn_on",
    "a.b.c",
    "v0.devices.turn_on",
    "v01.devices.turn_on",
    "v-1.devices.turn_on",
    "v1.5.devices.turn_on",
    "v2.devices.turn_on.now",
    "v99999999999999999999.devices.turn_on",
    " devices.turn_on",
  ])("refuses to register %p with SERVICE_INVALID_NAME", (name) => {
    const services = createServiceRegistry();
    const err = thrown(() => services.register(name, ok, { owner: "devices" }));
    expect(err.code).toBe("SERVICE_INVALID_NAME");
    expect(err.data).toEqual({ name });
  });

  it("refuses a name that is not a string", () => {
    const services = createServiceRegistry();
    const err = thrown(() => services.register(42 as unknown as string, ok, { owner: "devices" }));
    expect(err.code).toBe("SERVICE_INVALID_NAME");
  });

  it("rejects a call to an invalid name with SERVICE_INVALID_NAME", async () => {
    const services = createServiceRegistry();
    const err = await hearthRejection(services.call("Not A Name"));
    expect(err.code).toBe("SERVICE_INVALID_NAME");
  });

  it("answers has() with false for an invalid name instead of throwing", () => {
    expect(createServiceRegistry().has("nope")).toBe(false);
  });
});
