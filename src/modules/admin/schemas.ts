/** Response and request schemas of the built-in routes (they validate requests and feed OpenAPI). */
import { z } from "@hono/zod-openapi";
import { SCOPES } from "../../kernel/http/index.ts";
import {
  EVENT_PATTERN_SOURCE,
  NAME_SOURCE,
  NAMESPACE_MAX,
  NAMESPACE_SOURCE,
  SERVICE_NAME_SOURCE,
  STATE_KEY_MAX,
  STATE_KEY_SOURCE,
  STATE_PATTERN_MAX,
  STATE_PATTERN_SOURCE,
  STORAGE_KEY_MAX,
  STORAGE_PREFIX_SOURCE,
  TOKEN_NAME_MAX,
  TOKEN_NAME_SOURCE,
} from "../../kernel/names/index.ts";
import { MAX_TOKEN_PAGE, TOKEN_CURSOR } from "./auth/index.ts";

/*
 * Names: zod checks the lengths (422 VALIDATION_FAILED); the `pattern` is documented from the same
 * source the kernel compiles and enforced there, with its own code and 400 (BUS_INVALID_PATTERN,
 * STATE_INVALID_KEY, STORAGE_INVALID_NAMESPACE, SERVICE_INVALID_NAME), or a 404 for a plugin name that
 * cannot exist. So what the schema accepts the server accepts, and the reverse.
 */

const Status = z.enum(["healthy", "degraded", "unhealthy"]);
const Phase = z.enum(["created", "initialised", "starting", "started", "stopping", "stopped", "failed"]);
const ComponentHealth = z.object({ status: Status, detail: z.string().optional() });

export const LivenessSchema = z.object({ status: Status }).openapi("Liveness");

export const HealthReportSchema = z
  .object({
    status: Status,
    phase: Phase,
    uptimeMs: z.number(),
    checks: z.object({
      storage: ComponentHealth,
      mirror: ComponentHealth,
      modules: ComponentHealth.extend({ modules: z.record(z.string(), ComponentHealth) }),
      plugins: ComponentHealth.extend({ plugins: z.record(z.string(), ComponentHealth) }),
      bus: ComponentHealth,
    }),
  })
  .openapi("HealthReport");

export const RuntimeSchema = z
  .object({
    version: z.object({ version: z.string(), commit: z.string(), bun: z.string(), target: z.string() }),
    phase: Phase,
    uptimeMs: z.number(),
    config: z
      .object({
        dataDir: z.string(),
        pluginsDir: z.string(),
        http: z.object({
          host: z.string(),
          port: z.number(),
          trustProxy: z.boolean(),
          maxBodyBytes: z.number(),
          corsOrigins: z.array(z.string()),
          authMaxFailures: z.number(),
          authWindowMs: z.number(),
          maxEventStreams: z.number(),
          maxEventStreamsPerToken: z.number(),
          maxTokens: z.number(),
        }),
        shutdownTimeoutMs: z.number(),
        logLevel: z.string(),
        storage: z.object({
          durable: z.boolean(),
          flushIntervalMs: z.number(),
          maxValueBytes: z.number(),
          secretNamespaces: z.array(z.string()),
        }),
        plugins: z.record(z.string(), z.object({ enabled: z.boolean() })).openapi({
          description: "Whether each configured plugin is enabled; plugin config values are never shown.",
        }),
      })
      .openapi({ description: "The effective configuration without secrets." }),
  })
  .openapi("Runtime");

const ModuleInfo = z
  .object({
    name: z.string(),
    required: z.boolean(),
    state: z.enum(["added", "registered", "started", "stopped", "failed"]),
    error: z
      .object({
        hook: z.enum(["register", "start", "stop"]),
        code: z.string().optional(),
        message: z.string(),
      })
      .optional(),
    registerMs: z.number().optional(),
    startMs: z.number().optional(),
    errorCount: z.number(),
  })
  .openapi("ModuleInfo");

export const ModulesSchema = z.object({ modules: z.array(ModuleInfo) });

const PluginError = z.object({
  code: z.string(),
  message: z.string(),
  hook: z.enum(["onLoad", "onStart", "onStop", "onUnload"]).optional(),
  data: z.unknown().optional(),
});

const PluginHealthSchema = z
  .object({
    status: z.enum(["ok", "degraded", "error"]),
    reason: z.string().optional(),
    since: z.string(),
  })
  .openapi("PluginHealth", {
    description: "What a running plugin says of its health (`ctx.integration.setStatus`); not persisted.",
  });

export const PluginInfoSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    description: z.string().optional(),
    origin: z.enum(["builtin", "external"]),
    state: z.enum([
      "discovered",
      "loaded",
      "started",
      "stopped",
      "unloaded",
      "failed",
      "skipped",
      "disabled",
    ]),
    isIntegration: z.boolean(),
    dependencies: z.array(z.string()),
    enabled: z.boolean(),
    error: PluginError.optional(),
    health: PluginHealthSchema.optional(),
    loadMs: z.number().optional(),
    startMs: z.number().optional(),
    errorCount: z.number(),
    serviceCalls: z.number(),
    serviceFailures: z.number(),
  })
  .openapi("PluginInfo");

export const PluginsSchema = z.object({
  plugins: z.array(PluginInfoSchema),
  problems: z
    .array(z.object({ source: z.string(), name: z.string().optional(), error: PluginError }))
    .openapi({ description: "Folders and built-ins that could not become plugins, with why." }),
});

export const PluginNameParams = z.object({
  name: z
    .string()
    .min(1)
    .max(64)
    .openapi({
      param: { name: "name", in: "path" },
      pattern: `^${NAME_SOURCE}$`,
      description: "A plugin name: 1-64 lowercase letters, digits or `-`, starting with a letter.",
      example: "demo",
    }),
});

const ServiceInfo = z
  .object({
    name: z.string(),
    baseName: z.string(),
    version: z.number(),
    owner: z.string(),
    timeoutMs: z.number(),
    idempotent: z.boolean(),
    description: z.string().optional(),
    circuit: z.enum(["closed", "open", "half-open"]).optional(),
  })
  .openapi("ServiceInfo");

export const ServicesSchema = z.object({ services: z.array(ServiceInfo) });

export const ServiceNameParams = z.object({
  name: z
    .string()
    .min(1)
    .max(256)
    .openapi({
      param: { name: "name", in: "path" },
      pattern: SERVICE_NAME_SOURCE,
      description: "`<owner>.<action>`, or `v<N>.<owner>.<action>` for one version.",
      example: "demo.ping",
    }),
});

export const ServiceCallBody = z
  .unknown()
  .openapi({ description: "The service's params, as JSON (validated by the service's own schema)." });

export const ServiceResultSchema = z.object({ result: z.unknown() }).openapi("ServiceResult");

export const StateKeysQuery = z.object({
  pattern: z
    .string()
    .min(1)
    .max(STATE_PATTERN_MAX)
    .optional()
    .openapi({
      description:
        "Characters of a state key and `*`: `*` matches within one `/` segment, `**` any run (never " +
        "`***`); default all keys.",
      pattern: STATE_PATTERN_SOURCE,
      example: "demo/*",
    }),
});

export const StateKeysSchema = z.object({ keys: z.array(z.string()) });

export const StateKeyParams = z.object({
  key: z
    .string()
    .min(1)
    .max(STATE_KEY_MAX)
    .openapi({
      param: { name: "key", in: "path" },
      pattern: STATE_KEY_SOURCE,
      description: "The state key; may contain `/` (written as is, or as `%2F`).",
      example: "devices/demo-light",
    }),
});

export const StateValueSchema = z.object({ key: z.string(), value: z.unknown() }).openapi("StateValue");

export const NamespacesSchema = z.object({
  namespaces: z.array(
    z.object({
      namespace: z.string(),
      keys: z.number(),
      secret: z.boolean().openapi({ description: "Values of secret namespaces are never served." }),
    }),
  ),
});

export const NamespaceParams = z.object({
  namespace: z
    .string()
    .min(1)
    .max(NAMESPACE_MAX)
    .openapi({ param: { name: "namespace", in: "path" }, pattern: NAMESPACE_SOURCE, example: "demo" }),
});

export const NamespaceQuery = z.object({
  prefix: z
    .string()
    .max(STORAGE_KEY_MAX)
    .optional()
    .openapi({ description: "Only keys starting with this.", pattern: STORAGE_PREFIX_SOURCE }),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(10_000)
    .default(1000)
    .openapi({ description: "At most this many entries." }),
});

export const NamespaceEntriesSchema = z.object({
  namespace: z.string(),
  entries: z.array(z.object({ key: z.string(), value: z.record(z.string(), z.unknown()) })),
  truncated: z.boolean().openapi({ description: "True when `limit` cut the list short." }),
});

export const IntegrationsSchema = z.object({
  integrations: z.array(
    z
      .object({
        name: z.string(),
        version: z.string(),
        description: z.string().optional(),
        configSchema: z.record(z.string(), z.unknown()).optional(),
        status: z.enum(["enabled", "disabled", "error"]),
        error: z.object({ code: z.string().optional(), message: z.string() }).optional(),
        updatedAt: z.string(),
        health: PluginHealthSchema.optional(),
      })
      .openapi("Integration"),
  ),
});

export const EventsQuery = z.object({
  pattern: z.string().min(1).max(256).optional().openapi({
    description: "Bus pattern: an event type, `*` as a whole segment (`device.*`), or `*` (default).",
    pattern: EVENT_PATTERN_SOURCE,
    example: "device.*",
  }),
});

const ScopeEnum = z.enum(SCOPES);

export const TokenInfoSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    scopes: z.array(ScopeEnum),
    createdAt: z.string(),
    lastUsedAt: z.string().optional(),
  })
  .openapi("TokenInfo");

export const TokensSchema = z
  .object({
    tokens: z.array(TokenInfoSchema).openapi({ description: "This page of tokens, oldest first." }),
    next: z.string().nullable().openapi({
      description: "Cursor of the next page (pass it as `cursor`); null on the last page.",
    }),
  })
  .openapi("TokenPage");

export const TokensQuery = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_TOKEN_PAGE)
    .optional()
    .openapi({
      param: { name: "limit", in: "query" },
      description: `Most tokens in this page (default and largest: ${MAX_TOKEN_PAGE}).`,
    }),
  cursor: z
    .string()
    .regex(TOKEN_CURSOR)
    .optional()
    .openapi({
      param: { name: "cursor", in: "query" },
      description: "The `next` of the previous page; omit for the first page.",
    }),
});

export const CreateTokenBody = z
  .object({
    // Checked here in full (422), so the token store's own check never answers 400 to a valid body.
    name: z
      .string()
      .max(TOKEN_NAME_MAX)
      .regex(new RegExp(TOKEN_NAME_SOURCE), "must not be blank or contain control characters")
      .trim()
      .openapi({
        description: "1-64 characters without control characters, not blank; trimmed.",
        pattern: TOKEN_NAME_SOURCE,
        example: "grafana",
      }),
    scopes: z.array(ScopeEnum).min(1),
  })
  .openapi("CreateToken");

export const CreatedTokenSchema = z
  .object({
    token: z.string().openapi({ description: "The secret; shown this once and never again." }),
    info: TokenInfoSchema,
  })
  .openapi("CreatedToken");

export const TokenIdParams = z.object({
  id: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "id", in: "path" } }),
});
