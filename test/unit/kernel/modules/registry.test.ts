import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { HearthError } from "../../../../src/errors.ts";
import {
  type ComponentHealth,
  createModuleManager,
  defineModule,
  type ModuleContext,
  type ModuleManager,
} from "../../../../src/kernel/modules/index.ts";
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

function thrown(fn: () => unknown): HearthError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(HearthError);
    return err as HearthError;
  }
  throw new Error("expected a throw");
}

describe("defineModule", () => {
  it("defaults required to true", () => {
    expect(defineModule({ name: "a" }).required).toBe(true);
  });

  it("keeps an explicit required: false", () => {
    expect(defineModule({ name: "a", required: false }).required).toBe(false);
  });
});

describe("adding modules", () => {
  it("adding the same instance twice is a no-op", async () => {
    const { calls, module } = recorder();
    const a = module("a");
    manager.add(a);
    manager.add(a);
    await manager.registerAll(ctx);
    expect(manager.list()).toHaveLength(1);
    expect(calls).toEqual(["a.register"]);
  });

  it("another instance under a taken name throws MODULE_ALREADY_REGISTERED", () => {
    manager.add(defineModule({ name: "a" }));
    const err = thrown(() => manager.add(defineModule({ name: "a" })));
    expect(err.code).toBe("MODULE_ALREADY_REGISTERED");
    expect(err.message).toContain('"a"');
  });

  it("refuses a module without a valid name", () => {
    expect(thrown(() => manager.add(defineModule({ name: "" }))).code).toBe("INVALID_ARGUMENT");
    expect(thrown(() => manager.add(defineModule({ name: "Has Space" }))).code).toBe("INVALID_ARGUMENT");
  });

  it("refuses a hook that is not a function", () => {
    const bad = { name: "bad", start: "soon" } as unknown as Parameters<ModuleManager["add"]>[0];
    expect(thrown(() => manager.add(bad)).code).toBe("INVALID_ARGUMENT");
  });

  it("lists modules in add order with their state and counters", async () => {
    const { module } = recorder();
    manager.add(module("a"));
    manager.add(module("b", { required: false, fail: ["start"] }));
    await manager.startAll(ctx);
    const list = manager.list();
    expect(list.map((m) => [m.name, m.state, m.required, m.errorCount])).toEqual([
      ["a", "started", true, 0],
      ["b", "failed", false, 1],
    ]);
    expect(typeof list[0]?.registerMs).toBe("number");
    expect(typeof list[0]?.startMs).toBe("number");
  });

  it("get returns undefined for an unknown module", () => {
    expect(manager.get("nope")).toBeUndefined();
  });
});

describe("dynamic registration", () => {
  it("before registerAll it only adds the module", async () => {
    const { calls, module } = recorder();
    await manager.registerDynamic(module("late"));
    expect(calls).toEqual([]);
    expect(manager.get("late")?.state).toBe("added");
  });

  it("after registerAll it registers the module at once", async () => {
    const { calls, module } = recorder();
    await manager.registerAll(ctx);
    await manager.registerDynamic(module("late"));
    expect(calls).toEqual(["late.register"]);
    expect(manager.get("late")?.state).toBe("registered");
  });

  it("after startAll it registers and starts the module at once", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    await manager.startAll(ctx);
    await manager.registerDynamic(module("late"));
    expect(calls).toEqual(["a.register", "a.start", "late.register", "late.start"]);
    expect(manager.get("late")?.state).toBe("started");
  });

  it("a dynamically registered module is stopped first", async () => {
    const { calls, module } = recorder();
    manager.add(module("a"));
    await manager.startAll(ctx);
    await manager.registerDynamic(module("late"));
    await manager.stopAll(ctx);
    expect(calls.slice(-2)).toEqual(["late.stop", "a.stop"]);
  });

  it("a failing required dynamic module throws MODULE_REQUIRED_FAILED", async () => {
    const { module } = recorder();
    await manager.startAll(ctx);
    let err: unknown;
    try {
      await manager.registerDynamic(module("late", { fail: ["start"] }));
    } catch (e) {
      err = e;
    }
    expect((err as HearthError).code).toBe("MODULE_REQUIRED_FAILED");
    expect(manager.get("late")?.state).toBe("failed");
  });

  it("a failing optional dynamic module is marked failed without throwing", async () => {
    const { module } = recorder();
    await manager.startAll(ctx);
    await manager.registerDynamic(module("late", { fail: ["register"] }), { required: false });
    expect(manager.get("late")).toMatchObject({ state: "failed", error: { hook: "register" } });
  });

  it("registering the same instance again after start runs no hook twice", async () => {
    const { calls, module } = recorder();
    const late = module("late");
    await manager.startAll(ctx);
    await manager.registerDynamic(late);
    await manager.registerDynamic(late);
    expect(calls).toEqual(["late.register", "late.start"]);
  });

  it("a module may register another one from its own start hook", async () => {
    const { calls, module } = recorder();
    manager.add(
      defineModule({
        name: "parent",
        async start() {
          await manager.registerDynamic(module("child"));
        },
      }),
    );
    await manager.startAll(ctx);
    expect(calls).toEqual(["child.register", "child.start"]);
    expect(manager.get("parent")?.state).toBe("started");
  });

  it("refuses once stopping has begun", async () => {
    const { module } = recorder();
    await manager.startAll(ctx);
    await manager.stopAll(ctx);
    let err: unknown;
    try {
      await manager.registerDynamic(module("late"));
    } catch (e) {
      err = e;
    }
    expect((err as HearthError).code).toBe("RUNTIME_NOT_READY");
  });
});

describe("health", () => {
  function withHealth(name: string, health: () => ComponentHealth, required = true) {
    return defineModule({ name, required, health });
  }

  it("is healthy when every module started", async () => {
    const { module } = recorder();
    manager.add(module("a"));
    await manager.startAll(ctx);
    expect(manager.health()).toEqual({
      status: "healthy",
      modules: { a: { status: "healthy", detail: "started" } },
    });
  });

  it("is unhealthy when a required module failed", async () => {
    const { module } = recorder();
    manager.add(module("core", { fail: ["start"] }));
    await manager.startAll(ctx).catch(() => {});
    const health = manager.health();
    expect(health.status).toBe("unhealthy");
    expect(health.modules.core?.status).toBe("unhealthy");
    expect(health.modules.core?.detail).toContain("core start broke");
  });

  it("is degraded when an optional module failed", async () => {
    const { module } = recorder();
    manager.add(module("a"));
    manager.add(module("extra", { required: false, fail: ["register"] }));
    await manager.startAll(ctx);
    const health = manager.health();
    expect(health.status).toBe("degraded");
    expect(health.modules.extra?.status).toBe("unhealthy");
    expect(health.modules.a?.status).toBe("healthy");
  });

  it("includes a module's own health result", async () => {
    manager.add(withHealth("net", () => ({ status: "degraded", detail: "slow link" })));
    await manager.startAll(ctx);
    expect(manager.health()).toEqual({
      status: "degraded",
      modules: { net: { status: "degraded", detail: "slow link" } },
    });
  });

  it("a required module reporting itself unhealthy makes the whole unhealthy", async () => {
    manager.add(withHealth("db", () => ({ status: "unhealthy" })));
    await manager.startAll(ctx);
    expect(manager.health().status).toBe("unhealthy");
  });

  it("an optional module reporting itself unhealthy only degrades the whole", async () => {
    manager.add(withHealth("ui", () => ({ status: "unhealthy" }), false));
    await manager.startAll(ctx);
    expect(manager.health().status).toBe("degraded");
  });

  it("a throwing health hook counts as unhealthy for that module", async () => {
    manager.add(
      withHealth("odd", () => {
        throw new Error("probe broke");
      }),
    );
    await manager.startAll(ctx);
    const health = manager.health();
    expect(health.modules.odd).toEqual({ status: "unhealthy", detail: "health() threw: probe broke" });
    expect(health.status).toBe("unhealthy");
  });

  it("a health hook returning no valid status counts as unhealthy", async () => {
    manager.add(withHealth("odd", () => ({ status: "fine" }) as unknown as ComponentHealth));
    await manager.startAll(ctx);
    expect(manager.health().modules.odd?.status).toBe("unhealthy");
  });

  it("does not ask a module that is not running", async () => {
    let asked = 0;
    manager.add(
      withHealth("idle", () => {
        asked++;
        return { status: "unhealthy" };
      }),
    );
    await manager.registerAll(ctx);
    expect(manager.health().status).toBe("healthy");
    expect(asked).toBe(0);
  });
});
