import type { ZodType } from "zod";
import type { Scope } from "../http/scopes.ts";

/** Who is behind a call made through the API: the token (or session) that authenticated it. */
export interface CallerIdentity {
  readonly tokenId: string;
  /** The token's name, for logs and audit lines. */
  readonly name: string;
  readonly scopes: readonly Scope[];
}

/** What a handler receives besides its params. */
export interface ServiceCallContext {
  /** Resolved full name, e.g. `v2.devices.turn_on`. */
  readonly name: string;
  /** Aborted when the call times out; long handlers should pass it on to I/O. */
  readonly signal: AbortSignal;
  /** Who called, when known (a plugin or module name; `admin` for the HTTP API). */
  readonly caller: string | undefined;
  /** The token behind a call made through the API; undefined for calls made inside Hearth. */
  readonly identity: CallerIdentity | undefined;
}

export type ServiceHandler<P = unknown, R = unknown> = (params: P, ctx: ServiceCallContext) => R | Promise<R>;

/** The context middleware sees. `params` may be replaced (validation does, with the parsed value). */
export interface MiddlewareContext {
  readonly service: ServiceDefinition;
  params: unknown;
  readonly caller: string | undefined;
  readonly identity: CallerIdentity | undefined;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  /** 1 for the first try; the retry middleware increments it. */
  attempt: number;
}

export type Next = () => Promise<unknown>;
export type Middleware = (ctx: MiddlewareContext, next: Next) => Promise<unknown>;

export interface CircuitBreakerOptions {
  /** Failures inside `windowMs` that open the circuit. */
  failureThreshold: number;
  windowMs: number;
  /** Time the circuit stays open before one trial call is let through (half-open). */
  cooldownMs: number;
}

export interface ServiceRetryOptions {
  attempts: number;
  backoffMs: number;
}

export interface RegisterOptions<P = unknown, R = unknown> {
  /** Who registers: must equal the `<owner>` segment of the name. */
  owner: string;
  /** Params schema; parsed params (defaults applied) reach the handler. */
  schema?: ZodType<P>;
  /** Result schema; checked unless `validateResults` is off for the registry. */
  result?: ZodType<R>;
  /** Overrides the registry's default timeout. */
  timeoutMs?: number;
  /** Safe to run twice: only idempotent services are retried. */
  idempotent?: boolean;
  retry?: ServiceRetryOptions;
  /** For services that call the outside world. `true` uses the registry's defaults. */
  circuitBreaker?: CircuitBreakerOptions | boolean;
  /** Per-service middleware, innermost (closest to the handler). */
  middleware?: Middleware[];
  description?: string;
}

/** A registered service as middleware and `list()` see it. */
export interface ServiceDefinition {
  /** Full name as registered (`devices.turn_on` or `v2.devices.turn_on`). */
  readonly name: string;
  /** Name without version (`devices.turn_on`). */
  readonly baseName: string;
  readonly version: number;
  readonly owner: string;
  readonly timeoutMs: number;
  readonly idempotent: boolean;
  readonly description: string | undefined;
  readonly schema: ZodType | undefined;
  readonly result: ZodType | undefined;
}

export interface ServiceInfo {
  name: string;
  baseName: string;
  version: number;
  owner: string;
  timeoutMs: number;
  idempotent: boolean;
  description?: string;
  circuit?: "closed" | "open" | "half-open";
}

export interface CallOptions {
  timeoutMs?: number;
  caller?: string;
  /** The token behind the call, when it came through the API (the admin module sets it). */
  identity?: CallerIdentity;
}

/**
 * A service's counters, kept by the registry's one metrics step (the only place calls are counted;
 * `/metrics` renders these).
 */
export interface ServiceStats {
  /** Calls completed, successful or not. */
  calls: number;
  /** Calls that failed, whatever the cause. */
  failures: number;
  /**
   * Failures that were not the caller's fault: an error whose HTTP status is 500 or more, or one
   * with no code at all. A refused argument or an unknown id is the caller's failure, not a fault.
   */
  faults: number;
  timeouts: number;
  /** Sum of call durations, ms. */
  totalMs: number;
  /** Failures by error code (`UNKNOWN` for an error without one). */
  errors: Record<string, number>;
  /**
   * Calls by duration: `durationBuckets[i]` counts calls that took at most
   * `SERVICE_DURATION_BUCKETS_MS[i]` and more than the bound before it; the last entry counts those
   * slower than every bound.
   */
  durationBuckets: number[];
}

export interface ServiceRegistryOptions {
  /** Default per-call timeout (ms). */
  defaultTimeoutMs?: number;
  /** Check results against `result` schemas (on by default outside NODE_ENV=production). */
  validateResults?: boolean;
  /** Middleware applied to every service registered after it, outermost first. */
  middleware?: Middleware[];
  circuitBreaker?: CircuitBreakerOptions;
}

export interface ServiceRegistry {
  register<P, R>(name: string, handler: ServiceHandler<P, R>, options: RegisterOptions<P, R>): void;
  /** Removes one service; `owner` must match when given (plugins pass theirs). Returns false if absent. */
  unregister(name: string, owner?: string): boolean;
  /** Removes every service of an owner (used when a plugin fails or unloads). Returns how many. */
  unregisterOwner(owner: string): number;
  has(name: string): boolean;
  list(): ServiceInfo[];
  call<R = unknown>(name: string, params?: unknown, options?: CallOptions): Promise<R>;
  /** Adds global middleware for services registered from now on (composition happens at registration). */
  use(middleware: Middleware): void;
  stats(): Record<string, ServiceStats>;
}
