import { errorMessage, HearthError } from "../../errors.ts";
import type { Logger } from "../log/index.ts";
import { HandlerWatch, OK, type Outcome, type Run, TIMED_OUT } from "./handler-watch.ts";
import { assertEventType, compilePattern, type Matcher, matches } from "./pattern.ts";
import { type Lane, type LaneSlot, SerialLanes } from "./serial-lanes.ts";
import { Subscription } from "./subscription.ts";
import type {
  BusEvent,
  BusStats,
  EventBus,
  EventHandler,
  EventTypeCounters,
  HandlerFailedPayload,
  PendingHandler,
  SubscribeOptions,
  Unsubscribe,
} from "./types.ts";

/** The kernel event reporting a handler that failed for good. */
export const HANDLER_FAILED = "$bus.handler_failed";

// Shared, never mutated: publish returns it whenever nothing is left to wait for.
const RESOLVED: Promise<void> = Promise.resolve();
const NO_ROUTES: readonly Subscription[] = [];

/** Per event type: counters, the cached list of subscriptions it reaches, its ordered lane. */
class TypeEntry implements LaneSlot<BusEvent> {
  readonly type: string;
  readonly counters: EventTypeCounters = { published: 0, delivered: 0, failed: 0 };
  /** Copy-on-write, so a publish in progress keeps iterating its snapshot. `null` = recompute. */
  routes: readonly Subscription[] | null = null;
  /** The wildcard generation `routes` was computed against. */
  wildGeneration = -1;
  lane: Lane<BusEvent> | null | undefined = undefined;

  constructor(type: string) {
    this.type = type;
  }
}

/** How a retry attempt waits for its outcome. */
type RetryWait = (outcome: Outcome) => void;

/** The handlers of one event still pending; one promise for all of them, made only if awaited. */
class Delivery {
  remaining = 0;
  #resolve: (() => void) | undefined;
  readonly done = (): void => {
    if (--this.remaining === 0) this.#resolve?.();
  };

  /** Called right after the handlers were invoked: at least one is pending, so none has settled yet. */
  wait(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
    });
  }
}

export class Bus implements EventBus {
  readonly #log: Logger;
  /** Bounds every asynchronous handler run; a retry attempt waits through a callback instead of a delivery. */
  readonly #watch: HandlerWatch<TypeEntry, Delivery | RetryWait>;
  readonly #types = new Map<string, TypeEntry>();
  /** Exact-pattern subscriptions by type; arrays are replaced, never mutated. */
  readonly #exact = new Map<string, readonly Subscription[]>();
  #wildcards: readonly Subscription[] = [];
  /** Bumped on every wildcard change: invalidates every type's cached routes at once. */
  #wildGeneration = 0;
  #nextId = 1;
  #subscriptions = 0;
  #seq = 0;
  readonly #totals: EventTypeCounters = { published: 0, delivered: 0, failed: 0 };
  #inflight = 0;
  #drainWaiters: (() => void)[] = [];
  readonly #lanes = new SerialLanes<TypeEntry, BusEvent>((entry, event) => this.#deliver(entry, event));
  readonly #settled = (): void => {
    if (--this.#inflight === 0 && this.#drainWaiters.length > 0) {
      const waiters = this.#drainWaiters;
      this.#drainWaiters = [];
      for (const resolve of waiters) resolve();
    }
  };

  constructor(log: Logger, handlerTimeoutMs: number) {
    this.#log = log;
    this.#watch = new HandlerWatch<TypeEntry, Delivery | RetryWait>(
      handlerTimeoutMs,
      (run, outcome) => this.#outcome(run, outcome),
      (run, runningMs) =>
        this.#log.warn(
          { ...ownerFields(run.sub, run.event), runningMs },
          "event handler settled after its timeout",
        ),
    );
  }

  // Not `async`: an invalid type must throw synchronously, and synchronous handlers need no promise.
  publish<P>(type: string, payload?: P): Promise<void> {
    const entry = this.#count(type);
    const routes = this.#routesOf(entry);
    if (routes.length === 0) return RESOLVED;
    const pending = this.#deliverTo(routes, entry, this.#event(type, payload));
    return pending === undefined ? RESOLVED : this.#track(pending);
  }

  publishOrdered<P>(type: string, payload?: P): Promise<void> {
    const entry = this.#count(type);
    if (this.#routesOf(entry).length === 0 && !this.#lanes.busy(entry)) return RESOLVED;
    const pending = this.#lanes.run(entry, this.#event(type, payload));
    return pending === undefined ? RESOLVED : this.#track(pending);
  }

  subscribe<P = unknown>(
    pattern: string,
    handler: EventHandler<P>,
    options?: SubscribeOptions<P>,
  ): Unsubscribe {
    const matcher = compilePattern(pattern);
    const sub = new Subscription(this.#nextId++, pattern, matcher, handler as EventHandler, options);
    this.#subscriptions++;
    if (matcher.kind === "exact") {
      this.#exact.set(matcher.type, [...(this.#exact.get(matcher.type) ?? NO_ROUTES), sub]);
      this.#invalidate(matcher.type);
    } else {
      this.#wildcards = [...this.#wildcards, sub];
      this.#wildGeneration++;
    }
    return () => this.#unsubscribe(sub, matcher);
  }

  stats(): BusStats {
    const byType: Record<string, EventTypeCounters> = {};
    for (const [type, { counters }] of this.#types) byType[type] = { ...counters };
    return {
      ...this.#totals,
      subscriptions: this.#subscriptions,
      byType,
      timedOut: this.#watch.timedOut,
      stuckByOwner: this.#watch.stuckByOwner(),
    };
  }

  pending(): PendingHandler[] {
    return this.#watch.pending();
  }

  drain(): Promise<void> {
    if (this.#inflight === 0) return RESOLVED;
    const { promise, resolve } = Promise.withResolvers<void>();
    this.#drainWaiters.push(resolve);
    return promise;
  }

  #unsubscribe(sub: Subscription, matcher: Matcher): void {
    if (!sub.active) return;
    sub.active = false;
    this.#subscriptions--;
    if (matcher.kind === "exact") {
      const rest = (this.#exact.get(matcher.type) ?? NO_ROUTES).filter((s) => s !== sub);
      if (rest.length === 0) this.#exact.delete(matcher.type);
      else this.#exact.set(matcher.type, rest);
      this.#invalidate(matcher.type);
    } else {
      this.#wildcards = this.#wildcards.filter((s) => s !== sub);
      this.#wildGeneration++;
    }
  }

  #invalidate(type: string): void {
    const entry = this.#types.get(type);
    if (entry !== undefined) entry.routes = null;
  }

  /** Validates (once per type) and counts a publish. */
  #count(type: string): TypeEntry {
    let entry = this.#types.get(type);
    if (entry === undefined) {
      assertEventType(type);
      entry = new TypeEntry(type);
      this.#types.set(type, entry);
    }
    entry.counters.published++;
    this.#totals.published++;
    return entry;
  }

  #event<P>(type: string, payload: P): BusEvent<P> {
    return { type, payload, seq: ++this.#seq, ts: Date.now() };
  }

  #routesOf(entry: TypeEntry): readonly Subscription[] {
    if (entry.routes !== null && entry.wildGeneration === this.#wildGeneration) return entry.routes;
    const exact = this.#exact.get(entry.type) ?? NO_ROUTES;
    let routes = exact;
    if (this.#wildcards.length > 0) {
      const segments = entry.type.split(".");
      const wild = this.#wildcards.filter((s) => matches(s.matcher, segments));
      // Keep subscription order across both lists, so synchronous handlers run in the order they subscribed.
      if (wild.length > 0) routes = [...exact, ...wild].sort((a, b) => a.id - b.id);
    }
    entry.routes = routes.length === 0 ? NO_ROUTES : routes;
    entry.wildGeneration = this.#wildGeneration;
    return entry.routes;
  }

  /** Delivers one event (ordered lanes call this when the event's turn comes). Never throws or rejects. */
  #deliver(entry: TypeEntry, event: BusEvent): Promise<void> | undefined {
    const routes = this.#routesOf(entry);
    return routes.length === 0 ? undefined : this.#deliverTo(routes, entry, event);
  }

  #deliverTo(routes: readonly Subscription[], entry: TypeEntry, event: BusEvent): Promise<void> | undefined {
    let delivery: Delivery | undefined;
    for (let i = 0; i < routes.length; i++) {
      const sub = routes[i] as Subscription;
      // Unsubscribed since this snapshot was taken: never call a handler after its unsubscribe().
      if (!sub.active) continue;
      delivery = this.#invoke(sub, entry, event, delivery);
    }
    return delivery?.wait();
  }

  /**
   * Runs one handler. Whatever is still pending afterwards (an asynchronous run, a retry) is counted on
   * `delivery`, created on the first such handler; synchronous handlers cost no promise at all.
   */
  #invoke(
    sub: Subscription,
    entry: TypeEntry,
    event: BusEvent,
    delivery: Delivery | undefined,
  ): Delivery | undefined {
    if (sub.filter !== undefined) {
      try {
        if (!sub.filter(event)) return delivery;
      } catch (err) {
        // A filter is a predicate, not work: retrying it would give the same answer.
        this.#fail(sub, entry, event, err, 1);
        return delivery;
      }
    }
    let result: void | Promise<void>;
    try {
      result = sub.handler(event);
    } catch (err) {
      const retrying = this.#failedAttempt(sub, entry, event, err);
      if (retrying === undefined) return delivery;
      const d = delivery ?? new Delivery();
      d.remaining++;
      void retrying.then(d.done);
      return d;
    }
    if (result !== undefined && typeof (result as { then?: unknown }).then === "function") {
      const d = delivery ?? new Delivery();
      d.remaining++;
      this.#watch.watch(sub, event, entry, d, result);
      return d;
    }
    this.#delivered(entry);
    return delivery;
  }

  #outcome(run: Run<TypeEntry, Delivery | RetryWait>, outcome: Outcome): void {
    const { sub, entry, event, delivery } = run;
    if (typeof delivery === "function") {
      delivery(outcome);
      return;
    }
    if (outcome === OK) {
      this.#delivered(entry);
    } else if (outcome === TIMED_OUT) {
      this.#fail(sub, entry, event, this.#timeoutError(sub, event), 1);
    } else {
      const retrying = this.#failedAttempt(sub, entry, event, outcome.error);
      if (retrying !== undefined) {
        void retrying.then(delivery.done);
        return;
      }
    }
    delivery.done();
  }

  /** One retry attempt's outcome, bounded like the first. */
  #bounded(
    sub: Subscription,
    entry: TypeEntry,
    event: BusEvent,
    run: PromiseLike<unknown>,
  ): Promise<Outcome> {
    return new Promise<Outcome>((resolve) => this.#watch.watch(sub, event, entry, resolve, run));
  }

  #timeoutError(sub: Subscription, event: BusEvent): HearthError {
    const who = sub.owner === undefined ? "" : ` of ${sub.owner}`;
    return new HearthError(
      "BUS_HANDLER_TIMEOUT",
      `The "${sub.pattern}" handler${who} did not settle on ${event.type} within ${this.#watch.timeoutMs} ms`,
      {
        data: { owner: sub.owner, pattern: sub.pattern, type: event.type, timeoutMs: this.#watch.timeoutMs },
      },
    );
  }

  #failedAttempt(
    sub: Subscription,
    entry: TypeEntry,
    event: BusEvent,
    err: unknown,
  ): Promise<void> | undefined {
    if (sub.attempts > 1) return this.#retry(sub, entry, event, err);
    this.#fail(sub, entry, event, err, 1);
    return undefined;
  }

  async #retry(sub: Subscription, entry: TypeEntry, event: BusEvent, firstError: unknown): Promise<void> {
    let error = firstError;
    let attempt = 1;
    // Stops early once unsubscribed: the owner is gone (a plugin unloading), the failure still counts.
    while (attempt < sub.attempts && sub.active) {
      const delayMs = sub.backoffMs * 2 ** (attempt - 1);
      this.#log.warn(
        {
          ...failureFields(sub, event, describeError(error)),
          attempt,
          attempts: sub.attempts,
          retryInMs: delayMs,
        },
        "event handler failed; retrying",
      );
      if (delayMs > 0) await sleep(delayMs);
      if (!sub.active) break;
      attempt++;
      try {
        const run = sub.handler(event);
        if (run !== undefined && typeof (run as { then?: unknown }).then === "function") {
          const outcome = await this.#bounded(sub, entry, event, run);
          if (outcome === TIMED_OUT) {
            // It may still be running: another attempt could overlap it, so this is the last.
            error = this.#timeoutError(sub, event);
            break;
          }
          if (outcome !== OK) {
            error = outcome.error;
            continue;
          }
        }
        this.#delivered(entry);
        return;
      } catch (next) {
        error = next;
      }
    }
    this.#fail(sub, entry, event, error, attempt);
  }

  #delivered(entry: TypeEntry): void {
    entry.counters.delivered++;
    this.#totals.delivered++;
  }

  /** A handler failed for good: count, log, and report it (except failures while reporting). */
  #fail(sub: Subscription, entry: TypeEntry, event: BusEvent, error: unknown, attempts: number): void {
    entry.counters.failed++;
    this.#totals.failed++;
    const info = describeError(error);
    const fields = { ...failureFields(sub, event, info), attempts };
    if (error instanceof Error && error.stack !== undefined) Object.assign(fields, { stack: error.stack });
    if (event.type === HANDLER_FAILED) {
      // Reporting this failure would be handled by the same handler: log only, so it cannot loop.
      this.#log.error(fields, `a ${HANDLER_FAILED} handler failed; not reported again`);
      return;
    }
    this.#log.error(fields, "event handler failed");
    const payload: HandlerFailedPayload = {
      type: event.type,
      seq: event.seq,
      pattern: sub.pattern,
      owner: sub.owner,
      attempts,
      error: info,
    };
    // Never rejects; drain() covers its delivery through the in-flight count.
    void this.publish(HANDLER_FAILED, payload);
  }

  #track(pending: Promise<void>): Promise<void> {
    this.#inflight++;
    return pending.then(this.#settled);
  }
}

function ownerFields(sub: Subscription, event: BusEvent) {
  return { type: event.type, seq: event.seq, pattern: sub.pattern, owner: sub.owner };
}

function failureFields(sub: Subscription, event: BusEvent, info: HandlerFailedPayload["error"]) {
  return { ...ownerFields(sub, event), error: info.message, code: info.code };
}

function describeError(error: unknown): HandlerFailedPayload["error"] {
  const message = errorMessage(error);
  const code = typeof error === "object" && error !== null ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" ? { code, message } : { message };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
