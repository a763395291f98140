import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { HearthError } from "../../../../src/errors.ts";
import {
  createModuleManager,
  defineModule,
  type ModuleContext,
  type ModuleManager,
} from "../../../../src/kernel/modules/index.ts";
import { hearthRejection } from "../../../helpers/errors.ts";
import { captureLog } from "../../../helpers/log.ts";
import { buildModuleContext, type TestModuleContext } from "./module-context.ts";
import { recorder } from "./recorder.ts";

let env: TestModuleContext;
let ctx: ModuleContext;
let manager: ModuleManager;

beforeEach(async () => {
  env = await buildModuleContext();
  ctx = env.ctx;
  manager = createModuleManager({ hookTimeoutMs: 50 });
});

afterEach(async () => {
  await env.dispose();
});

describe("order and exactly-once", () => {
  it("registers and starts in add order and stops in exact reverse order", async () => {
    const { calls, module } = recorder();
    for (const name of ["a", "b", "c"]) manager.add(module(name));
    await manager.registerAll(ctx);
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    expect(calls).toEqual([
      "a.register",
      "b.register",
      "c.register",
      "a.start",
      "b.start",
      "c.start",
      "c.stop",
      "b.stop",
      "a.stop",
    ]);
  });

  it("runs each hook once even when every phase is called twice", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    await manager.registerAll(ctx);
    await manager.registerAll(ctx);
    await manager.startAll(ctx);
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    await manager.stopAll(ctx);
    expect(calls).toEqual(["a.register", "a.start", "a.stop"]);
  });

  it("runs each hook once when phases overlap", async () => {
    const { calls, module } = recorder();
    const a = module("a");
    manager.add(a);
    manager.add(module("b"));
    await Promise.all([manager.startAll(ctx), manager.startAll(ctx), manager.registerDynamic(a)]);
    expect(calls).toEqual(["a.register", "a.start", "b.register", "b.start"]);
  });

  it("registers a module first when startAll is called without registerAll", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    await manager.startAll(ctx);
    expect(calls).toEqual(["a.register", "a.start"]);
    expect(manager.get("a")?.state).toBe("started");
  });

  it("registers a module added between registerAll and startAll before starting it", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    await manager.registerAll(ctx);
    manager.add(module("b"));
    await manager.startAll(ctx);
    expect(calls).toEqual(["a.register", "a.start", "b.register", "b.start"]);
  });

  it("accepts modules without any hook", async () => {
    manager.add(defineModule({ name: "bare" }));
    await manager.registerAll(ctx);
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    expect(manager.get("bare")?.state).toBe("stopped");
  });

  it("gives each module a context whose logger names the module", async () => {
    const captured = captureLog();
    const seen: ModuleContext[] = [];
    manager.add(
      defineModule({
        name: "chatty",
        register(c) {
          seen.push(c);
          c.log.info("hello");
        },
        start(c) {
          seen.push(c);
        },
      }),
    );
    await manager.startAll({ ...ctx, log: captured.logger });
    expect(captured.lines.find((l) => l.msg === "hello")?.module).toBe("chatty");
    expect(seen[0]?.services).toBe(ctx.services);
    expect(seen[0]).toBe(seen[1] as ModuleContext);
  });
});

describe("required and optional failures", () => {
  it("a required module failing to register throws MODULE_REQUIRED_FAILED naming it and its hook", async () => {
    const { module } = recorder();
    manager.add(module("a"));
    manager.add(module("core", { fail: ["register"] }));
    const err = await hearthRejection(manager.registerAll(ctx));
    expect(err.code).toBe("MODULE_REQUIRED_FAILED");
    expect(err.data).toEqual({ module: "core", hook: "register" });
    expect(err.message).toContain('"core"');
    expect((err.cause as Error).message).toBe("core register broke");
  });

  it("a required register failure leaves the modules after it unregistered and stops nothing", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    manager.add(module("core", { fail: ["register"] }));
    manager.add(module("c"));
    await hearthRejection(manager.registerAll(ctx));
    expect(calls).toEqual(["a.register", "core.register"]);
    expect(manager.get("c")?.state).toBe("added");
    expect(manager.get("core")?.state).toBe("failed");
  });

  it("a required module failing to start throws MODULE_REQUIRED_FAILED with the original cause", async () => {
    const { module } = recorder();
    manager.add(module("core", { fail: ["start"] }));
    await manager.registerAll(ctx);
    const err = await hearthRejection(manager.startAll(ctx));
    expect(err.code).toBe("MODULE_REQUIRED_FAILED");
    expect(err.data).toEqual({ module: "core", hook: "start" });
    expect((err.cause as Error).message).toBe("core start broke");
  });

  it("an optional module failing to register is marked failed and the others go on", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    manager.add(module("extra", { required: false, fail: ["register"] }));
    manager.add(module("c"));
    await manager.registerAll(ctx);
    await manager.startAll(ctx);
    expect(calls).toEqual(["a.register", "extra.register", "c.register", "a.start", "c.start"]);
    expect(manager.get("extra")).toMatchObject({
      state: "failed",
      errorCount: 1,
      error: { hook: "register", message: "extra register broke" },
    });
  });

  it("an optional module failing to start is marked failed and the others still start", async () => {
    const { calls, module } = recorder();
    manager.add(module("extra", { required: false, fail: ["start"] }));
    manager.add(module("b"));
    await manager.startAll(ctx);
    expect(calls).toContain("b.start");
    expect(manager.get("b")?.state).toBe("started");
    expect(manager.get("extra")?.error).toEqual({ hook: "start", message: "extra start broke" });
  });

  it("logs an optional module's failure", async () => {
    const captured = captureLog();
    const logged = createModuleManager({ logger: captured.logger });
    const { module } = recorder();
    logged.add(module("extra", { required: false, fail: ["start"] }));
    await logged.startAll(ctx);
    const line = captured.lines.find((l) => l.module === "extra");
    expect(line).toMatchObject({ level: "warn", component: "modules", hook: "start" });
  });

  it("the add options can make a module optional", async () => {
    const { module } = recorder();
    manager.add(module("flaky", { fail: ["register"] }), { required: false });
    await manager.registerAll(ctx);
    expect(manager.get("flaky")).toMatchObject({ required: false, state: "failed" });
  });
});

describe("stopping", () => {
  it("stops a module whose start failed", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    manager.add(module("extra", { required: false, fail: ["start"] }));
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    expect(calls.slice(-2)).toEqual(["extra.stop", "a.stop"]);
  });

  it("after a required start failure, stops every registered module in reverse", async () => {
    const { calls, module } = recorder();
    for (const name of ["a", "b"]) manager.add(module(name));
    manager.add(module("core", { fail: ["start"] }));
    manager.add(module("d"));
    await manager.registerAll(ctx);
    await hearthRejection(manager.startAll(ctx));
    await manager.stopAll(ctx);
    expect(calls.filter((c) => c.endsWith(".stop"))).toEqual(["d.stop", "core.stop", "b.stop", "a.stop"]);
  });

  it("does not stop a module whose register failed", async () => {
    const { calls, module } = recorder();
    manager.add(module("extra", { required: false, fail: ["register"] }));
    manager.add(module("b"));
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    expect(calls).not.toContain("extra.stop");
    expect(calls).toContain("b.stop");
  });

  it("a failing stop is logged and the others are still stopped", async () => {
    const captured = captureLog();
    const logged = createModuleManager({ logger: captured.logger, hookTimeoutMs: 50 });
    const { calls, module } = recorder();
    logged.add(module("a"));
    logged.add(module("b", { fail: ["stop"] }));
    logged.add(module("c"));
    await logged.startAll(ctx);
    await logged.stopAll(ctx);
    expect(calls.filter((c) => c.endsWith(".stop"))).toEqual(["c.stop", "b.stop", "a.stop"]);
    expect(logged.get("b")).toMatchObject({ state: "stopped", errorCount: 1, error: { hook: "stop" } });
    expect(captured.lines.some((l) => l.module === "b" && l.level === "error")).toBe(true);
  });

  it("a hanging stop times out and stopping goes on", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    manager.add(module("stuck", { hang: ["stop"] }));
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    expect(calls.at(-1)).toBe("a.stop");
    expect(manager.get("stuck")?.error).toMatchObject({ hook: "stop", code: "MODULE_HOOK_TIMEOUT" });
  });

  it("a second stopAll is a no-op", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    await manager.stopAll(ctx);
    expect(calls.filter((c) => c === "a.stop")).toHaveLength(1);
  });

  it("refuses to register or start once stopped", async () => {
    await manager.stopAll(ctx);
    expect((await hearthRejection(manager.registerAll(ctx))).code).toBe("RUNTIME_NOT_READY");
    expect((await hearthRejection(manager.startAll(ctx))).code).toBe("RUNTIME_NOT_READY");
  });

  it("a stop requested while a start runs waits for it, then stops in reverse", async () => {
    // A generous timeout: this test is about ordering, not about the deadline.
    const patient = createModuleManager({ hookTimeoutMs: 5000 });
    const { calls, module } = recorder();
    let release: () => void = () => {};
    patient.add(module("a"));
    patient.add(
      defineModule({
        name: "slow",
        start: () =>
          new Promise<void>((resolve) => {
            calls.push("slow.start");
            release = () => {
              calls.push("slow.started");
              resolve();
            };
          }),
        stop: () => {
          calls.push("slow.stop");
        },
      }),
    );
    patient.add(module("c"));
    await patient.registerAll(ctx);
    const starting = patient.startAll(ctx);
    await Bun.sleep(5);
    const stopping = patient.stopAll(ctx);
    await Bun.sleep(5);
    release();
    expect((await hearthRejection(starting)).code).toBe("RUNTIME_NOT_READY");
    await stopping;
    expect(calls).not.toContain("c.start");
    expect(calls.slice(calls.indexOf("slow.started"))).toEqual([
      "slow.started",
      "c.stop",
      "slow.stop",
      "a.stop",
    ]);
  });
});

describe("hook timeouts", () => {
  it("a hanging required start fails with MODULE_HOOK_TIMEOUT naming module and hook", async () => {
    const { module } = recorder();
    manager.add(module("stuck", { hang: ["start"] }));
    const err = await hearthRejection(manager.startAll(ctx));
    expect(err.code).toBe("MODULE_REQUIRED_FAILED");
    const cause = err.cause as HearthError;
    expect(cause.code).toBe("MODULE_HOOK_TIMEOUT");
    expect(cause.data).toMatchObject({ module: "stuck", hook: "start" });
    expect(cause.message).toContain('"stuck" start');
  });

  it("a hanging optional register is marked failed and the next module registers", async () => {
    const { calls, module } = recorder();
    manager.add(module("stuck", { required: false, hang: ["register"] }));
    manager.add(module("b"));
    await manager.registerAll(ctx);
    expect(calls).toContain("b.register");
    expect(manager.get("stuck")?.error).toMatchObject({ hook: "register", code: "MODULE_HOOK_TIMEOUT" });
  });

  it("a synchronous throw in a hook is treated like a rejection", async () => {
    manager.add(
      defineModule({
        name: "sync",
        required: false,
        register() {
          throw new Error("sync boom");
        },
      }),
    );
    await manager.registerAll(ctx);
    expect(manager.get("sync")?.error).toEqual({ hook: "register", message: "sync boom" });
  });

  it("refuses a hookTimeoutMs that is not a positive number", () => {
    expect(() => createModuleManager({ hookTimeoutMs: 0 })).toThrow(HearthError);
    expect(() => createModuleManager({ hookTimeoutMs: Number.NaN })).toThrow(HearthError);
  });
});
