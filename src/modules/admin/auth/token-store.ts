import { z } from "zod";
import { HearthError } from "../../../errors.ts";
import { silentLogger } from "../../../kernel/log/index.ts";
import type { JsonObject, Storage, StorageOps } from "../../../kernel/storage/index.ts";
import { sameDigest, sha256Hex } from "./digest.ts";
import { normalizeScopes, SCOPES } from "./scopes.ts";
import type {
  CreateTokenInput,
  Scope,
  TokenInfo,
  TokenPage,
  TokenStore,
  TokenStoreOptions,
} from "./types.ts";

/** Secret namespace (never mirrored into state, never listed with values by the API). */
export const AUTH_NAMESPACE = "auth";
const KEY_PREFIX = "token:";
/** `id:<id>` → `{ key, order }`: find a token by id (revoke, uniqueness) without reading them all. */
const ID_PREFIX = "id:";
/**
 * `at:<seq>` → `{ key }`: the tokens in creation order, for paging. `seq` is a zero-padded counter,
 * not the clock: a Pi without a real-time clock may create tokens before NTP sets the time.
 */
const ORDER_PREFIX = "at:";
const SEQ_DIGITS = 12;
/**
 * `{ tokens, seq, version }`: how many tokens exist and the last sequence number given, kept in the
 * same transaction as every change.
 */
const META_KEY = "meta:tokens";
const INDEX_VERSION = 1;
/** Page size when the caller names none, and the largest one allowed. */
export const MAX_PAGE = 1000;
const TOKEN_PREFIX = "hth_";
/** `hth_` + 32 random bytes in base64url (43 characters, no padding). */
const TOKEN_FORMAT = /^hth_[A-Za-z0-9_-]{43}$/;
/** Hex characters of the hash used as the storage key: 128 bits, enough to never collide. */
const KEY_HEX_CHARS = 32;
const DEFAULT_LAST_USED_INTERVAL_MS = 60_000;
const DEFAULT_LAST_USED_FLUSH_MS = 3_600_000;
/** Verified tokens remembered by hash (least recently used dropped first). */
export const VERIFY_CACHE_SIZE = 256;

/**
 * Revocations per storage, shared by every token store in the process on that storage: a revoke
 * through one store empties the verify cache of all of them before their next verify.
 */
const revocations = new WeakMap<object, { count: number }>();

interface Cached {
  record: TokenRecord;
}

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
function keyOf(digest: string): string {
  return KEY_PREFIX + digest.slice(0, KEY_HEX_CHARS);
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

interface IdEntry {
  key: string;
  order: string;
}

function orderKey(seq: number): string {
  return ORDER_PREFIX + String(seq).padStart(SEQ_DIGITS, "0");
}

function isIdEntry(v: JsonObject | undefined): v is JsonObject & IdEntry {
  return v !== undefined && typeof v.key === "string" && typeof v.order === "string";
}

/** A page cursor is the creation-order key without its prefix: the last token's sequence number. */
export const CURSOR = /^\d{12}$/;

/**
 * `probe`, asked at most once per turn of the event loop: requests handled in the same turn share one
 * `PRAGMA data_version` (~1.9 µs, an eighth of a state read). A commit by another process in the middle
 * of a turn races the requests of that turn whatever Hearth does; the next turn sees it.
 */
function probeOncePerTurn(probe: () => number): () => number {
  let value: number | undefined;
  const forget = () => {
    value = undefined;
  };
  return () => {
    if (value === undefined) {
      value = probe();
      setImmediate(forget);
    }
    return value;
  };
}

/**
 * Creates the token store. Only the SHA-256 of a token is kept. `verify` remembers the last
 * `VERIFY_CACHE_SIZE` tokens it found (by hash, never the token) and still refuses a revoked token on
 * its very next use: a revoke through any store on the same storage empties the cache, and so does a
 * commit by another process (the `hearth token` CLI), seen through `storage.dataVersion()`, probed once
 * per event-loop turn (every request that arrives after the CLI's commit sees it). Without
 * `dataVersion` nothing is cached.
 *
 * Every operation costs the same however many tokens exist: `verify` reads one document by hash,
 * `create` checks the count and the id through two small index documents, `revoke` finds the token
 * through its id, and `page` reads one page in creation order. The indexes live in the same secret
 * namespace and change in the same transaction as the token. A database written before them (or by
 * an older binary since) is re-indexed once, on first use.
 *
 * @example
 * const tokens = createTokenStore({ storage, maxTokens: 1000 });
 * const { token } = await tokens.create({ name: "grafana", scopes: ["read"] });
 */
export function createTokenStore(options: TokenStoreOptions): TokenStore {
  const { storage } = options;
  const log = (options.logger ?? silentLogger()).child({ component: "auth" });
  const lastUsedInterval = options.lastUsedIntervalMs ?? DEFAULT_LAST_USED_INTERVAL_MS;
  const lastUsedFlush = options.lastUsedFlushMs ?? DEFAULT_LAST_USED_FLUSH_MS;
  const maxTokens = options.maxTokens;
  let indexed: Promise<void> | undefined;
  const versioned = storage as StorageOps & Partial<Pick<Storage, "dataVersion">>;
  const dataVersion =
    typeof versioned.dataVersion === "function"
      ? probeOncePerTurn(() => (versioned.dataVersion as () => number)())
      : undefined;
  const cache = new Map<string, Cached>(); // by storage key; insertion order is recency
  const revoked = revocations.get(storage) ?? { count: 0 };
  revocations.set(storage, revoked);
  /** `revoked.count` and `storage.dataVersion()` when the cache was last known good. */
  let cacheRevocations = revoked.count;
  let cacheVersion: number | undefined;

  /** The cache, emptied first if a token may have been revoked since it was filled. */
  function checkedCache(): { version: number; generation: number } | undefined {
    const version = dataVersion?.();
    if (version === undefined) return undefined;
    if (version !== cacheVersion || revoked.count !== cacheRevocations) {
      cache.clear();
      cacheVersion = version;
      cacheRevocations = revoked.count;
    }
    return { version, generation: revoked.count };
  }

  // "Last used" is bookkeeping, kept in memory and written for all tokens in one transaction per
  // `lastUsedFlushMs` (and by `flushUsage()` when the admin module stops): a scraper's token used
  // every 15 s no longer costs an SD-card write a minute. Readers see the in-memory time.
  const usage = new Map<string, { key: string; at: string }>(); // by token id
  let flushTimer: ReturnType<typeof setTimeout> | undefined;
  let flushing: Promise<void> | undefined;

  function lastUsedOf(r: TokenRecord): string | undefined {
    return usage.get(r.id)?.at ?? r.lastUsedAt;
  }

  function withUsage(r: TokenRecord): TokenInfo {
    const info = toInfo(r);
    const at = lastUsedOf(r);
    if (at !== undefined) info.lastUsedAt = at;
    return info;
  }

  /** The token's info if `entry` is the record of `digest`; notes the use (kept in memory). */
  function accept(entry: Cached, key: string, digest: string): TokenInfo | undefined {
    const { record } = entry;
    // The key only shares a prefix with the hash; compare the whole hash in constant time.
    if (!sameDigest(record.hash.toLowerCase(), digest)) return undefined;
    const now = Date.now();
    const seen = lastUsedOf(record);
    const last = seen === undefined ? Number.NaN : Date.parse(seen);
    if (!(now - last < lastUsedInterval)) {
      const at = new Date(now).toISOString();
      noteUse(key, record.id, at);
      // The cached record keeps the newest time once `usage` is flushed and emptied.
      entry.record = { ...record, lastUsedAt: at };
    }
    return withUsage(entry.record);
  }

  async function writeUsage(): Promise<void> {
    if (flushTimer !== undefined) clearTimeout(flushTimer);
    flushTimer = undefined;
    if (usage.size === 0) return;
    const batch = [...usage];
    usage.clear();
    try {
      // Re-read inside the transaction: a revoke since the use must not be undone by writing the old
      // record back, and a newer time already stored wins.
      await storage.transaction(async (tx) => {
        for (const [id, { key, at }] of batch) {
          const current = await tx.get(AUTH_NAMESPACE, key);
          if (!isRecord(current) || current.id !== id) continue;
          if (current.lastUsedAt !== undefined && current.lastUsedAt >= at) continue;
          await tx.set(AUTH_NAMESPACE, key, { ...current, lastUsedAt: at });
        }
      });
    } catch (err) {
      // Bookkeeping only: keep the times for the next try unless newer ones arrived meanwhile.
      for (const [id, seen] of batch) if (!usage.has(id)) usage.set(id, seen);
      log.warn({ tokens: batch.length, err: (err as Error).message }, "could not record token use");
    }
  }

  function flushUsage(): Promise<void> {
    flushing = (flushing ?? Promise.resolve()).then(writeUsage);
    return flushing;
  }

  function noteUse(key: string, id: string, at: string): void {
    usage.set(id, { key, at });
    if (flushTimer !== undefined) return;
    flushTimer = setTimeout(() => void flushUsage(), lastUsedFlush);
    flushTimer.unref?.();
  }

  async function metaOf(tx: StorageOps): Promise<{ tokens: number; seq: number }> {
    const meta = await tx.get(AUTH_NAMESPACE, META_KEY);
    return {
      tokens: typeof meta?.tokens === "number" ? meta.tokens : 0,
      seq: typeof meta?.seq === "number" ? meta.seq : 0,
    };
  }

  async function setMeta(tx: StorageOps, meta: { tokens: number; seq: number }): Promise<void> {
    await tx.set(AUTH_NAMESPACE, META_KEY, { ...meta, version: INDEX_VERSION });
  }

  /**
   * Checks, by keys alone, that the indexes and the count agree with the tokens; rebuilds them when
   * they do not (a database from before the indexes, or tokens written by an older binary). Runs
   * once per store.
   */
  function ensureIndex(): Promise<void> {
    indexed ??= storage
      .transaction(async (tx) => {
        const tokenKeys = await tx.listKeys(AUTH_NAMESPACE, KEY_PREFIX);
        const idKeys = await tx.listKeys(AUTH_NAMESPACE, ID_PREFIX);
        const orderKeys = await tx.listKeys(AUTH_NAMESPACE, ORDER_PREFIX);
        const meta = await tx.get(AUTH_NAMESPACE, META_KEY);
        const n = tokenKeys.length;
        if (
          meta?.version === INDEX_VERSION &&
          meta.tokens === n &&
          idKeys.length === n &&
          orderKeys.length === n
        ) {
          return;
        }
        // The order the list had before the index: by creation time, then id.
        const records = (await tx.query(AUTH_NAMESPACE, { prefix: KEY_PREFIX }))
          .filter((e) => isRecord(e.value))
          .map((e) => ({ key: e.key, record: e.value as unknown as TokenRecord }))
          .sort(
            (a, b) =>
              a.record.createdAt.localeCompare(b.record.createdAt) || a.record.id.localeCompare(b.record.id),
          );
        await tx.batchDelete(AUTH_NAMESPACE, [...idKeys, ...orderKeys]);
        const entries: Record<string, JsonObject> = {};
        records.forEach(({ key, record }, i) => {
          const order = orderKey(i + 1);
          entries[ID_PREFIX + record.id] = { key, order };
          entries[order] = { key };
        });
        if (records.length > 0) await tx.batchSet(AUTH_NAMESPACE, entries);
        await setMeta(tx, { tokens: records.length, seq: records.length });
        log.info({ tokens: records.length }, "token index rebuilt");
      })
      .catch((err) => {
        indexed = undefined;
        throw err;
      });
    return indexed;
  }

  async function recordsAt(tx: StorageOps, keys: string[]): Promise<TokenRecord[]> {
    if (keys.length === 0) return [];
    const found = await tx.batchGet(AUTH_NAMESPACE, keys);
    const out: TokenRecord[] = [];
    for (const key of keys) {
      const v = found.get(key);
      if (isRecord(v)) out.push(v);
    }
    return out;
  }

  async function page(input: { limit?: number; cursor?: string } = {}): Promise<TokenPage> {
    const limit = input.limit ?? MAX_PAGE;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE) {
      throw new HearthError("INVALID_ARGUMENT", `Token page limit must be an integer from 1 to ${MAX_PAGE}`, {
        data: { limit },
      });
    }
    if (input.cursor !== undefined && !CURSOR.test(input.cursor)) {
      throw new HearthError("INVALID_ARGUMENT", "Invalid token page cursor: pass back `next` as it came", {
        data: { cursor: String(input.cursor).slice(0, 100) },
      });
    }
    await ensureIndex();
    return storage.transaction(async (tx) => {
      const after = input.cursor === undefined ? undefined : ORDER_PREFIX + input.cursor;
      // One more than asked tells whether another page follows.
      const order = await tx.query(AUTH_NAMESPACE, { prefix: ORDER_PREFIX, after, limit: limit + 1 });
      const shown = order.slice(0, limit);
      const keys = shown.map((e) => e.value.key).filter((k): k is string => typeof k === "string");
      const tokens = (await recordsAt(tx, keys)).map(withUsage);
      const last = shown.at(-1);
      const next = order.length > limit && last !== undefined ? last.key.slice(ORDER_PREFIX.length) : null;
      return { tokens, next };
    });
  }

  return {
    async create(input) {
      const { name, scopes } = parseCreate(input);
      await ensureIndex();
      return storage.transaction(async (tx) => {
        const meta = await metaOf(tx);
        const count = meta.tokens;
        if (maxTokens !== undefined && count >= maxTokens) {
          throw new HearthError(
            "AUTH_TOKEN_LIMIT",
            `There are already ${count} tokens (http.maxTokens is ${maxTokens}); revoke unused ones first`,
            { data: { tokens: count, maxTokens } },
          );
        }
        let id = randomHex(6);
        while (await tx.has(AUTH_NAMESPACE, ID_PREFIX + id)) id = randomHex(6);
        let token = newToken();
        let digest = sha256Hex(token);
        while (await tx.has(AUTH_NAMESPACE, keyOf(digest))) {
          token = newToken();
          digest = sha256Hex(token);
        }
        const record: TokenRecord = {
          id,
          name,
          scopes: normalizeScopes(scopes),
          hash: digest,
          createdAt: new Date().toISOString(),
        };
        const key = keyOf(digest);
        const order = orderKey(meta.seq + 1);
        await tx.batchSet(AUTH_NAMESPACE, {
          [key]: toDoc(record),
          [ID_PREFIX + id]: { key, order },
          [order]: { key },
        });
        await setMeta(tx, { tokens: count + 1, seq: meta.seq + 1 });
        log.info({ id, name, scopes: record.scopes }, "token created");
        return { token, info: toInfo(record) };
      });
    },

    async list() {
      const all: TokenInfo[] = [];
      let cursor: string | undefined;
      for (;;) {
        const { tokens, next } = await page(cursor === undefined ? {} : { cursor });
        all.push(...tokens);
        if (next === null) return all;
        cursor = next;
      }
    },

    page,

    async revoke(id) {
      if (typeof id !== "string" || id === "" || !/^[0-9a-f]{1,64}$/.test(id)) return false;
      await ensureIndex();
      const removed = await storage.transaction(async (tx) => {
        const entry = await tx.get(AUTH_NAMESPACE, ID_PREFIX + id);
        if (!isIdEntry(entry)) return false;
        const existed = await tx.delete(AUTH_NAMESPACE, entry.key);
        await tx.batchDelete(AUTH_NAMESPACE, [ID_PREFIX + id, entry.order]);
        if (existed) {
          const meta = await metaOf(tx);
          await setMeta(tx, { tokens: Math.max(0, meta.tokens - 1), seq: meta.seq });
        }
        return existed;
      });
      // Even when nothing was removed here: a concurrent verify may have read the token before.
      revoked.count++;
      cache.clear();
      if (removed) {
        usage.delete(id);
        log.info({ id }, "token revoked");
      }
      return removed;
    },

    async get(id) {
      if (typeof id !== "string" || !/^[0-9a-f]{1,64}$/.test(id)) return undefined;
      const entry = await storage.get(AUTH_NAMESPACE, ID_PREFIX + id);
      if (!isIdEntry(entry)) return undefined;
      const record = await storage.get(AUTH_NAMESPACE, entry.key);
      return isRecord(record) && record.id === id ? withUsage(record) : undefined;
    },

    // Not `async`: a token found in the cache is answered without an async frame (every request).
    verify(token) {
      if (typeof token !== "string" || !TOKEN_FORMAT.test(token)) return Promise.resolve(undefined);
      const digest = sha256Hex(token);
      const key = keyOf(digest);
      let seenAt: ReturnType<typeof checkedCache>;
      try {
        seenAt = checkedCache();
      } catch (err) {
        // The data_version probe on a closed or broken database: a rejection, as from any read.
        return Promise.reject(err);
      }
      const entry = seenAt === undefined ? undefined : cache.get(key);
      if (entry !== undefined) {
        cache.delete(key);
        cache.set(key, entry);
        return Promise.resolve(accept(entry, key, digest));
      }
      return storage.get(AUTH_NAMESPACE, key).then((record) => {
        if (!isRecord(record)) return undefined;
        const read: Cached = { record };
        // Only if nothing was revoked meanwhile (here or by another process): else the record read
        // may be one a revoke has deleted since.
        if (seenAt !== undefined && seenAt.generation === revoked.count) {
          const after = dataVersion?.();
          if (after === seenAt.version && after === cacheVersion && cacheRevocations === revoked.count) {
            cache.set(key, read);
            if (cache.size > VERIFY_CACHE_SIZE) cache.delete(cache.keys().next().value as string);
          }
        }
        return accept(read, key, digest);
      });
    },

    flushUsage,

    async count() {
      await ensureIndex();
      return (await metaOf(storage)).tokens;
    },
  };
}
