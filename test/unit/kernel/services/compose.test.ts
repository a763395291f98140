import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { createServiceRegistry, type Middleware } from "../../../../src/kernel/services/index.ts";
import { hearthRejection } from "./helpers.ts";

/** A middleware that records when it is entered and left. */
function tracer(name: string, trace: string[]): Middleware {
  return async (_ctx, next) => {
    trace.push(`>${name}`);
    const out = await next();
    trace.push(`<${name}`);
    return out;
  };
}

describe("middleware composition", () => {
  it("runs global middleware outside per-service middleware, each list in its given order", async () => {
    const trace: string[] = [];
    const services = createServiceRegistry({ middleware: [tracer("g1", trace), tracer("g2", trace)] });
    services.use(tracer("g3", trace));
    services.register("a.b", () => trace.push("handler"), {
      owner: "a",
      middleware: [tracer("s1", trace), tracer("s2", trace)],
    });
    await services.call("a.b");
    expect(trace).toEqual([">g1", ">g2", ">g3", ">s1", ">s2", "handler", "<s2", "<s1", "<g3", "<g2", "<g1"]);
  });

  it("applies middleware added with use() only to services registered afterwards", async () => {
    const trace: string[] = [];
    const services = createServiceRegistry();
    services.register("a.before", () => 1, { owner: "a" });
    services.use(tracer("late", trace));
    services.register("a.after", () => 1, { owner: "a" });
    await services.call("a.before");
    expect(trace).toEqual([]);
    await services.call("a.after");
    expect(trace).toEqual([">late", "<late"]);
  });

  it("shows global middleware the raw params and per-service middleware the validated ones", async () => {
    const seen: unknown[] = [];
    const peek: Middleware = (ctx, next) => {
      seen.push(ctx.params);
      return next();
    };
    const services = createServiceRegistry({ middleware: [peek] });
    services.register("a.b", () => 1, {
      owner: "a",
      schema: z.object({ n: z.coerce.number() }),
      middleware: [peek],
    });
    await services.call("a.b", { n: "7" });
    expect(seen).toEqual([{ n: "7" }, { n: 7 }]);
  });

  it("runs global middleware outside metrics", async () => {
    const services = createServiceRegistry();
    const counts: number[] = [];
    services.use(async (_ctx, next) => {
      counts.push(services.stats()["a.b"]?.calls ?? -1);
      const out = await next();
      counts.push(services.stats()["a.b"]?.calls ?? -1);
      return out;
    });
    services.register("a.b", () => 1, { owner: "a" });
    await services.call("a.b");
    expect(counts).toEqual([0, 1]);
  });

  it("lets middleware answer without calling the handler", async () => {
    let ran = false;
    const services = createServiceRegistry({ middleware: [async () => "cached"] });
    services.register(
      "a.b",
      () => {
        ran = true;
      },
      { owner: "a" },
    );
    expect(await services.call("a.b")).toBe("cached");
    expect(ran).toBe(false);
  });

  it("lets middleware change the result on its way out", async () => {
    const services = createServiceRegistry();
    services.register("a.b", () => 20, {
      owner: "a",
      middleware: [async (_ctx, next) => ((await next()) as number) + 1],
    });
    expect(await services.call("a.b")).toBe(21);
  });

  it("rejects when a middleware calls next() twice, and runs the handler only once", async () => {
    let runs = 0;
    const twice: Middleware = async (_ctx, next) => {
      await next();
      return next();
    };
    const services = createServiceRegistry({ middleware: [twice] });
    services.register("a.b", () => ++runs, { owner: "a" });
    const err = await hearthRejection(services.call("a.b"));
    expect(err.code).toBe("INTERNAL_ERROR");
    expect(err.message).toContain("next()");
    expect(runs).toBe(1);
  });

  it("guards per-service middleware against next() twice as well", async () => {
    let runs = 0;
    const services = createServiceRegistry();
    services.register("a.b", () => ++runs, {
      owner: "a",
      middleware: [(_ctx, next) => Promise.all([next(), next()])],
    });
    expect((await hearthRejection(services.call("a.b"))).code).toBe("INTERNAL_ERROR");
    expect(runs).toBe(1);
  });

  it("passes an error thrown synchronously by a middleware to the caller", async () => {
    const boom = new Error("sync");
    const services = createServiceRegistry({
      middleware: [
        () => {
          throw boom;
        },
      ],
    });
    services.register("a.b", () => 1, { owner: "a" });
    await expect(services.call("a.b")).rejects.toBe(boom);
  });

  it("refuses middleware that is not a function", () => {
    const services = createServiceRegistry();
    expect(() => services.use("nope" as unknown as Middleware)).toThrow(
      expect.objectContaining({ code: "INVALID_ARGUMENT" }),
    );
  });

  it("gives middleware the service definition, caller and timeout", async () => {
    let seen: unknown;
    const services = createServiceRegistry({
      middleware: [
        (ctx, next) => {
          seen = {
            name: ctx.service.name,
            owner: ctx.service.owner,
            caller: ctx.caller,
            timeoutMs: ctx.timeoutMs,
            attempt: ctx.attempt,
          };
          return next();
        },
      ],
    });
    services.register("v2.a.b", () => 1, { owner: "a", timeoutMs: 300 });
    await services.call("a.b", {}, { caller: "rules" });
    expect(seen).toEqual({ name: "v2.a.b", owner: "a", caller: "rules", timeoutMs: 300, attempt: 1 });
  });
});
