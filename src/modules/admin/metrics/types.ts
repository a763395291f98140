import type { MiddlewareHandler } from "hono";
import type { Logger } from "../../../kernel/log/index.ts";
import type { RuntimeMetrics } from "../../../runtime-types.ts";
import type { VersionInfo } from "../../../version.ts";
import type { StreamFigures } from "../stream-slots.ts";

export interface MetricsOptions {
  /** The runtime's figures, read once per scrape (the kernel's `runtime.metrics`). May throw before init. */
  getMetrics(): RuntimeMetrics;
  version: VersionInfo;
  /** Where `hearth.db` lives; enables `hearth_storage_file_bytes`. */
  dataDir?: string;
  /** Open event streams and refusals, from the admin API's stream slots; enables the stream families. */
  streams?: () => StreamFigures;
  /** Where `/proc/self/io` is read from (tests point it elsewhere). Default `/proc/self/io`. */
  procIoPath?: string;
  logger?: Logger;
  /**
   * A rendered text is served again to scrapes within this many ms of its rendering, so a storm of
   * scrapes renders once per window (the peak memory of rendering is what it bounds). Default 0:
   * every scrape renders.
   */
  cacheMs?: number;
}

export interface Metrics {
  /**
   * Hono middleware recording `hearth_http_requests_total` and `hearth_http_request_duration_seconds`
   * by method, matched route pattern (never the raw path; `unmatched` for a 404 no route claimed) and
   * status.
   */
  httpMiddleware(): MiddlewareHandler;
  /** Prometheus text exposition. Collects the runtime's figures at scrape time. */
  render(): Promise<{ contentType: string; body: string }>;
}
