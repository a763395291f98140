import type { z } from "zod";
import { HearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import { checkTimeout } from "../util/index.ts";
import { compose, type Run, type Step } from "./compose.ts";
import { CallContext, type CallState } from "./context.ts";
import { CircuitBreaker } from "./middleware/circuit-breaker.ts";
import { direct } from "./middleware/direct.ts";
import { metrics, newServiceStats } from "./middleware/metrics.ts";
import { retry } from "./middleware/retry.ts";
import { timeout } from "./middleware/timeout.ts";
import { validation } from "./middleware/validation.ts";
import { parseServiceName, parseServiceNameOrThrow } from "./names.ts";
import {
  checkMiddleware,
  DEFAULT_CIRCUIT_BREAKER,
  DEFAULT_TIMEOUT_MS,
  resolveCircuitBreaker,
  resolveRetry,
} from "./options.ts";
import type {
  CallOptions,
  CircuitBreakerOptions,
  Middleware,
  RegisterOptions,
  ServiceDefinition,
  ServiceHandler,
  ServiceInfo,
  ServiceRegistry,
  ServiceRegistryOptions,
  ServiceStats,
} from "./types.ts";

/** Options of `createServiceRegistry`. */
export interface CreateServiceRegistryOptions extends ServiceRegistryOptions {
  /** Parent logger; the registry logs under `{ component: "services" }`. Silent when absent. */
  logger?: Logger;
}

interface Entry {
  readonly def: ServiceDefinition;
  readonly run: Run<CallContext>;
  readonly stats: ServiceStats;
  readonly breaker: CircuitBreaker | undefined;
}

class Registry implements ServiceRegistry {
  readonly #log: Logger;
  readonly #defaultTimeoutMs: number;
  readonly #validateResults: boolean;
  readonly #breakerDefaults: CircuitBreakerOptions;
  readonly #global: Middleware[];
  /** baseName → version → entry. */
  readonly #services = new Map<string, Map<number, Entry>>();
  /** Call name → entry it resolves to; emptied on every (un)registration. Holds only names that resolved. */
  readonly #resolved = new Map<string, Entry>();

  constructor(options: CreateServiceRegistryOptions) {
    this.#log = (options.logger ?? silentLogger()).child({ component: "services" });
    this.#defaultTimeoutMs = checkTimeout(options.defaultTimeoutMs ?? DEFAULT_TIMEOUT_MS, "defaultTimeoutMs");
    this.#validateResults = options.validateResults ?? process.env.NODE_ENV !== "production";
    this.#breakerDefaults = resolveCircuitBreaker(options.circuitBreaker ?? {}, DEFAULT_CIRCUIT_BREAKER);
    this.#global = (options.middleware ?? []).map((mw, i) => checkMiddleware(mw, `middleware[${i}]`));
  }

  register<P, R>(name: string, handler: ServiceHandler<P, R>, options: RegisterOptions<P, R>): void {
    const parsed = parseServiceNameOrThrow(name);
    if (typeof handler !== "function") {
      throw new HearthError("INVALID_ARGUMENT", `Handler of "${name}" must be a function`, {
        data: { name },
      });
    }
    const owner = options?.owner;
    if (owner !== parsed.owner) {
      throw new HearthError(
        "SERVICE_OWNER_MISMATCH",
        `"${String(owner)}" may not register "${name}": services of "${parsed.owner}" are registered by "${parsed.owner}"`,
        { data: { name, owner: owner ?? null } },
      );
    }
    const versions = this.#services.get(parsed.baseName);
    if (versions?.has(parsed.version)) {
      throw new HearthError(
        "SERVICE_ALREADY_REGISTERED",
        `Service "${parsed.baseName}" version ${parsed.version} is already registered`,
        { data: { name, version: parsed.version } },
      );
    }
    const timeoutMs = checkTimeout(options.timeoutMs ?? this.#defaultTimeoutMs, "timeoutMs");
    const idempotent = options.idempotent === true;
    if (options.retry !== undefined && !idempotent) {
      throw new HearthError("INVALID_ARGUMENT", `"${name}" asks for retries but is not idempotent`, {
        data: { name },
      });
    }
    const retryOptions = options.retry === undefined ? undefined : resolveRetry(options.retry);
    const cb = options.circuitBreaker;
    const breaker =
      cb === undefined || cb === false
        ? undefined
        : new CircuitBreaker(
            name,
            cb === true ? this.#breakerDefaults : resolveCircuitBreaker(cb, this.#breakerDefaults),
            this.#log,
          );
    const local = (options.middleware ?? []).map((mw, i) => checkMiddleware(mw, `middleware[${i}]`));

    const def: ServiceDefinition = Object.freeze({
      name,
      baseName: parsed.baseName,
      version: parsed.version,
      owner: parsed.owner,
      timeoutMs,
      idempotent,
      description: options.description,
      schema: options.schema,
      result: options.result,
    });
    const stats = newServiceStats();
    const run = this.#chain(handler as ServiceHandler, options, stats, breaker, retryOptions, local);

    const entry: Entry = { def, run, stats, breaker };
    if (versions === undefined) this.#services.set(parsed.baseName, new Map([[parsed.version, entry]]));
    else versions.set(parsed.version, entry);
    this.#resolved.clear();
    this.#log.debug({ service: name, owner }, "service registered");
  }

  /**
   * Outermost first: global middleware, metrics, circuit breaker, retry, timeout, validation, per-service
   * middleware, handler. Retry splits the chain in two (see middleware/retry.ts). Steps a service does not
   * use are left out rather than skipped at call time.
   */
  #chain(
    handler: ServiceHandler,
    options: RegisterOptions<unknown, unknown>,
    stats: ServiceStats,
    breaker: CircuitBreaker | undefined,
    retryOptions: ReturnType<typeof resolveRetry> | undefined,
    local: Middleware[],
  ): Run<CallContext> {
    // The context is its own ServiceCallContext (name, signal, caller). Not `async`: re-wrapping the
    // promise an async handler already returned costs extra ticks on every call.
    const terminal: Run<CallContext> = (ctx) => {
      try {
        const out = handler(ctx.params, ctx);
        return out instanceof Promise ? out : Promise.resolve(out);
      } catch (err) {
        return Promise.reject(err);
      }
    };
    const result = this.#validateResults ? options.result : undefined;
    const composed = () =>
      this.#compose(terminal, options.schema, result, stats, breaker, retryOptions, local);
    // The usual service has only the built-ins: one function instead of the onion (same semantics).
    if (
      this.#global.length === 0 &&
      breaker === undefined &&
      retryOptions === undefined &&
      local.length === 0
    ) {
      // The composed chain, built only if a call needs it (a params schema with async refinements).
      let onion: Run<CallContext> | undefined;
      const fallback: Run<CallContext> = (ctx) => {
        onion ??= composed() as Run<CallContext>;
        return onion(ctx);
      };
      return direct(handler, stats, options.schema, result, fallback);
    }
    return composed();
  }

  #compose(
    terminal: Run<CallContext>,
    schema: z.ZodType | undefined,
    result: z.ZodType | undefined,
    stats: ServiceStats,
    breaker: CircuitBreaker | undefined,
    retryOptions: ReturnType<typeof resolveRetry> | undefined,
    local: Middleware[],
  ): Run<CallContext> {
    const inner: Step<CallState>[] = [timeout];
    if (schema !== undefined || result !== undefined) inner.push(validation(schema, result));
    inner.push(...local);
    let run: Run<CallState> = compose<CallState>(inner, terminal as Run<CallState>);
    if (retryOptions !== undefined) run = retry(run, retryOptions, this.#log);
    const outer: Step<CallState>[] = [...this.#global, metrics(stats)];
    if (breaker !== undefined) outer.push(breaker.middleware);
    return compose(outer, run);
  }

  unregister(name: string, owner?: string): boolean {
    const parsed = parseServiceNameOrThrow(name);
    if (owner !== undefined && owner !== parsed.owner) {
      throw new HearthError("SERVICE_OWNER_MISMATCH", `"${owner}" may not remove "${name}"`, {
        data: { name, owner },
      });
    }
    const versions = this.#services.get(parsed.baseName);
    if (versions === undefined || !versions.delete(parsed.version)) return false;
    if (versions.size === 0) this.#services.delete(parsed.baseName);
    this.#resolved.clear();
    this.#log.debug({ service: name }, "service unregistered");
    return true;
  }

  unregisterOwner(owner: string): number {
    let removed = 0;
    for (const [baseName, versions] of this.#services) {
      for (const [version, entry] of versions) {
        if (entry.def.owner !== owner) continue;
        versions.delete(version);
        removed++;
      }
      if (versions.size === 0) this.#services.delete(baseName);
    }
    if (removed > 0) {
      this.#resolved.clear();
      this.#log.debug({ owner, removed }, "owner's services unregistered");
    }
    return removed;
  }

  has(name: string): boolean {
    return this.#resolve(name) !== undefined;
  }

  list(): ServiceInfo[] {
    const out: ServiceInfo[] = [];
    for (const versions of this.#services.values()) {
      for (const { def, breaker } of versions.values()) {
        const info: ServiceInfo = {
          name: def.name,
          baseName: def.baseName,
          version: def.version,
          owner: def.owner,
          timeoutMs: def.timeoutMs,
          idempotent: def.idempotent,
        };
        if (def.description !== undefined) info.description = def.description;
        if (breaker !== undefined) info.circuit = breaker.state;
        out.push(info);
      }
    }
    return out.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  call<R = unknown>(name: string, params?: unknown, options?: CallOptions): Promise<R> {
    try {
      const entry = this.#resolve(name);
      if (entry === undefined) {
        parseServiceNameOrThrow(name);
        throw new HearthError("SERVICE_NOT_FOUND", `No service "${name}"`, { data: { name } });
      }
      const timeoutMs =
        options?.timeoutMs === undefined ? entry.def.timeoutMs : checkTimeout(options.timeoutMs, "timeoutMs");
      // One params object per call, as moleculer does: "no params" is an empty object, so a schema of
      // all-optional fields accepts a bare call.
      const ctx = new CallContext(
        entry.def,
        params === undefined ? {} : params,
        options?.caller,
        timeoutMs,
        options?.identity,
      );
      return entry.run(ctx) as Promise<R>;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  use(middleware: Middleware): void {
    this.#global.push(checkMiddleware(middleware, "middleware"));
  }

  stats(): Record<string, ServiceStats> {
    const out: Record<string, ServiceStats> = {};
    for (const versions of this.#services.values()) {
      for (const { def, stats } of versions.values()) {
        out[def.name] = {
          ...stats,
          errors: { ...stats.errors },
          durationBuckets: [...stats.durationBuckets],
        };
      }
    }
    return out;
  }

  /** Unversioned → highest version; `v<N>` → exactly N (`v1` is the unversioned registration). */
  #resolve(name: string): Entry | undefined {
    const cached = this.#resolved.get(name);
    if (cached !== undefined) return cached;
    const parsed = parseServiceName(name);
    if (parsed === undefined) return undefined;
    const versions = this.#services.get(parsed.baseName);
    if (versions === undefined) return undefined;
    let entry: Entry | undefined;
    if (parsed.explicitVersion) {
      entry = versions.get(parsed.version);
    } else {
      for (const e of versions.values())
        if (entry === undefined || e.def.version > entry.def.version) entry = e;
    }
    if (entry !== undefined) this.#resolved.set(name, entry);
    return entry;
  }
}

/**
 * Creates the service registry: named, versioned request/response services with an onion of middleware
 * composed once per registration.
 *
 * @example
 * const services = createServiceRegistry({ logger });
 * services.register("devices.turn_on", async ({ id }) => turnOn(id), { owner: "devices", schema: z.object({ id: z.string() }) });
 * await services.call("devices.turn_on", { id: "lamp" }, { caller: "automations" });
 */
export function createServiceRegistry(options: CreateServiceRegistryOptions = {}): ServiceRegistry {
  return new Registry(options);
}
