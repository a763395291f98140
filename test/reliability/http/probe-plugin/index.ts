/**
 * Reliability fixture, installed as an external plugin in `<dataDir>/plugins/probe`. It declares owner
 * endpoints with path, query and body schemas (so the hostile corpus, generated from /openapi.json,
 * reaches owner-route validation and a service that writes storage and state), and, with
 * `loadEveryMs > 0`, drives a steady internal load for the soak: bus events, service calls, state sets
 * with TTLs, storage writes and deletes. `import type` only: an external plugin cannot import Hearth.
 */
import type { JsonObject, JsonValue } from "../../../../src/kernel/storage/types.ts";
import type { PluginContext, PluginDefinition } from "../../../../src/sdk/index.ts";

interface ProbeConfig {
  /** Period of the internal load (0: none). */
  loadEveryMs: number;
  /** Storage keys the load cycles through (bounded, so the database does not grow without end). */
  keys: number;
}

interface PutParams {
  id: string;
  n: number;
  label: string;
  tags?: string[];
  /** Validated as any JSON by the route schema. */
  payload?: JsonValue;
  ttlMs?: number;
}

const plugin: PluginDefinition<ProbeConfig> = {
  configSchema: (z) =>
    z.object({
      loadEveryMs: z.int().min(0).default(0),
      keys: z.int().min(1).max(10_000).default(200),
    }),

  async onStart(ctx) {
    const z = ctx.z;
    const Id = z.object({ id: z.string().regex(/^[a-z0-9-]{1,32}$/) });

    ctx.services.register("put", async (p: PutParams) => {
      const doc = { n: p.n, label: p.label, tags: p.tags ?? [], payload: p.payload ?? null };
      await ctx.storage.set("probe", `item:${p.id}`, doc);
      ctx.state.set(`probe/items/${p.id}`, doc, { ttlMs: p.ttlMs ?? 2000 });
      await ctx.events.publish("probe.item_stored", { id: p.id });
      return { id: p.id, stored: true };
    });
    ctx.services.register("get", async ({ id }: { id: string }) => {
      const doc = await ctx.storage.get("probe", `item:${id}`);
      if (doc === undefined) throw ctx.errors.create("NOT_FOUND", `No item "${id}"`, { id });
      return { id, ...doc };
    });
    ctx.services.register("remove", async ({ id }: { id: string }) => ({
      removed: await ctx.storage.delete("probe", `item:${id}`),
    }));
    // Keeps whatever JSON it is given in state for a second: deep or odd values meet the state engine.
    ctx.services.register("echo", (params: unknown) => {
      ctx.state.set("probe/echo", params ?? null, { ttlMs: 1000 });
      return { kind: Array.isArray(params) ? "array" : params === null ? "null" : typeof params };
    });

    ctx.http.register({
      method: "POST",
      path: "/items/:id",
      service: "put",
      summary: "Stores an item (storage, then state with a TTL)",
      scope: "control",
      params: Id,
      query: z.object({ ttlMs: z.coerce.number().int().min(10).max(60_000).optional() }),
      body: z.object({
        n: z.int().min(0).max(1_000_000),
        label: z.string().min(1).max(100),
        tags: z.array(z.string().max(32)).max(8).optional(),
        payload: z.unknown().optional(),
      }),
    });
    ctx.http.register({
      method: "GET",
      path: "/items/:id",
      service: "get",
      summary: "Reads an item",
      scope: "read",
      params: Id,
    });
    ctx.http.register({
      method: "DELETE",
      path: "/items/:id",
      service: "remove",
      summary: "Deletes an item",
      scope: "admin",
      params: Id,
    });
    ctx.http.register({
      method: "POST",
      path: "/echo",
      service: "echo",
      summary: "Puts any JSON body into state for a second",
      scope: "control",
      body: z.unknown(),
    });

    if (ctx.config.loadEveryMs > 0) startLoad(ctx);
  },
};

/** One tick: a little of everything the kernel does, on bounded key sets. */
function startLoad(ctx: PluginContext<ProbeConfig>): void {
  let tick = 0;
  let received = 0;
  ctx.events.subscribe("probe.*", () => {
    received++;
  });
  ctx.state.watch("probe/load/**", () => {});
  ctx.setInterval(async () => {
    tick++;
    const slot = tick % ctx.config.keys;
    await ctx.events.publish("probe.ticked", { tick, received });
    ctx.state.set(`probe/load/${slot}`, { tick }, { ttlMs: 50 + (tick % 200) });
    // A new key every tick: only expiry keeps the state engine from growing.
    ctx.state.set(`probe/ttl/${tick}`, tick, { ttlMs: 100 });
    await ctx.storage.set("probe", `load:${slot}`, { tick, at: Date.now(), pad: "x".repeat(tick % 512) });
    await ctx.storage.set("probe", `reported:${slot % 20}`, { tick }, { deferred: true });
    if (tick % 7 === 0) await ctx.storage.delete("probe", `load:${(slot + 1) % ctx.config.keys}`);
    await ctx.services.call("probe.put", { id: `t${slot}`, n: tick % 1000, label: "load", ttlMs: 30 });
    await ctx.services.call("probe.get", { id: `t${slot}` });
    if (tick % 50 === 0) await ctx.storage.batchSet("probe", batch(tick));
  }, ctx.config.loadEveryMs);
}

function batch(tick: number): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (let i = 0; i < 20; i++) out[`batch:${i}`] = { tick, i };
  return out;
}

export default plugin;
