import { HearthError } from "../../../errors.ts";
import type { Logger } from "../../log/index.ts";
import type { Step } from "../compose.ts";
import type { CircuitBreakerOptions, MiddlewareContext } from "../types.ts";

export type CircuitState = "closed" | "open" | "half-open";

/**
 * One service's circuit breaker. Closed: calls pass, failures are counted over a sliding `windowMs`;
 * `failureThreshold` of them open the circuit. Open: calls fail fast with `SERVICE_CIRCUIT_OPEN` without
 * reaching the handler. After `cooldownMs` one trial call passes (half-open, others still fail fast):
 * success closes the circuit, failure opens it for another cool-down.
 *
 * Only failures that say something about the service count: a HearthError below HTTP 500 (bad params,
 * a refused argument) is the caller's fault and is neither counted nor taken as a failed trial.
 */
export class CircuitBreaker {
  readonly #name: string;
  readonly #options: CircuitBreakerOptions;
  readonly #log: Logger;
  /** Times of recent failures, oldest first; never more than `failureThreshold` of them. */
  #failures: number[] = [];
  #state: CircuitState = "closed";
  #openedAt = 0;
  #trialRunning = false;

  constructor(name: string, options: CircuitBreakerOptions, log: Logger) {
    this.#name = name;
    this.#options = options;
    this.#log = log;
  }

  /** The state as a caller would meet it now: an open circuit past its cool-down admits a trial. */
  get state(): CircuitState {
    if (this.#state === "open" && performance.now() - this.#openedAt >= this.#options.cooldownMs) {
      return "half-open";
    }
    return this.#state;
  }

  readonly middleware: Step<MiddlewareContext> = async (_ctx, next) => {
    if (this.#state === "open") {
      const waited = performance.now() - this.#openedAt;
      if (waited < this.#options.cooldownMs) throw this.#openError(this.#options.cooldownMs - waited);
      this.#state = "half-open";
    }
    if (this.#state === "half-open") return this.#trial(next);
    try {
      return await next();
    } catch (err) {
      // Calls that were already running when the circuit opened must not push its cool-down further.
      if (counts(err) && this.#state === "closed") this.#recordFailure();
      throw err;
    }
  };

  async #trial(next: () => Promise<unknown>): Promise<unknown> {
    if (this.#trialRunning) throw this.#openError(0);
    this.#trialRunning = true;
    try {
      const out = await next();
      this.#close();
      return out;
    } catch (err) {
      if (counts(err)) this.#open();
      throw err;
    } finally {
      this.#trialRunning = false;
    }
  }

  #recordFailure(): void {
    const now = performance.now();
    const failures = this.#failures;
    failures.push(now);
    if (failures.length > this.#options.failureThreshold) failures.shift();
    while (failures.length > 0 && (failures[0] ?? now) <= now - this.#options.windowMs) failures.shift();
    if (failures.length >= this.#options.failureThreshold) this.#open();
  }

  #open(): void {
    this.#state = "open";
    this.#openedAt = performance.now();
    this.#failures = [];
    this.#log.warn({ service: this.#name, cooldownMs: this.#options.cooldownMs }, "circuit opened");
  }

  #close(): void {
    this.#state = "closed";
    this.#failures = [];
    this.#log.info({ service: this.#name }, "circuit closed");
  }

  #openError(retryAfterMs: number): HearthError {
    return new HearthError(
      "SERVICE_CIRCUIT_OPEN",
      `Service "${this.#name}" is unavailable: its circuit is open`,
      {
        data: { name: this.#name, retryAfterMs: Math.ceil(retryAfterMs) },
      },
    );
  }
}

function counts(err: unknown): boolean {
  return !(err instanceof HearthError) || err.httpStatus >= 500;
}
