import { afterEach, describe, expect, it } from "bun:test";
import { z } from "zod";
import { createServiceRegistry } from "../../../../../src/kernel/services/index.ts";
import { hearthRejection } from "../helpers.ts";

// Typed loosely so that a handler can return what the schema refuses.
const aNumber: z.ZodType = z.number();

const params = z.object({
  id: z.string(),
  brightness: z.number().int().min(0).max(100).default(100),
});

describe("validation middleware: params", () => {
  it("rejects invalid params with SERVICE_INVALID_PARAMS listing each issue's path and message", async () => {
    const services = createServiceRegistry();
    services.register("lights.set", () => 1, { owner: "lights", schema: params });
    const err = await hearthRejection(services.call("lights.set", { id: 7, brightness: 300 }));
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
    const data = err.data as { name: string; issues: { path: unknown[]; message: string }[] };
    expect(data.name).toBe("lights.set");
    expect(data.issues.map((i) => i.path)).toEqual([["id"], ["brightness"]]);
    for (const issue of data.issues) expect(issue.message.length).toBeGreaterThan(0);
    expect(JSON.parse(JSON.stringify(err.toJSON()))).toEqual(err.toJSON());
  });

  it("does not run the handler when params are invalid", async () => {
    const services = createServiceRegistry();
    let ran = false;
    services.register(
      "lights.set",
      () => {
        ran = true;
      },
      { owner: "lights", schema: params },
    );
    await hearthRejection(services.call("lights.set", {}));
    expect(ran).toBe(false);
  });

  it("hands the handler the parsed params with defaults applied", async () => {
    const services = createServiceRegistry();
    let seen: unknown;
    services.register(
      "lights.set",
      (p) => {
        seen = p;
      },
      { owner: "lights", schema: params },
    );
    await services.call("lights.set", { id: "lamp", extra: true });
    expect(seen).toEqual({ id: "lamp", brightness: 100 });
  });

  it("accepts a bare call when every field is optional", async () => {
    const services = createServiceRegistry();
    let seen: unknown;
    services.register(
      "lights.all_off",
      (p) => {
        seen = p;
      },
      { owner: "lights", schema: z.object({ room: z.string().optional() }) },
    );
    await services.call("lights.all_off");
    expect(seen).toEqual({});
  });

  it("supports schemas with async refinements", async () => {
    const services = createServiceRegistry();
    const known = z
      .object({ id: z.string() })
      .refine(async (p) => p.id === "lamp", { message: "unknown device" });
    services.register("lights.toggle", () => "ok", { owner: "lights", schema: known });
    expect(await services.call("lights.toggle", { id: "lamp" })).toBe("ok");
    const err = await hearthRejection(services.call("lights.toggle", { id: "nope" }));
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
    expect((err.data as { issues: { message: string }[] }).issues[0]?.message).toBe("unknown device");
  });
});

describe("validation middleware: results", () => {
  const savedEnv = process.env.NODE_ENV;
  afterEach(() => {
    process.env.NODE_ENV = savedEnv;
  });

  it("rejects a result that fails the result schema with SERVICE_INVALID_RESULT", async () => {
    const services = createServiceRegistry();
    services.register("lights.count", () => "many", { owner: "lights", result: aNumber });
    const err = await hearthRejection(services.call("lights.count"));
    expect(err.code).toBe("SERVICE_INVALID_RESULT");
    expect((err.data as { issues: unknown[] }).issues).toHaveLength(1);
  });

  it("passes a result that fits the result schema", async () => {
    const services = createServiceRegistry();
    services.register("lights.count", () => 3, { owner: "lights", result: aNumber });
    expect(await services.call("lights.count")).toBe(3);
  });

  it("returns the handler's own result, not the result schema's output", async () => {
    const services = createServiceRegistry();
    services.register("lights.name", () => "lamp", {
      owner: "lights",
      result: z.string().transform((s) => s.length) as z.ZodType,
    });
    expect(await services.call("lights.name")).toBe("lamp");
  });

  it("skips result checks when validateResults is off", async () => {
    const services = createServiceRegistry({ validateResults: false });
    services.register("lights.count", () => "many", { owner: "lights", result: aNumber });
    expect(await services.call("lights.count")).toBe("many");
  });

  it("skips result checks by default in production but still checks params", async () => {
    process.env.NODE_ENV = "production";
    const services = createServiceRegistry();
    services.register("lights.count", () => "many", {
      owner: "lights",
      schema: z.object({ n: z.number() }),
      result: aNumber,
    });
    expect(await services.call("lights.count", { n: 1 })).toBe("many");
    expect((await hearthRejection(services.call("lights.count", { n: "x" }))).code).toBe(
      "SERVICE_INVALID_PARAMS",
    );
  });

  it("checks results by default outside production", async () => {
    process.env.NODE_ENV = "development";
    const services = createServiceRegistry();
    services.register("lights.count", () => "many", { owner: "lights", result: aNumber });
    expect((await hearthRejection(services.call("lights.count"))).code).toBe("SERVICE_INVALID_RESULT");
  });
});
