export { type ZodToJsonSchemaOptions, zodToJsonSchema } from "./json-schema.ts";
export { createIntegrationRegistry, INTEGRATIONS_NAMESPACE } from "./registry.ts";
export type {
  IntegrationDeclaration,
  IntegrationRecord,
  IntegrationRegistry,
  IntegrationRegistryOptions,
  IntegrationStatus,
} from "./types.ts";
