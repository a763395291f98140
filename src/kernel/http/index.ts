export { API_PREFIX } from "./paths.ts";
export { createHttpRegistry } from "./registry.ts";
export type {
  EndpointDefinition,
  HttpMethod,
  HttpRegistry,
  HttpRegistryOptions,
  RegisteredEndpoint,
  Scope,
} from "./types.ts";
