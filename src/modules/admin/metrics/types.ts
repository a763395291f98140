import type { MiddlewareHandler } from "hono";
import type { Registry } from "prom-client";
import type { Logger } from "../../../kernel/log/index.ts";
import type { RuntimeMetrics } from "../../../runtime-types.ts";
import type { VersionInfo } from "../../../version.ts";

export interface MetricsOptions {
  /** The runtime's figures, read once per scrape (`CoreRuntime.getMetrics`). May throw before init. */
  getMetrics(): RuntimeMetrics;
  version: VersionInfo;
  /** Where `hearth.db` lives; enables `hearth_storage_file_bytes`. */
  dataDir?: string;
  /**
   * The registry `serviceMetricsMiddleware()` records into, appended to every scrape. Defaults to the
   * module-level `metricsRegistry`; tests pass their own to stay isolated.
   */
  serviceRegistry?: Registry;
  /** Where `/proc/self/io` is read from (tests point it elsewhere). Default `/proc/self/io`. */
  procIoPath?: string;
  logger?: Logger;
}

export interface Metrics {
  /**
   * Hono middleware recording `hearth_http_requests_total` and `hearth_http_request_duration_seconds`
   * by method, matched route pattern (never the raw path; `unmatched` for a 404 no route claimed) and
   * status.
   */
  httpMiddleware(): MiddlewareHandler;
  /** Prometheus text exposition (content type from prom-client). Collects runtime figures at scrape time. */
  render(): Promise<{ contentType: string; body: string }>;
  /** This instance's own registry (runtime, HTTP and process families), for tests and embedders. */
  readonly registry: Registry;
}

export interface ServiceMetricsOptions {
  /** Where to record; default the module-level `metricsRegistry`. */
  registry?: Registry;
}
