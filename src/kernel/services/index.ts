export type { CircuitState } from "./middleware/circuit-breaker.ts";
export { errorCode, SERVICE_DURATION_BUCKETS_MS } from "./middleware/metrics.ts";
export type { ServiceIssue } from "./middleware/validation.ts";
export { type CreateServiceRegistryOptions, createServiceRegistry } from "./registry.ts";
export type {
  CallerIdentity,
  CallOptions,
  CircuitBreakerOptions,
  Middleware,
  MiddlewareContext,
  Next,
  RegisterOptions,
  ServiceCallContext,
  ServiceDefinition,
  ServiceHandler,
  ServiceInfo,
  ServiceRegistry,
  ServiceRegistryOptions,
  ServiceRetryOptions,
  ServiceStats,
} from "./types.ts";
