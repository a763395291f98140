export { API_PREFIX } from "./paths.ts";
export { createHttpRegistry } from "./registry.ts";
export { hasScope, isScope, normalizeScopes, SCOPES } from "./scopes.ts";
export type {
  EndpointDefinition,
  HttpMethod,
  HttpRegistry,
  HttpRegistryOptions,
  RegisteredEndpoint,
  Scope,
  SuccessStatus,
} from "./types.ts";
