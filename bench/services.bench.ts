/**
 * ServiceRegistry call overhead: `await registry.call(...)` against a direct `await fn(params)`.
 * Run: bun run bench/services.bench.ts
 */
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

save("services");
