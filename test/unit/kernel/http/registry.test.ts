import { beforeEach, describe, expect, it } from "bun:test";
import { z } from "zod";
import { HearthError } from "../../../../src/errors.ts";
import {
  createHttpRegistry,
  type EndpointDefinition,
  type HttpRegistry,
} from "../../../../src/kernel/http/index.ts";
import { captureLog } from "../../../helpers/log.ts";

let http: HttpRegistry;

beforeEach(() => {
  http = createHttpRegistry();
});

function endpoint(overrides: Partial<EndpointDefinition> = {}): EndpointDefinition {
  return {
    method: "GET",
    path: "/devices",
    service: "devices.list",
    summary: "All devices",
    scope: "read",
    ...overrides,
  };
}

function thrown(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    return err as HearthError;
  }
  throw new Error("expected a throw");
}

describe("register", () => {
  it("prefixes the path with /api/v1/<owner>", () => {
    const registered = http.register("devices", endpoint({ path: "/devices/:id" }));
    expect(registered.fullPath).toBe("/api/v1/devices/devices/:id");
    expect(registered.owner).toBe("devices");
  });

  it("keeps the declared fields, schemas included", () => {
    const params = z.object({ id: z.string() });
    const registered = http.register("devices", endpoint({ path: "/d/:id", params, summary: "One" }));
    expect(registered).toMatchObject({
      method: "GET",
      path: "/d/:id",
      service: "devices.list",
      summary: "One",
    });
    expect(registered.params).toBe(params);
  });

  it("maps the owner's root path to the bare prefix", () => {
    expect(http.register("zigbee", endpoint({ path: "/" })).fullPath).toBe("/api/v1/zigbee");
  });

  it("writes {id} parameters in Hono syntax", () => {
    expect(http.register("devices", endpoint({ path: "/devices/{id}/state" })).fullPath).toBe(
      "/api/v1/devices/devices/:id/state",
    );
  });

  it("drops a trailing slash", () => {
    expect(http.register("devices", endpoint({ path: "/devices/" })).fullPath).toBe(
      "/api/v1/devices/devices",
    );
  });

  it("accepts the same path under two methods", () => {
    http.register("devices", endpoint({ method: "GET" }));
    http.register("devices", endpoint({ method: "POST", scope: "control" }));
    expect(http.list()).toHaveLength(2);
  });

  it("accepts the same relative path under two owners", () => {
    http.register("devices", endpoint());
    http.register("zigbee", endpoint());
    expect(http.list().map((e) => e.fullPath)).toEqual(["/api/v1/devices/devices", "/api/v1/zigbee/devices"]);
  });
});

describe("validation", () => {
  it.each([
    ["an owner with capitals", "Devices", {}],
    ["an owner starting with a digit", "1wire", {}],
    ["an empty owner", "", {}],
    ["a lower-case method", "devices", { method: "get" }],
    ["an unknown method", "devices", { method: "TRACE" }],
    ["a path without a leading slash", "devices", { path: "devices" }],
    ["a path with an empty segment", "devices", { path: "/a//b" }],
    ["a path with a query string", "devices", { path: "/a?b=1" }],
    ["a path climbing up", "devices", { path: "/a/../b" }],
    ["the public scope", "devices", { scope: "public" }],
    ["an unknown scope", "devices", { scope: "root" }],
    ["an empty service name", "devices", { service: "" }],
    ["a missing summary", "devices", { summary: undefined }],
    ["a body that is not a zod schema", "devices", { body: { type: "object" } }],
  ])("refuses %s with INVALID_ARGUMENT", (_what, owner, overrides) => {
    const bad = { ...endpoint(), ...overrides } as EndpointDefinition;
    expect(thrown(() => http.register(owner, bad)).code).toBe("INVALID_ARGUMENT");
    expect(http.list()).toEqual([]);
  });
});

describe("conflicts", () => {
  it("refuses a duplicate method and full path with HTTP_ROUTE_CONFLICT naming the existing owner", () => {
    http.register("devices", endpoint({ path: "/list" }));
    const err = thrown(() => http.register("devices", endpoint({ path: "/list", service: "devices.other" })));
    expect(err.code).toBe("HTTP_ROUTE_CONFLICT");
    expect(err.data).toEqual({ method: "GET", path: "/api/v1/devices/list", owner: "devices" });
  });

  it("treats :id and {id} as the same route", () => {
    http.register("devices", endpoint({ path: "/devices/:id" }));
    const err = thrown(() => http.register("devices", endpoint({ path: "/devices/{id}" })));
    expect(err.code).toBe("HTTP_ROUTE_CONFLICT");
  });

  it("treats parameters with different names in the same place as the same route", () => {
    http.register("devices", endpoint({ path: "/devices/:id" }));
    const err = thrown(() => http.register("devices", endpoint({ path: "/devices/:deviceId" })));
    expect(err.code).toBe("HTTP_ROUTE_CONFLICT");
    expect(err.message).toContain("/api/v1/devices/devices/:id");
  });

  it("treats a trailing slash as the same route", () => {
    http.register("devices", endpoint({ path: "/devices" }));
    expect(thrown(() => http.register("devices", endpoint({ path: "/devices/" }))).code).toBe(
      "HTTP_ROUTE_CONFLICT",
    );
  });

  it("keeps a static segment distinct from a parameter", () => {
    http.register("devices", endpoint({ path: "/devices/:id" }));
    http.register("devices", endpoint({ path: "/devices/count" }));
    expect(http.list()).toHaveLength(2);
  });

  it("leaves the first registration in place after a conflict", () => {
    http.register("devices", endpoint({ service: "devices.first" }));
    thrown(() => http.register("devices", endpoint({ service: "devices.second" })));
    expect(http.list().map((e) => e.service)).toEqual(["devices.first"]);
  });
});

describe("unregisterOwner and list", () => {
  it("removes every endpoint of an owner and returns how many", () => {
    http.register("zigbee", endpoint({ path: "/a" }));
    http.register("zigbee", endpoint({ path: "/b" }));
    http.register("gpio", endpoint({ path: "/a" }));
    expect(http.unregisterOwner("zigbee")).toBe(2);
    expect(http.list().map((e) => e.owner)).toEqual(["gpio"]);
  });

  it("frees the route for another registration", () => {
    http.register("zigbee", endpoint());
    http.unregisterOwner("zigbee");
    expect(http.register("zigbee", endpoint()).fullPath).toBe("/api/v1/zigbee/devices");
  });

  it("returns 0 for an owner without endpoints", () => {
    expect(http.unregisterOwner("nobody")).toBe(0);
  });

  it("lists endpoints sorted by path, then method", () => {
    http.register("zigbee", endpoint({ path: "/b", method: "POST", scope: "control" }));
    http.register("admin", endpoint({ path: "/z" }));
    http.register("zigbee", endpoint({ path: "/b", method: "DELETE", scope: "admin" }));
    http.register("zigbee", endpoint({ path: "/a" }));
    expect(http.list().map((e) => `${e.method} ${e.fullPath}`)).toEqual([
      "GET /api/v1/admin/z",
      "GET /api/v1/zigbee/a",
      "DELETE /api/v1/zigbee/b",
      "POST /api/v1/zigbee/b",
    ]);
  });

  it("a list a caller changes does not change the registry", () => {
    http.register("zigbee", endpoint());
    http.list().pop();
    expect(http.list()).toHaveLength(1);
  });
});

describe("onChange", () => {
  it("calls listeners after register and after unregisterOwner", () => {
    const seen: number[] = [];
    http.onChange(() => seen.push(http.list().length));
    http.register("zigbee", endpoint());
    http.unregisterOwner("zigbee");
    expect(seen).toEqual([1, 0]);
  });

  it("does not call listeners when nothing changed", () => {
    let calls = 0;
    http.onChange(() => calls++);
    http.unregisterOwner("nobody");
    http.register("zigbee", endpoint());
    thrown(() => http.register("zigbee", endpoint()));
    expect(calls).toBe(1);
  });

  it("stops calling a listener after it unsubscribes", () => {
    let calls = 0;
    const off = http.onChange(() => calls++);
    off();
    http.register("zigbee", endpoint());
    expect(calls).toBe(0);
  });

  it("a throwing listener does not break the registry or the other listeners", () => {
    const captured = captureLog();
    const logged = createHttpRegistry({ logger: captured.logger });
    let calls = 0;
    logged.onChange(() => {
      throw new Error("listener broke");
    });
    logged.onChange(() => calls++);
    const registered = logged.register("zigbee", endpoint());
    expect(registered.fullPath).toBe("/api/v1/zigbee/devices");
    expect(calls).toBe(1);
    expect(captured.lines.some((l) => l.component === "http" && l.level === "error")).toBe(true);
  });
});
