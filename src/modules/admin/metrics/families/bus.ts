import { MonotonicCounter } from "../exposition.ts";
import { MAX_EVENT_TYPES, OTHER_TYPE } from "../labels.ts";
import type { Families } from "./types.ts";

/** Events published, delivered and failed by type; subscriptions; handler timeouts. */
export function busFamilies(): Families {
  const published = new MonotonicCounter();
  const delivered = new MonotonicCounter();
  const failed = new MonotonicCounter();
  const timedOut = new MonotonicCounter();
  // Event types are chosen in code, but a plugin could mint them from data: bound the label set.
  const typeLabels = new Map<string, string>();
  const typeLabel = (type: string): string => {
    let label = typeLabels.get(type);
    if (label === undefined) {
      label = typeLabels.size < MAX_EVENT_TYPES ? type : OTHER_TYPE;
      typeLabels.set(type, label);
    }
    return label;
  };
  return (out, m) => {
    if (m === undefined) return;
    for (const [type, c] of Object.entries(m.bus.byType)) {
      const labels = { type: typeLabel(type) };
      published.feed(type, labels, c.published);
      delivered.feed(type, labels, c.delivered);
      failed.feed(type, labels, c.failed);
    }
    timedOut.feed("", {}, m.bus.timedOut);
    out.counter("hearth_bus_events_published_total", "Events published, by type.", published.samples());
    out.counter(
      "hearth_bus_events_delivered_total",
      "Successful handler deliveries, by event type.",
      delivered.samples(),
    );
    out.counter(
      "hearth_bus_events_failed_total",
      "Handler deliveries that failed after their retries, by event type.",
      failed.samples(),
    );
    out.gauge("hearth_bus_subscriptions", "Active bus subscriptions.", [[{}, m.bus.subscriptions]]);
    out.counter(
      "hearth_bus_handler_timeouts_total",
      "Handler runs that outlived eventHandlerTimeoutMs (each also counts as failed).",
      timedOut.samples(),
    );
    out.gauge(
      "hearth_bus_handlers_stuck",
      "Handler runs past eventHandlerTimeoutMs that have still not settled, by owner (plugin or module).",
      Object.entries(m.bus.stuckByOwner).map(([owner, n]) => [{ owner }, n] as const),
    );
  };
}
