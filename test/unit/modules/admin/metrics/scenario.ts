/**
 * A realistic scrape for the promtool and label-hygiene tests: a real runtime (no listener) with
 * plugins that succeed and fail, service calls that fail with codes, bus events with a failing
 * handler, and HTTP requests carrying secrets in paths, queries and headers.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Hono } from "hono";
import { HearthError } from "../../../../../src/errors.ts";
import { loadConfig } from "../../../../../src/kernel/config/index.ts";
import { silentLogger } from "../../../../../src/kernel/log/index.ts";
import { builtinSource } from "../../../../../src/kernel/plugins/index.ts";
import type { PluginSource } from "../../../../../src/kernel/plugins/types.ts";
import { createMetrics } from "../../../../../src/modules/admin/metrics/index.ts";
import { CoreRuntime } from "../../../../../src/runtime.ts";
import type { PluginDefinition } from "../../../../../src/sdk/index.ts";
import { VERSION } from "./exposition.ts";

function plugin(name: string, definition: PluginDefinition<unknown>): PluginSource {
  return builtinSource({ manifest: { name, version: "1.0.0" }, load: async () => ({ default: definition }) });
}

/** Token-shaped secrets (the AUTH format `hth_` + 43 base64url chars) sent in every way a client can. */
export const SECRETS = [
  `hth_${"Q".repeat(20)}x9_-${"z".repeat(19)}`,
  `hth_${Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url")}`,
  "s3cr3t-Passw0rd-in-a-query-string-0123456789",
];

export async function scenario(): Promise<{ body: string; contentType: string }> {
  const dir = mkdtempSync(join(tmpdir(), "hearth-metrics-scn-"));
  const { config } = loadConfig({ env: { HEARTH_DATA_DIR: dir }, cwd: dir });
  const runtime = new CoreRuntime({
    config,
    logger: silentLogger(),
    http: false,
    hookTimeoutMs: 200,
    builtinPlugins: [
      plugin("scn-lamp", {
        onStart(ctx) {
          ctx.services.register("toggle", (p: unknown) => p);
          ctx.services.register("refuse", () => {
            throw new HearthError("INVALID_ARGUMENT", `bad ${SECRETS[0]}`);
          });
          ctx.events.subscribe("scn.event", () => {
            throw new Error(`handler failed with ${SECRETS[1]}`);
          });
        },
      }),
      plugin("scn-broken", {
        onStart() {
          throw new Error("cannot start");
        },
      }),
    ],
  });
  try {
    await runtime.start();
    const { services, bus, state, storage } = runtime.kernel;
    await services.call("scn-lamp.toggle", { token: SECRETS[0] });
    await services.call("scn-lamp.refuse", { token: SECRETS[1] }).catch(() => undefined);
    await services.call(`scn-lamp.${"x".repeat(3)}`).catch(() => undefined);
    await bus.publish("scn.event", { token: SECRETS[2] });
    await bus.drain();
    state.set("scn/token", SECRETS[0] as string);
    await storage.set("scn", "k", { token: SECRETS[1] as string });

    const metrics = createMetrics({ getMetrics: () => runtime.getMetrics(), version: VERSION, dataDir: dir });
    const app = new Hono();
    app.use("*", metrics.httpMiddleware());
    app.get("/api/v1/state/*", (c) => c.json({}));
    app.get("/api/v1/tokens/:id", (c) => c.json({}));
    app.delete("/api/v1/tokens/:id", (c) => c.body(null, 204));
    for (const secret of SECRETS) {
      const headers = { authorization: `Bearer ${secret}`, "x-forwarded-for": secret };
      await app.request(`/api/v1/state/${secret}?pattern=${secret}`, { headers });
      await app.request(`/api/v1/tokens/${secret}`, { method: "DELETE", headers });
      await app.request(`/${secret}`, { headers });
      await app.request(`/api/v1/${secret}/call?token=${secret}`, { method: "POST", headers });
    }
    return await metrics.render();
  } finally {
    await runtime.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
