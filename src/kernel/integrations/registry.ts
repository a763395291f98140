import { z } from "zod";
import { errorMessage, HearthError, isHearthError } from "../../errors.ts";
import { type Logger, silentLogger } from "../log/index.ts";
import type { JsonObject, Storage } from "../storage/types.ts";
import type {
  IntegrationDeclaration,
  IntegrationHealth,
  IntegrationRecord,
  IntegrationRegistry,
  IntegrationRegistryOptions,
  IntegrationStatus,
} from "./types.ts";

/** The storage namespace holding one record per integration, keyed by name. */
export const INTEGRATIONS_NAMESPACE = "integrations";

const STATUSES = ["enabled", "disabled", "error"] as const satisfies IntegrationStatus[];
const MAX_ERROR_MESSAGE = 1000;

// What is read back is checked: a record edited by hand or written by an older build is skipped, not
// trusted.
const recordSchema = z.object({
  name: z.string().min(1),
  version: z.string(),
  description: z.string().optional(),
  configSchema: z.record(z.string(), z.unknown()).optional(),
  status: z.enum(STATUSES),
  error: z.object({ code: z.string().optional(), message: z.string() }).optional(),
  updatedAt: z.string(),
});

/**
 * Creates the integration registry over `storage` (namespace `integrations`). Call `load()` at start
 * so that `get`/`list` see what earlier runs persisted.
 *
 * @example
 * const integrations = createIntegrationRegistry({ storage, logger });
 * await integrations.load();
 * await integrations.declare({ name: "zigbee", version: "1.0.0", configSchema });
 * await integrations.setStatus("zigbee", "disabled");
 */
export function createIntegrationRegistry(options: IntegrationRegistryOptions): IntegrationRegistry {
  if (options?.storage === undefined) {
    throw new HearthError("INVALID_ARGUMENT", "createIntegrationRegistry needs a storage");
  }
  return new Registry(
    options.storage,
    (options.logger ?? silentLogger()).child({ component: "integrations" }),
    options.now ?? Date.now,
  );
}

class Registry implements IntegrationRegistry {
  readonly #storage: Storage;
  readonly #log: Logger;
  readonly #now: () => number;
  #records = new Map<string, IntegrationRecord>();
  readonly #health = new Map<string, IntegrationHealth>();
  /** Writes run one at a time, so a read-modify-write never interleaves with another. */
  #tail: Promise<unknown> = Promise.resolve();

  constructor(storage: Storage, log: Logger, now: () => number) {
    this.#storage = storage;
    this.#log = log;
    this.#now = now;
  }

  load(): Promise<void> {
    return this.#serial(async () => {
      const entries = await this.#storage.query(INTEGRATIONS_NAMESPACE);
      const records = new Map<string, IntegrationRecord>();
      for (const { key, value } of entries) {
        const record = this.#parse(key, value);
        if (record !== undefined) records.set(key, record);
      }
      this.#records = records;
    });
  }

  // async: a bad argument rejects like every other failure instead of throwing synchronously.
  async declare(declaration: IntegrationDeclaration): Promise<IntegrationRecord> {
    checkDeclaration(declaration);
    const { name, version, description, configSchema } = declaration;
    return this.#serial(async () => {
      const previous = await this.#read(name);
      const next: IntegrationRecord = {
        name,
        version,
        status: previous?.status === "disabled" ? "disabled" : "enabled",
        updatedAt: "",
      };
      if (description !== undefined) next.description = description;
      if (configSchema !== undefined) next.configSchema = configSchema;
      // SD-card care: a restart re-declares every integration; unchanged ones cost no write.
      if (previous !== undefined && sameRecord(previous, next)) {
        this.#records.set(name, previous);
        return clone(previous);
      }
      return this.#write(next);
    });
  }

  async setStatus(name: string, status: IntegrationStatus, error?: unknown): Promise<IntegrationRecord> {
    if (!(STATUSES as readonly unknown[]).includes(status)) {
      throw new HearthError("INVALID_ARGUMENT", `Integration status must be one of ${STATUSES.join(", ")}`, {
        data: { name, status: String(status) },
      });
    }
    return this.#serial(async () => {
      const previous = await this.#read(name);
      if (previous === undefined) throw notFound(name);
      const next: IntegrationRecord = { ...previous, status, updatedAt: "" };
      delete next.error;
      if (status === "error" && error !== undefined) next.error = describeError(error);
      if (sameRecord(previous, next)) return clone(previous);
      if (status !== previous.status) {
        this.#log.info(
          { integration: name, from: previous.status, to: status },
          "integration status changed",
        );
      }
      return this.#write(next);
    });
  }

  report(name: string, health: IntegrationHealth | undefined): void {
    if (health === undefined) this.#health.delete(name);
    else this.#health.set(name, { ...health });
  }

  get(name: string): IntegrationRecord | undefined {
    const record = this.#records.get(name);
    return record === undefined ? undefined : this.#view(record);
  }

  list(): IntegrationRecord[] {
    return [...this.#records.values()].sort((a, b) => (a.name < b.name ? -1 : 1)).map((r) => this.#view(r));
  }

  #view(record: IntegrationRecord): IntegrationRecord {
    const out = clone(record);
    const health = this.#health.get(record.name);
    if (health !== undefined) out.health = { ...health };
    return out;
  }

  remove(name: string): Promise<void> {
    return this.#serial(async () => {
      if (typeof name !== "string" || name === "") throw notFound(name);
      const existed = await this.#storage.delete(INTEGRATIONS_NAMESPACE, name);
      const known = this.#records.delete(name);
      if (!known && !existed) throw notFound(name);
    });
  }

  #serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.#tail.then(fn);
    this.#tail = run.catch(() => {});
    return run;
  }

  /** The current record: the in-memory copy, or storage when `load()` has not seen it. */
  async #read(name: string): Promise<IntegrationRecord | undefined> {
    const cached = this.#records.get(name);
    if (cached !== undefined) return cached;
    if (typeof name !== "string" || name === "") return undefined;
    const stored = await this.#storage.get(INTEGRATIONS_NAMESPACE, name);
    return stored === undefined ? undefined : this.#parse(name, stored);
  }

  async #write(next: IntegrationRecord): Promise<IntegrationRecord> {
    const record: IntegrationRecord = { ...next, updatedAt: new Date(this.#now()).toISOString() };
    await this.#storage.set(INTEGRATIONS_NAMESPACE, record.name, record as unknown as JsonObject);
    this.#records.set(record.name, record);
    return clone(record);
  }

  #parse(key: string, value: unknown): IntegrationRecord | undefined {
    // A few records, read at start-up: not worth building zod's compiled fast path for.
    const parsed = recordSchema.safeParse(value, { jitless: true });
    if (!parsed.success) {
      this.#log.warn({ integration: key }, "skipping an unreadable integration record");
      return undefined;
    }
    const record = parsed.data as IntegrationRecord;
    record.name = key;
    return record;
  }
}

function checkDeclaration(d: unknown): asserts d is IntegrationDeclaration {
  const invalid = (what: string) => new HearthError("INVALID_ARGUMENT", `Integration declaration: ${what}`);
  if (d === null || typeof d !== "object") throw invalid("must be an object");
  const { name, version, description, configSchema } = d as Record<string, unknown>;
  if (typeof name !== "string" || name === "") throw invalid("name must be a non-empty string");
  if (typeof version !== "string" || version === "")
    throw invalid(`"${name}": version must be a non-empty string`);
  if (description !== undefined && typeof description !== "string") {
    throw invalid(`"${name}": description must be a string`);
  }
  if (
    configSchema !== undefined &&
    (configSchema === null || typeof configSchema !== "object" || Array.isArray(configSchema))
  ) {
    throw invalid(`"${name}": configSchema must be a JSON Schema object`);
  }
}

/** Equal apart from `updatedAt`. Records are plain JSON, so their text is a fair comparison. */
function sameRecord(a: IntegrationRecord, b: IntegrationRecord): boolean {
  return comparable(a) === comparable(b);
}

function comparable(r: IntegrationRecord): string {
  return JSON.stringify([r.name, r.version, r.description, r.configSchema, r.status, r.error]);
}

function describeError(err: unknown): { code?: string; message: string } {
  const message = errorMessage(err).slice(0, MAX_ERROR_MESSAGE);
  if (isHearthError(err)) return { code: err.code, message };
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === "string" ? { code, message } : { message };
}

function clone(record: IntegrationRecord): IntegrationRecord {
  return structuredClone(record);
}

function notFound(name: string): HearthError {
  return new HearthError("PLUGIN_NOT_FOUND", `No integration named ${JSON.stringify(String(name))}`, {
    data: { name },
  });
}
