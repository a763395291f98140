import { HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { Bus } from "./event-bus.ts";
import { compilePattern } from "./pattern.ts";
import type { EventBus } from "./types.ts";

export { HANDLER_FAILED } from "./event-bus.ts";
export type {
  BusEvent,
  BusStats,
  EventBus,
  EventHandler,
  EventTypeCounters,
  HandlerFailedPayload,
  PendingHandler,
  RetryOptions,
  SubscribeOptions,
  Unsubscribe,
} from "./types.ts";

/** Options of {@link createEventBus}. */
export interface EventBusOptions {
  /** Failures are logged through a `{ component: "bus" }` child of this logger. Defaults to silent. */
  logger?: Logger;
  /**
   * How long the bus waits for one asynchronous handler run (each retry attempt included) before it
   * reports the run as failed (`BUS_HANDLER_TIMEOUT`) and stops waiting, so a handler that never
   * settles cannot hold up a publisher, an ordered lane or shutdown. Default 30 000 ms.
   */
  handlerTimeoutMs?: number;
}

export const DEFAULT_HANDLER_TIMEOUT_MS = 30_000;

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
  const timeoutMs = options.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new HearthError("INVALID_ARGUMENT", "handlerTimeoutMs must be an integer >= 1", {
      data: { handlerTimeoutMs: timeoutMs },
    });
  }
  return new Bus((options.logger ?? silentLogger()).child({ component: "bus" }), timeoutMs);
}

/** Throws `BUS_INVALID_PATTERN` unless `pattern` is one `subscribe()` would take. */
export function assertPattern(pattern: string): void {
  compilePattern(pattern);
}
