/** One delivered event. `payload` is whatever the publisher passed; handlers must not mutate it. */
export interface BusEvent<P = unknown> {
  /** `<domain>.<past_tense_verb>` (`device.state_changed`), `$`-prefixed for kernel events. */
  readonly type: string;
  readonly payload: P;
  /** Monotonic per bus, starting at 1. */
  readonly seq: number;
  /** `Date.now()` at publish time. */
  readonly ts: number;
}

export type EventHandler<P = unknown> = (event: BusEvent<P>) => void | Promise<void>;

export interface RetryOptions {
  /** Total attempts including the first (>= 1). */
  attempts: number;
  /** Wait before each retry, doubled each time. */
  backoffMs: number;
}

export interface SubscribeOptions<P = unknown> {
  /** Only events for which this returns true reach the handler. A throwing filter counts as a failure. */
  filter?: (event: BusEvent<P>) => boolean;
  /** Re-run a failing handler; after the last attempt `$bus.handler_failed` is published. */
  retry?: RetryOptions;
  /** Names the subscriber in failure reports and logs (a plugin name, a module name). */
  owner?: string;
}

export type Unsubscribe = () => void;

/** Payload of `$bus.handler_failed`. */
export interface HandlerFailedPayload {
  type: string;
  seq: number;
  pattern: string;
  owner: string | undefined;
  attempts: number;
  error: { code?: string; message: string };
}

export interface EventTypeCounters {
  published: number;
  delivered: number;
  failed: number;
}

export interface BusStats extends EventTypeCounters {
  subscriptions: number;
  byType: Record<string, EventTypeCounters>;
  /** Handler runs that outlived the handler timeout (each also counts as failed). */
  timedOut: number;
  /** Handlers past their timeout that have still not settled, by owner (`"unknown"` without one). */
  stuckByOwner: Record<string, number>;
}

/** A handler run the bus is waiting for, or has given up waiting for (`timedOut`). */
export interface PendingHandler {
  owner: string | undefined;
  pattern: string;
  type: string;
  seq: number;
  runningMs: number;
  timedOut: boolean;
}

export interface EventBus {
  /**
   * Delivers to every matching handler concurrently. A failing handler never affects the others or
   * the publisher: the returned promise never rejects (except for an invalid type) and resolves when
   * every handler, retries included, has settled, or has outlived the handler timeout (then it is
   * reported as failed with `BUS_HANDLER_TIMEOUT`, and the bus stops waiting for it).
   */
  publish<P>(type: string, payload?: P): Promise<void>;
  /**
   * Per event type FIFO: every handler of event N has settled before event N+1 of the same type is
   * delivered. Resolves when this event's handlers have settled.
   */
  publishOrdered<P>(type: string, payload?: P): Promise<void>;
  /** Patterns: exact type, `*` as a whole segment (`device.*`), or `*` alone for everything. */
  subscribe<P = unknown>(
    pattern: string,
    handler: EventHandler<P>,
    options?: SubscribeOptions<P>,
  ): Unsubscribe;
  stats(): BusStats;
  /**
   * Asynchronous handler runs not settled yet, oldest first: the ones the bus still waits for, and
   * the ones past the handler timeout it gave up on (which keep running; they cannot be cancelled).
   */
  pending(): PendingHandler[];
  /** Resolves when every delivery started so far has settled (used on shutdown and in tests). */
  drain(): Promise<void>;
}
