import { HearthError } from "../../errors.ts";
import type { CircuitBreakerOptions, Middleware, ServiceRetryOptions } from "./types.ts";

export const DEFAULT_TIMEOUT_MS = 5000;
export const DEFAULT_CIRCUIT_BREAKER: Readonly<CircuitBreakerOptions> = Object.freeze({
  failureThreshold: 5,
  windowMs: 30_000,
  cooldownMs: 10_000,
});
export const DEFAULT_RETRY: Readonly<ServiceRetryOptions> = Object.freeze({ attempts: 3, backoffMs: 50 });

function bad(message: string, data?: unknown): HearthError {
  return new HearthError("INVALID_ARGUMENT", message, data === undefined ? {} : { data });
}

function isPositive(n: unknown, max = Number.MAX_SAFE_INTEGER): n is number {
  return typeof n === "number" && Number.isFinite(n) && n > 0 && n <= max;
}

export function checkMiddleware(mw: unknown, what: string): Middleware {
  if (typeof mw !== "function") throw bad(`${what} must be a function (ctx, next) => Promise`);
  return mw as Middleware;
}

/** Fills in defaults and checks ranges; `fallback` supplies the fields a caller left out. */
export function resolveCircuitBreaker(
  given: Partial<CircuitBreakerOptions>,
  fallback: CircuitBreakerOptions,
): CircuitBreakerOptions {
  const out = { ...fallback, ...given };
  if (!Number.isInteger(out.failureThreshold) || out.failureThreshold < 1) {
    throw bad("circuitBreaker.failureThreshold must be an integer >= 1", {
      failureThreshold: out.failureThreshold,
    });
  }
  if (!isPositive(out.windowMs)) {
    throw bad("circuitBreaker.windowMs must be a positive number", { windowMs: out.windowMs });
  }
  if (!isPositive(out.cooldownMs)) {
    throw bad("circuitBreaker.cooldownMs must be a positive number", { cooldownMs: out.cooldownMs });
  }
  return Object.freeze(out);
}

/** Missing fields take `DEFAULT_RETRY`'s values (3 attempts, 50 ms doubling). */
export function resolveRetry(given: Partial<ServiceRetryOptions>): ServiceRetryOptions {
  const out = { ...DEFAULT_RETRY, ...given };
  if (!Number.isInteger(out.attempts) || out.attempts < 1) {
    throw bad("retry.attempts must be an integer >= 1", { attempts: out.attempts });
  }
  if (typeof out.backoffMs !== "number" || !Number.isFinite(out.backoffMs) || out.backoffMs < 0) {
    throw bad("retry.backoffMs must be a number >= 0", { backoffMs: out.backoffMs });
  }
  return Object.freeze(out);
}
