import { Counter, Histogram, Registry } from "prom-client";
import type { Middleware } from "../../../kernel/services/types.ts";
import { errorCodeLabel } from "./labels.ts";
import type { ServiceMetricsOptions } from "./types.ts";

/**
 * The registry `serviceMetricsMiddleware()` records into by default (a dedicated one, not prom-client's
 * global): the runtime installs the middleware when it builds its service registry, and the admin
 * module's `createMetrics()` appends this registry to every scrape. One per process, so several
 * runtimes in one process (tests) add up their calls here.
 */
export const metricsRegistry: Registry = new Registry();

/** Service-call latencies: mostly sub-millisecond local calls, up to timed-out calls to the outside. */
const SERVICE_BUCKETS = [0.0005, 0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

interface ServiceInstruments {
  calls: Counter<"service">;
  errors: Counter<"service" | "code">;
  duration: Histogram<"service">;
}

// One set per registry, so asking twice (several runtimes, several tests) never registers twice.
const instruments = new WeakMap<Registry, ServiceInstruments>();

function instrumentsFor(registry: Registry): ServiceInstruments {
  let set = instruments.get(registry);
  if (set === undefined) {
    set = {
      calls: new Counter({
        name: "hearth_service_calls_total",
        help: "Service calls completed (successful or not), by service.",
        labelNames: ["service"],
        registers: [registry],
      }),
      errors: new Counter({
        name: "hearth_service_errors_total",
        help: "Service calls that failed, by service and error code (UNKNOWN when the error had none).",
        labelNames: ["service", "code"],
        registers: [registry],
      }),
      duration: new Histogram({
        name: "hearth_service_call_duration_seconds",
        help: "Service call duration in seconds, middleware (timeouts, retries) included, by service.",
        labelNames: ["service"],
        buckets: SERVICE_BUCKETS,
        registers: [registry],
      }),
    };
    instruments.set(registry, set);
  }
  return set;
}

/**
 * ServiceRegistry middleware counting calls, errors by code and latency per service. Installed as
 * global middleware (outermost), it sees each call once, retries and timeouts included.
 *
 * @example
 * const services = createServiceRegistry({ logger, middleware: [serviceMetricsMiddleware()] });
 */
export function serviceMetricsMiddleware(options: ServiceMetricsOptions = {}): Middleware {
  const { calls, errors, duration } = instrumentsFor(options.registry ?? metricsRegistry);
  return async (ctx, next) => {
    const service = ctx.service.name;
    const t0 = performance.now();
    try {
      return await next();
    } catch (err) {
      errors.inc({ service, code: errorCodeLabel(err) });
      throw err;
    } finally {
      calls.inc({ service });
      duration.observe({ service }, (performance.now() - t0) / 1000);
    }
  };
}
