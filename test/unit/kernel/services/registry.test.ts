import { describe, expect, it } from "bun:test";
import { HearthError } from "../../../../src/errors.ts";
import { createServiceRegistry, type ServiceCallContext } from "../../../../src/kernel/services/index.ts";
import { DeviceOfflineError, hearthRejection, rejection, thrown } from "./helpers.ts";

describe("ServiceRegistry: registering and calling", () => {
  it("returns what the handler returns", async () => {
    const services = createServiceRegistry();
    services.register("math.add", async (p: { a: number; b: number }) => p.a + p.b, { owner: "math" });
    expect(await services.call<number>("math.add", { a: 2, b: 3 })).toBe(5);
  });

  it("accepts a handler that returns synchronously", async () => {
    const services = createServiceRegistry();
    services.register("math.one", () => 1, { owner: "math" });
    expect(await services.call("math.one")).toBe(1);
  });

  it("hands the handler the params object and a context naming the service and the caller", async () => {
    const services = createServiceRegistry();
    let seen: { params: unknown; ctx: ServiceCallContext } | undefined;
    services.register(
      "v2.devices.turn_on",
      (params, ctx) => {
        seen = { params, ctx };
      },
      { owner: "devices" },
    );
    await services.call("devices.turn_on", { id: "lamp" }, { caller: "automations" });
    expect(seen?.params).toEqual({ id: "lamp" });
    expect(seen?.ctx.name).toBe("v2.devices.turn_on");
    expect(seen?.ctx.caller).toBe("automations");
    expect(seen?.ctx.signal).toBeInstanceOf(AbortSignal);
  });

  it("gives a call without params an empty params object", async () => {
    const services = createServiceRegistry();
    let seen: unknown;
    services.register(
      "devices.list",
      (params) => {
        seen = params;
      },
      { owner: "devices" },
    );
    await services.call("devices.list");
    expect(seen).toEqual({});
  });

  it("refuses a caller registering under someone else's prefix", () => {
    const services = createServiceRegistry();
    const err = thrown(() => services.register("devices.turn_on", () => 1, { owner: "evil" }));
    expect(err.code).toBe("SERVICE_OWNER_MISMATCH");
    expect(services.has("devices.turn_on")).toBe(false);
  });

  it("refuses a registration without an owner", () => {
    const services = createServiceRegistry();
    const options = {} as { owner: string };
    expect(thrown(() => services.register("devices.turn_on", () => 1, options)).code).toBe(
      "SERVICE_OWNER_MISMATCH",
    );
  });

  it("refuses a second registration of the same name and version", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    const err = thrown(() => services.register("devices.turn_on", () => 2, { owner: "devices" }));
    expect(err.code).toBe("SERVICE_ALREADY_REGISTERED");
  });

  it("treats v1.<owner>.<action> as the same registration as the unversioned name", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    const err = thrown(() => services.register("v1.devices.turn_on", () => 2, { owner: "devices" }));
    expect(err.code).toBe("SERVICE_ALREADY_REGISTERED");
  });

  it("refuses a handler that is not a function", () => {
    const services = createServiceRegistry();
    const handler = "nope" as unknown as () => unknown;
    expect(thrown(() => services.register("devices.turn_on", handler, { owner: "devices" })).code).toBe(
      "INVALID_ARGUMENT",
    );
  });

  it("rejects a call to an unknown service with SERVICE_NOT_FOUND naming it", async () => {
    const err = await hearthRejection(createServiceRegistry().call("devices.turn_on"));
    expect(err.code).toBe("SERVICE_NOT_FOUND");
    expect(err.data).toEqual({ name: "devices.turn_on" });
  });
});

describe("ServiceRegistry: versions", () => {
  function versioned() {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => "v1", { owner: "devices" });
    services.register("v3.devices.turn_on", () => "v3", { owner: "devices" });
    services.register("v2.devices.turn_on", () => "v2", { owner: "devices" });
    return services;
  }

  it("resolves an unversioned call to the highest version", async () => {
    expect(await versioned().call("devices.turn_on")).toBe("v3");
  });

  it("resolves v1 to the unversioned registration", async () => {
    expect(await versioned().call("v1.devices.turn_on")).toBe("v1");
  });

  it("resolves an explicit version to exactly that version", async () => {
    expect(await versioned().call("v2.devices.turn_on")).toBe("v2");
  });

  it("rejects an explicit version that is not registered, even when others are", async () => {
    const err = await hearthRejection(versioned().call("v4.devices.turn_on"));
    expect(err.code).toBe("SERVICE_NOT_FOUND");
    expect(err.data).toEqual({ name: "v4.devices.turn_on" });
  });

  it("falls back to the next highest version once the highest is unregistered", async () => {
    const services = versioned();
    expect(await services.call("devices.turn_on")).toBe("v3");
    services.unregister("v3.devices.turn_on");
    expect(await services.call("devices.turn_on")).toBe("v2");
  });

  it("answers has() with the same resolution as call()", () => {
    const services = versioned();
    expect(services.has("devices.turn_on")).toBe(true);
    expect(services.has("v1.devices.turn_on")).toBe(true);
    expect(services.has("v3.devices.turn_on")).toBe(true);
    expect(services.has("v4.devices.turn_on")).toBe(false);
    expect(services.has("devices.turn_off")).toBe(false);
  });
});

describe("ServiceRegistry: handler errors", () => {
  it("passes an error thrown by an async handler to the caller unchanged", async () => {
    const services = createServiceRegistry();
    const boom = new DeviceOfflineError("lamp");
    services.register(
      "devices.turn_on",
      async () => {
        throw boom;
      },
      { owner: "devices" },
    );
    const err = await rejection(services.call("devices.turn_on"));
    expect(err).toBe(boom);
    expect(err).toBeInstanceOf(DeviceOfflineError);
  });

  it("passes an error thrown synchronously by a handler to the caller unchanged", async () => {
    const services = createServiceRegistry();
    const boom = new DeviceOfflineError("lamp");
    services.register(
      "devices.turn_on",
      () => {
        throw boom;
      },
      { owner: "devices" },
    );
    expect(await rejection(services.call("devices.turn_on"))).toBe(boom);
  });

  it("passes a HearthError thrown by a handler unchanged", async () => {
    const services = createServiceRegistry();
    const boom = new HearthError("INVALID_ARGUMENT", "no such device", { data: { id: "x" } });
    services.register(
      "devices.turn_on",
      async () => {
        throw boom;
      },
      { owner: "devices" },
    );
    expect(await rejection(services.call("devices.turn_on"))).toBe(boom);
  });

  it("rejects instead of throwing synchronously when the call cannot start", () => {
    const services = createServiceRegistry();
    const p = services.call("devices.turn_on");
    expect(p).toBeInstanceOf(Promise);
    return expect(p).rejects.toMatchObject({ code: "SERVICE_NOT_FOUND" });
  });
});

describe("ServiceRegistry: removing services", () => {
  it("unregisters a service and reports whether it was there", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    expect(services.unregister("devices.turn_on")).toBe(true);
    expect(services.has("devices.turn_on")).toBe(false);
    expect(services.unregister("devices.turn_on")).toBe(false);
  });

  it("unregisters only the version the name spells", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    services.register("v2.devices.turn_on", () => 2, { owner: "devices" });
    expect(services.unregister("devices.turn_on")).toBe(true);
    expect(services.list().map((s) => s.name)).toEqual(["v2.devices.turn_on"]);
  });

  it("refuses to unregister another owner's service and keeps it", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    expect(thrown(() => services.unregister("devices.turn_on", "evil")).code).toBe("SERVICE_OWNER_MISMATCH");
    expect(services.has("devices.turn_on")).toBe(true);
  });

  it("unregisters with the matching owner", () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    expect(services.unregister("devices.turn_on", "devices")).toBe(true);
  });

  it("removes every service of an owner and only those", () => {
    const services = createServiceRegistry();
    services.register("zigbee.permit_join", () => 1, { owner: "zigbee" });
    services.register("v2.zigbee.permit_join", () => 1, { owner: "zigbee" });
    services.register("zigbee.reset", () => 1, { owner: "zigbee" });
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    expect(services.unregisterOwner("zigbee")).toBe(3);
    expect(services.list().map((s) => s.name)).toEqual(["devices.turn_on"]);
    expect(services.has("zigbee.permit_join")).toBe(false);
    expect(services.unregisterOwner("zigbee")).toBe(0);
  });

  it("lets a call already running finish after its service is removed", async () => {
    const services = createServiceRegistry();
    services.register(
      "devices.slow",
      async () => {
        await Bun.sleep(10);
        return "done";
      },
      { owner: "devices" },
    );
    const running = services.call("devices.slow");
    services.unregisterOwner("devices");
    expect(await running).toBe("done");
  });

  it("accepts a new registration of a removed name", async () => {
    const services = createServiceRegistry();
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    services.unregister("devices.turn_on");
    services.register("devices.turn_on", () => 2, { owner: "devices" });
    expect(await services.call("devices.turn_on")).toBe(2);
  });
});

describe("ServiceRegistry: list()", () => {
  it("lists services sorted by name with their settings", () => {
    const services = createServiceRegistry({ defaultTimeoutMs: 1234 });
    services.register("zigbee.reset", () => 1, { owner: "zigbee", description: "Resets the stick" });
    services.register("v2.devices.turn_on", () => 1, { owner: "devices", timeoutMs: 99, idempotent: true });
    services.register("devices.turn_on", () => 1, { owner: "devices" });
    expect(services.list()).toEqual([
      {
        name: "devices.turn_on",
        baseName: "devices.turn_on",
        version: 1,
        owner: "devices",
        timeoutMs: 1234,
        idempotent: false,
      },
      {
        name: "v2.devices.turn_on",
        baseName: "devices.turn_on",
        version: 2,
        owner: "devices",
        timeoutMs: 99,
        idempotent: true,
      },
      {
        name: "zigbee.reset",
        baseName: "zigbee.reset",
        version: 1,
        owner: "zigbee",
        timeoutMs: 1234,
        idempotent: false,
        description: "Resets the stick",
      },
    ]);
  });
});
