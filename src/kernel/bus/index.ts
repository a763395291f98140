import { type Logger, silentLogger } from "../log/index.ts";
import { Bus } from "./event-bus.ts";
import type { EventBus } from "./types.ts";

export { HANDLER_FAILED } from "./event-bus.ts";
export type {
  BusEvent,
  BusStats,
  EventBus,
  EventHandler,
  EventTypeCounters,
  HandlerFailedPayload,
  RetryOptions,
  SubscribeOptions,
  Unsubscribe,
} from "./types.ts";

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Failures are logged through a `{ component: "bus" }` child of this logger. Defaults to silent. */
  logger?: Logger;
}

/**
 * Creates the in-process event bus.
 *
 * Payloads are passed to handlers as-is, without a copy: every handler of an event sees the same
 * object, so handlers must treat `event.payload` as read-only.
 *
 * @example
 * const bus = createEventBus({ logger });
 * const off = bus.subscribe("device.*", (e) => log.info({ type: e.type }, "device event"), { owner: "ui" });
 * await bus.publish("device.state_changed", { id: "lamp", on: true });
 * off();
 */
export function createEventBus(options: EventBusOptions = {}): EventBus {
  return new Bus((options.logger ?? silentLogger()).child({ component: "bus" }));
}
