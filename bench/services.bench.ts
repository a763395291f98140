/**
 * ServiceRegistry call overhead: `await registry.call(...)` against a direct `await fn(params)`, and
 * against Moleculer's local `broker.call` (its defaults, logger/metrics/tracing off) in the same run.
 * Run: bun run bench/services.bench.ts
 */
import { ServiceBroker } from "moleculer";
import { z } from "zod";
import { createServiceRegistry } from "../src/kernel/services/index.ts";
import { compare, save } from "./lib.ts";

interface Params {
  id: string;
  brightness: number;
}

const handler = async (p: Params) => p.brightness;
const params: Params = { id: "lamp", brightness: 40 };
const schema = z.object({ id: z.string(), brightness: z.number().int().min(0).max(100) });

const services = createServiceRegistry();
// Default built-ins for a service with a schema: metrics + timeout + validation.
services.register("lights.set_validated", handler, { owner: "lights", schema });
// No optional built-ins: metrics + timeout only.
services.register("lights.set_plain", handler, { owner: "lights" });
// Same, but the handler reads ctx.signal, which makes the call create its AbortController.
services.register("lights.set_signal", async (p: Params, ctx) => (ctx.signal.aborted ? 0 : p.brightness), {
  owner: "lights",
});

await compare("service call (one params object, async handler)", [
  { name: "direct: await fn(params)", baseline: true, fn: async () => await handler(params) },
  {
    name: "registry.call, no schema (metrics + timeout)",
    fn: async () => await services.call("lights.set_plain", params),
  },
  {
    name: "registry.call, schema (metrics + timeout + validation)",
    fn: async () => await services.call("lights.set_validated", params),
  },
  {
    name: "registry.call, no schema, handler reads ctx.signal",
    fn: async () => await services.call("lights.set_signal", params),
  },
]);

// Moleculer (a devDependency only for this table): the same handler as a local action.
const broker = new ServiceBroker({ logger: false, metrics: false, tracing: false });
broker.createService({
  name: "lights",
  actions: {
    set_plain: (ctx: { params: Params }) => handler(ctx.params),
    set_validated: {
      params: { id: "string", brightness: { type: "number", integer: true, min: 0, max: 100 } },
      handler: (ctx: { params: Params }) => handler(ctx.params),
    },
  },
});
await broker.start();
await compare("service call against Moleculer's local broker.call (same handler)", [
  {
    name: "Moleculer broker.call, no params schema",
    baseline: true,
    fn: async () => await broker.call("lights.set_plain", params),
  },
  {
    name: "Moleculer broker.call, params schema (fastest-validator)",
    fn: async () => await broker.call("lights.set_validated", params),
  },
  {
    name: "registry.call, no schema (metrics + timeout)",
    fn: async () => await services.call("lights.set_plain", params),
  },
  {
    name: "registry.call, schema (metrics + timeout + zod validation)",
    fn: async () => await services.call("lights.set_validated", params),
  },
]);
await broker.stop();

save("services");
