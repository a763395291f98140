import { createHash, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import { HearthError } from "../../../errors.ts";
import { silentLogger } from "../../../kernel/log/index.ts";
import type { JsonObject } from "../../../kernel/storage/index.ts";
import { normalizeScopes, SCOPES } from "./scopes.ts";
import type { CreateTokenInput, Scope, TokenInfo, TokenStore, TokenStoreOptions } from "./types.ts";

/** Secret namespace (never mirrored into state, never listed with values by the API). */
export const AUTH_NAMESPACE = "auth";
const KEY_PREFIX = "token:";
const TOKEN_PREFIX = "hth_";
/** `hth_` + 32 random bytes in base64url (43 characters, no padding). */
const TOKEN_FORMAT = /^hth_[A-Za-z0-9_-]{43}$/;
/** Hex characters of the hash used as the storage key: 128 bits, enough to never collide. */
const KEY_HEX_CHARS = 32;
const DEFAULT_LAST_USED_INTERVAL_MS = 60_000;

const createSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(64)
    // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
    .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), "must not contain control characters"),
  scopes: z.array(z.enum(SCOPES)).min(1),
});

interface TokenRecord {
  id: string;
  name: string;
  scopes: Scope[];
  /** Hex SHA-256 of the whole token. */
  hash: string;
  createdAt: string;
  lastUsedAt?: string;
}

// Plain SHA-256 is right here: the tokens carry 256 random bits, so there is nothing to brute-force
// and a slow password hash (argon2/scrypt) would only cost every request a few hundred ms on a Pi.
function sha256(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}

function keyOf(digest: Buffer): string {
  return KEY_PREFIX + digest.toString("hex").slice(0, KEY_HEX_CHARS);
}

function randomHex(bytes: number): string {
  return Buffer.from(crypto.getRandomValues(new Uint8Array(bytes))).toString("hex");
}

function newToken(): string {
  return TOKEN_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
}

function toDoc(r: TokenRecord): JsonObject {
  const { lastUsedAt, ...rest } = r;
  return lastUsedAt === undefined ? rest : { ...rest, lastUsedAt };
}

function toInfo(r: TokenRecord): TokenInfo {
  const info: TokenInfo = { id: r.id, name: r.name, scopes: [...r.scopes], createdAt: r.createdAt };
  if (r.lastUsedAt !== undefined) info.lastUsedAt = r.lastUsedAt;
  return info;
}

function isRecord(v: JsonObject | undefined): v is JsonObject & TokenRecord {
  return (
    v !== undefined &&
    typeof v.id === "string" &&
    typeof v.hash === "string" &&
    typeof v.name === "string" &&
    Array.isArray(v.scopes)
  );
}

function parseCreate(input: unknown): CreateTokenInput {
  const parsed = createSchema.safeParse(input);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => ({ path: i.path.join("."), message: i.message }));
    const detail = issues.map((i) => `${i.path || "input"}: ${i.message}`).join("; ");
    throw new HearthError("INVALID_ARGUMENT", `Invalid token: ${detail}`, { data: { issues } });
  }
  return parsed.data;
}

/**
 * Creates the token store. Only the SHA-256 of a token is kept; `verify` reads storage on every call
 * (no cache), so a revoked token fails on its very next use.
 *
 * @example
 * const tokens = createTokenStore({ storage });
 * const { token } = await tokens.create({ name: "grafana", scopes: ["read"] });
 */
export function createTokenStore(options: TokenStoreOptions): TokenStore {
  const { storage } = options;
  const log = (options.logger ?? silentLogger()).child({ component: "auth" });
  const lastUsedInterval = options.lastUsedIntervalMs ?? DEFAULT_LAST_USED_INTERVAL_MS;

  async function records(): Promise<TokenRecord[]> {
    const entries = await storage.query(AUTH_NAMESPACE, { prefix: KEY_PREFIX });
    return entries.map((e) => e.value).filter(isRecord);
  }

  async function touch(key: string, id: string, now: Date): Promise<void> {
    // Re-read inside the transaction: a revoke between verify's read and this write must not be
    // undone by writing the old record back.
    await storage.transaction(async (tx) => {
      const current = await tx.get(AUTH_NAMESPACE, key);
      if (!isRecord(current) || current.id !== id) return;
      await tx.set(AUTH_NAMESPACE, key, { ...current, lastUsedAt: now.toISOString() });
    });
  }

  return {
    async create(input) {
      const { name, scopes } = parseCreate(input);
      return storage.transaction(async (tx) => {
        const taken = new Set(
          (await tx.query(AUTH_NAMESPACE, { prefix: KEY_PREFIX })).map((e) => e.value.id),
        );
        let id = randomHex(6);
        while (taken.has(id)) id = randomHex(6);
        let token = newToken();
        let digest = sha256(token);
        while (await tx.has(AUTH_NAMESPACE, keyOf(digest))) {
          token = newToken();
          digest = sha256(token);
        }
        const record: TokenRecord = {
          id,
          name,
          scopes: normalizeScopes(scopes),
          hash: digest.toString("hex"),
          createdAt: new Date().toISOString(),
        };
        await tx.set(AUTH_NAMESPACE, keyOf(digest), toDoc(record));
        log.info({ id, name, scopes: record.scopes }, "token created");
        return { token, info: toInfo(record) };
      });
    },

    async list() {
      const all = (await records()).map(toInfo);
      return all.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    },

    async revoke(id) {
      if (typeof id !== "string" || id === "") return false;
      const entries = await storage.query(AUTH_NAMESPACE, { prefix: KEY_PREFIX, where: { id } });
      if (entries.length === 0) return false;
      const removed = await storage.batchDelete(
        AUTH_NAMESPACE,
        entries.map((e) => e.key),
      );
      if (removed > 0) log.info({ id }, "token revoked");
      return removed > 0;
    },

    async verify(token) {
      if (typeof token !== "string" || !TOKEN_FORMAT.test(token)) return undefined;
      const digest = sha256(token);
      const key = keyOf(digest);
      const record = await storage.get(AUTH_NAMESPACE, key);
      if (!isRecord(record)) return undefined;
      // The key only shares a prefix with the hash; compare the whole hash in constant time.
      const stored = Buffer.from(record.hash, "hex");
      if (stored.length !== digest.length || !timingSafeEqual(stored, digest)) return undefined;
      const now = new Date();
      const last = record.lastUsedAt === undefined ? Number.NaN : Date.parse(record.lastUsedAt);
      if (!(now.getTime() - last < lastUsedInterval)) {
        try {
          await touch(key, record.id, now);
          record.lastUsedAt = now.toISOString();
        } catch (err) {
          // Bookkeeping only: a failed write must not turn a valid token away.
          log.warn({ id: record.id, err: (err as Error).message }, "could not record token use");
        }
      }
      return toInfo(record);
    },

    async count() {
      return (await storage.listKeys(AUTH_NAMESPACE, KEY_PREFIX)).length;
    },
  };
}
