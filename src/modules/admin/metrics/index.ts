/** Prometheus metrics for the admin API: `createMetrics()` (the exposition and the HTTP middleware). */
export { createMetrics } from "./create-metrics.ts";
export { UNMATCHED_ROUTE } from "./http-metrics.ts";
export type { Metrics, MetricsOptions } from "./types.ts";
