import { SERVICE_DURATION_BUCKETS_MS } from "../../../../kernel/services/index.ts";
import { MonotonicCounter, MonotonicHistogram } from "../exposition.ts";
import type { Families } from "./types.ts";

const BOUNDS_SECONDS = SERVICE_DURATION_BUCKETS_MS.map((ms) => ms / 1000);

/** Service calls, errors by code and call durations, from the counts the service registry keeps. */
export function serviceFamilies(): Families {
  const calls = new MonotonicCounter();
  const errors = new MonotonicCounter();
  const durations = new MonotonicHistogram(BOUNDS_SECONDS);
  return (out, m) => {
    if (m !== undefined) {
      for (const [service, s] of Object.entries(m.services)) {
        calls.feed(service, { service }, s.calls);
        for (const [code, n] of Object.entries(s.errors))
          errors.feed(`${service} ${code}`, { service, code }, n);
        durations.feed(service, { service }, s.durationBuckets, s.totalMs / 1000);
      }
    }
    out.counter(
      "hearth_service_calls_total",
      "Service calls completed (successful or not), by service.",
      calls.samples(),
    );
    out.counter(
      "hearth_service_errors_total",
      "Service calls that failed, by service and error code (UNKNOWN when the error had none).",
      errors.samples(),
    );
    out.histogram(
      "hearth_service_call_duration_seconds",
      "Service call duration in seconds, middleware (timeouts, retries) included, by service.",
      durations.series(),
    );
  };
}
