import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { createModuleManager, type ModuleContext } from "../../../../src/kernel/modules/index.ts";
import { createLoggerModule } from "../../../../src/modules/logger/index.ts";
import { hearthRejection } from "../../../helpers/errors.ts";
import { type CapturedLog, captureLog } from "../../../helpers/log.ts";
import { buildModuleContext, type TestModuleContext } from "../../kernel/modules/module-context.ts";

let env: TestModuleContext;
let ctx: ModuleContext;
let captured: CapturedLog;

beforeEach(async () => {
  captured = captureLog("debug");
  env = await buildModuleContext(captured.logger);
  ctx = env.ctx;
  const manager = createModuleManager();
  manager.add(createLoggerModule());
  await manager.startAll(ctx);
});

afterEach(async () => {
  await env.dispose();
});

function linesWith(message: string): Record<string, unknown>[] {
  return captured.lines.filter((l) => l.msg === message);
}

describe("the logger module", () => {
  it("is a required module named logger", () => {
    const module = createLoggerModule();
    expect(module.name).toBe("logger");
    expect(module.required).toBe(true);
  });

  it("registers the logger.log service under the logger owner", () => {
    expect(ctx.services.list().find((s) => s.name === "logger.log")?.owner).toBe("logger");
  });

  it("writes a line at the requested level through the module's logger", async () => {
    await ctx.services.call("logger.log", { level: "warn", message: "door left open" });
    expect(linesWith("door left open")).toEqual([
      expect.objectContaining({ level: "warn", module: "logger", msg: "door left open" }),
    ]);
  });

  it("adds the given fields to the line", async () => {
    await ctx.services.call("logger.log", {
      level: "info",
      message: "opened",
      fields: { door: "front", n: 2 },
    });
    expect(linesWith("opened")[0]).toMatchObject({ door: "front", n: 2 });
  });

  it("names the caller as the line's source", async () => {
    await ctx.services.call("logger.log", { level: "error", message: "stick lost" }, { caller: "zigbee" });
    expect(linesWith("stick lost")[0]).toMatchObject({ level: "error", source: "zigbee" });
  });

  it("leaves source out when the caller is unknown", async () => {
    await ctx.services.call("logger.log", { level: "info", message: "anonymous" });
    expect(linesWith("anonymous")[0]).not.toHaveProperty("source");
  });

  it("does not let fields spoof the source, module or level", async () => {
    await ctx.services.call(
      "logger.log",
      { level: "info", message: "spoof", fields: { source: "admin", module: "x", level: "fatal", ok: true } },
      { caller: "demo" },
    );
    expect(linesWith("spoof")[0]).toMatchObject({
      level: "info",
      source: "demo",
      module: "logger",
      ok: true,
    });
  });

  it("respects the logger's level", async () => {
    const quiet = captureLog("warn");
    const quietEnv = await buildModuleContext(quiet.logger);
    try {
      const manager = createModuleManager();
      manager.add(createLoggerModule());
      await manager.startAll(quietEnv.ctx);
      await quietEnv.ctx.services.call("logger.log", { level: "debug", message: "noise" });
      expect(quiet.lines.some((l) => l.msg === "noise")).toBe(false);
    } finally {
      await quietEnv.dispose();
    }
  });

  it("refuses an unknown level with SERVICE_INVALID_PARAMS", async () => {
    const err = await hearthRejection(ctx.services.call("logger.log", { level: "loud", message: "x" }));
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
  });

  it("refuses an empty message", async () => {
    const err = await hearthRejection(ctx.services.call("logger.log", { level: "info", message: "" }));
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
  });

  it("refuses a message longer than 2000 characters", async () => {
    const err = await hearthRejection(
      ctx.services.call("logger.log", { level: "info", message: "x".repeat(2001) }),
    );
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
  });

  it("accepts a message of exactly 2000 characters", async () => {
    await ctx.services.call("logger.log", { level: "info", message: "y".repeat(2000) });
    expect(linesWith("y".repeat(2000))).toHaveLength(1);
  });

  it("refuses fields that are not an object", async () => {
    const err = await hearthRejection(
      ctx.services.call("logger.log", { level: "info", message: "x", fields: [1] }),
    );
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
  });

  it("refuses oversized fields instead of flooding the log", async () => {
    const fields = { blob: "z".repeat(10_000) };
    const err = await hearthRejection(
      ctx.services.call("logger.log", { level: "info", message: "big", fields }),
    );
    expect(err.code).toBe("SERVICE_INVALID_PARAMS");
    expect(linesWith("big")).toHaveLength(0);
  });

  it("redacts secret fields like every other log line", async () => {
    await ctx.services.call("logger.log", { level: "info", message: "login", fields: { token: "s3cret" } });
    expect(captured.text()).not.toContain("s3cret");
  });
});
