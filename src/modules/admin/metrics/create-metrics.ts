import { Registry } from "prom-client";
import { errorMessage } from "../../../errors.ts";
import { silentLogger } from "../../../kernel/log/index.ts";
import type { RuntimeMetrics } from "../../../runtime-types.ts";
import { createHttpMetrics } from "./http-metrics.ts";
import { registerProcessFamilies } from "./process-families.ts";
import { registerRuntimeFamilies } from "./runtime-families.ts";
import { metricsRegistry } from "./service-metrics.ts";
import type { Metrics, MetricsOptions } from "./types.ts";

/**
 * The admin API's Prometheus exporter: a dedicated registry per call (so several runtimes or apps in
 * one process never collide), filled from `getMetrics()` at scrape time, plus the HTTP middleware's
 * families and the service families `serviceMetricsMiddleware()` records.
 *
 * @example
 * const metrics = createMetrics({ getMetrics: () => runtime.getMetrics(), version: versionInfo() });
 * app.use("*", metrics.httpMiddleware());
 * app.get("/metrics", async (c) => {
 *   const { contentType, body } = await metrics.render();
 *   return c.body(body, 200, { "Content-Type": contentType });
 * });
 */
export function createMetrics(options: MetricsOptions): Metrics {
  const log = (options.logger ?? silentLogger()).child({ component: "metrics" });
  const registry = new Registry();
  const services = options.serviceRegistry ?? metricsRegistry;
  registerProcessFamilies(registry);
  const update = registerRuntimeFamilies(registry, {
    version: options.version,
    dataDir: options.dataDir,
    procIoPath: options.procIoPath ?? "/proc/self/io",
  });
  const httpMiddleware = createHttpMetrics(registry);

  return {
    registry,
    httpMiddleware,
    async render() {
      let snapshot: RuntimeMetrics | undefined;
      try {
        snapshot = options.getMetrics();
      } catch (err) {
        // Before init (or after a failed one) the process families still answer.
        log.debug({ err: errorMessage(err) }, "runtime figures unavailable for this scrape");
      }
      update(snapshot);
      const [own, calls] = await Promise.all([registry.metrics(), services.metrics()]);
      return { contentType: registry.contentType, body: join(own, calls) };
    },
  };
}

function join(a: string, b: string): string {
  if (b === "") return a;
  return a.endsWith("\n") ? a + b : `${a}\n${b}`;
}
