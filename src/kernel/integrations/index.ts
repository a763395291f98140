export { type ZodToJsonSchemaOptions, zodToJsonSchema } from "./json-schema.ts";
export { createIntegrationRegistry, INTEGRATIONS_NAMESPACE } from "./registry.ts";
export type {
  IntegrationDeclaration,
  IntegrationHealth,
  IntegrationRecord,
  IntegrationRegistry,
  IntegrationRegistryOptions,
  IntegrationStatus,
} from "./types.ts";
