import type { Logger } from "../log/types.ts";
import type { Storage } from "../storage/types.ts";

export type IntegrationStatus = "enabled" | "disabled" | "error";

/** What the plugin manager declares for each discovered plugin whose manifest says `isIntegration`. */
export interface IntegrationDeclaration {
  name: string;
  version: string;
  description?: string;
  /** JSON Schema of the integration's config (from the manifest, or derived from its zod schema). */
  configSchema?: Record<string, unknown>;
}

/** What a running integration says of itself (`ctx.integration.setStatus`); never persisted. */
export interface IntegrationHealth {
  status: "ok" | "degraded" | "error";
  reason?: string;
  /** ISO 8601 time of the change. */
  since: string;
}

/** One integration as persisted in storage namespace `integrations` under its name. */
export interface IntegrationRecord {
  name: string;
  version: string;
  description?: string;
  configSchema?: Record<string, unknown>;
  status: IntegrationStatus;
  /** Why it is in `error`; absent for the other statuses. */
  error?: { code?: string; message: string };
  /** ISO 8601 time of the last change that was written. */
  updatedAt: string;
  /** The running plugin's own report of its health (kept in memory, not persisted). */
  health?: IntegrationHealth;
}

export interface IntegrationRegistryOptions {
  storage: Storage;
  /** Logs through a `{ component: "integrations" }` child. Silent by default. */
  logger?: Logger;
  /** Clock for `updatedAt` (tests). Default `Date.now`. */
  now?: () => number;
}

/**
 * Integrations declared by plugin manifests, with their status and config schema, persisted in
 * storage so that a disabled integration stays disabled across restarts. Reads are served from an
 * in-memory copy that `load()` fills at start and every write keeps up to date.
 */
export interface IntegrationRegistry {
  /** Reads every persisted record into memory (replacing the copy). */
  load(): Promise<void>;
  /**
   * Creates or refreshes a record: version, description and schema from the declaration; status kept
   * when persisted as `disabled`, otherwise `enabled`. Writes only when something changed.
   */
  declare(declaration: IntegrationDeclaration): Promise<IntegrationRecord>;
  /** PLUGIN_NOT_FOUND for an unknown name. `error` is kept only with status `error`. */
  setStatus(name: string, status: IntegrationStatus, error?: unknown): Promise<IntegrationRecord>;
  /**
   * The running plugin's report of its health, shown with its record until cleared (undefined). Kept
   * in memory only: a status that changes with a stick or a broker must not cost SD-card writes.
   */
  report(name: string, health: IntegrationHealth | undefined): void;
  /** Undefined for an unknown name. */
  get(name: string): IntegrationRecord | undefined;
  /** Sorted by name. */
  list(): IntegrationRecord[];
  /** Deletes the record; PLUGIN_NOT_FOUND for an unknown name. */
  remove(name: string): Promise<void>;
}
