/**
 * Prometheus metrics for the admin API: `createMetrics()` (exposition and HTTP middleware) and
 * `serviceMetricsMiddleware()` (installed by the runtime on its service registry).
 */
export { createMetrics } from "./create-metrics.ts";
export { UNMATCHED_ROUTE } from "./http-metrics.ts";
export { metricsRegistry, serviceMetricsMiddleware } from "./service-metrics.ts";
export type { Metrics, MetricsOptions, ServiceMetricsOptions } from "./types.ts";
