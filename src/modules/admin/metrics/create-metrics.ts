import { errorMessage } from "../../../errors.ts";
import { silentLogger } from "../../../kernel/log/index.ts";
import type { RuntimeMetrics } from "../../../runtime-types.ts";
import { CONTENT_TYPE, Exposition } from "./exposition.ts";
import { busFamilies } from "./families/bus.ts";
import { pluginFamilies } from "./families/plugins.ts";
import { runtimeFamilies } from "./families/runtime.ts";
import { serviceFamilies } from "./families/services.ts";
import { stateFamilies } from "./families/state.ts";
import { storageFamilies } from "./families/storage.ts";
import { streamFamilies } from "./families/streams.ts";
import type { Families } from "./families/types.ts";
import { createHttpMetrics } from "./http-metrics.ts";
import { renderProcessFamilies } from "./process-families.ts";
import type { Metrics, MetricsOptions } from "./types.ts";

/**
 * The admin API's Prometheus exporter. Everything but the HTTP families is rendered at scrape time
 * from figures the runtime already keeps (`getMetrics()`): service calls are counted once, by the
 * kernel's service registry. Each exporter keeps its own series, so several in one process never
 * collide.
 *
 * @example
 * const metrics = createMetrics({ getMetrics: () => kernel.runtime.metrics(), version: versionInfo() });
 * app.use("*", metrics.httpMiddleware());
 * app.get("/metrics", async (c) => {
 *   const { contentType, body } = await metrics.render();
 *   return c.body(body, 200, { "Content-Type": contentType });
 * });
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const log = (options.logger ?? silentLogger()).child({ component: "metrics" });
  const http = createHttpMetrics();
  const families: Families[] = [
    runtimeFamilies(options.version),
    pluginFamilies(),
    busFamilies(),
    serviceFamilies(),
    storageFamilies({ dataDir: options.dataDir, procIoPath: options.procIoPath ?? "/proc/self/io" }),
    stateFamilies(),
  ];
  if (options.streams !== undefined) families.push(streamFamilies(options.streams));
  const cacheMs = options.cacheMs ?? 0;
  let cached: { at: number; body: string } | undefined;
  function renderNow(): string {
    let snapshot: RuntimeMetrics | undefined;
    try {
      snapshot = options.getMetrics();
    } catch (err) {
      // Before init (or after a failed one) the process and build families still answer.
      log.debug({ err: errorMessage(err) }, "runtime figures unavailable for this scrape");
    }
    const out = new Exposition();
    renderProcessFamilies(out);
    for (const family of families) family(out, snapshot);
    http.render(out);
    return out.text();
  }
  return {
    httpMiddleware: () => http.middleware(),
    async render() {
      if (cacheMs <= 0) return { contentType: CONTENT_TYPE, body: renderNow() };
      const now = performance.now();
      if (cached === undefined || now - cached.at >= cacheMs) cached = { at: now, body: renderNow() };
      return { contentType: CONTENT_TYPE, body: cached.body };
    },
  };
}
