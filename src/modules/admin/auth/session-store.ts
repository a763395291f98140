import { silentLogger } from "../../../kernel/log/index.ts";
import type { JsonObject } from "../../../kernel/storage/index.ts";
import { sameDigest, sha256Hex } from "./digest.ts";
import { AUTH_NAMESPACE } from "./token-store.ts";
import type { Scope, SessionStore, SessionStoreOptions, TokenInfo } from "./types.ts";

/** The cookie that carries a web-page session: HttpOnly, SameSite=Strict, Path=/. */
export const SESSION_COOKIE = "hearth_session";
const KEY_PREFIX = "session:";
const SESSION_PREFIX = "hss_";
/** `hss_` + 32 random bytes in base64url. */
const SESSION_FORMAT = /^hss_[A-Za-z0-9_-]{43}$/;
const KEY_HEX_CHARS = 32;
/** Sessions one token may hold at once; signing in once more ends the oldest. */
export const MAX_SESSIONS_PER_TOKEN = 16;

interface SessionRecord {
  tokenId: string;
  scopes: Scope[];
  /** Hex SHA-256 of the whole session id. */
  hash: string;
  createdAt: string;
  /** Orders sessions made within the same millisecond (per process; createdAt orders the rest). */
  n: number;
  expiresAt: string;
}

function keyOf(digest: string): string {
  return KEY_PREFIX + digest.slice(0, KEY_HEX_CHARS);
}

function isRecord(v: JsonObject | undefined): v is JsonObject & SessionRecord {
  return (
    v !== undefined &&
    typeof v.tokenId === "string" &&
    typeof v.hash === "string" &&
    typeof v.expiresAt === "string" &&
    Array.isArray(v.scopes)
  );
}

/**
 * Creates the session store: web-page sessions made from a token, kept in the secret `auth` namespace
 * by the SHA-256 of their id (the id itself lives only in the browser's HttpOnly cookie). A session
 * holds the token's id and scopes and an expiry; it ends when it expires, on logout, or when its token
 * is revoked (checked on every use, so a revoked token's sessions fail on their next request).
 *
 * @example
 * const sessions = createSessionStore({ storage, tokens, ttlMs: 7 * 86_400_000 });
 * const { id, expiresAt } = await sessions.create(tokenInfo);
 */
export function createSessionStore(options: SessionStoreOptions): SessionStore {
  const { storage, tokens, ttlMs } = options;
  const now = options.now ?? (() => Date.now());
  const log = (options.logger ?? silentLogger()).child({ component: "auth" });
  let made = 0;

  /** Drops expired sessions and, past the per-token bound, the oldest ones of `tokenId`. */
  async function prune(tokenId: string, at: number): Promise<void> {
    const all = await storage.query(AUTH_NAMESPACE, { prefix: KEY_PREFIX });
    const stale: string[] = [];
    const mine: { key: string; createdAt: string; n: number }[] = [];
    for (const { key, value } of all) {
      if (!isRecord(value) || Date.parse(value.expiresAt) <= at) stale.push(key);
      else if (value.tokenId === tokenId) {
        mine.push({ key, createdAt: value.createdAt, n: typeof value.n === "number" ? value.n : 0 });
      }
    }
    mine.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.n - b.n);
    const over = mine.length - (MAX_SESSIONS_PER_TOKEN - 1);
    if (over > 0) stale.push(...mine.slice(0, over).map((m) => m.key));
    if (stale.length > 0) await storage.batchDelete(AUTH_NAMESPACE, stale);
  }

  async function find(id: string): Promise<{ key: string; record: SessionRecord } | undefined> {
    if (typeof id !== "string" || !SESSION_FORMAT.test(id)) return undefined;
    const digest = sha256Hex(id);
    const key = keyOf(digest);
    const record = await storage.get(AUTH_NAMESPACE, key);
    if (!isRecord(record)) return undefined;
    if (!sameDigest(record.hash.toLowerCase(), digest)) return undefined;
    return { key, record };
  }

  return {
    ttlMs,

    async create(token: TokenInfo) {
      const at = now();
      await prune(token.id, at);
      let id = SESSION_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
      let digest = sha256Hex(id);
      while (await storage.has(AUTH_NAMESPACE, keyOf(digest))) {
        id = SESSION_PREFIX + Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64url");
        digest = sha256Hex(id);
      }
      const record: SessionRecord = {
        tokenId: token.id,
        scopes: [...token.scopes],
        hash: digest,
        createdAt: new Date(at).toISOString(),
        n: ++made,
        expiresAt: new Date(at + ttlMs).toISOString(),
      };
      await storage.set(AUTH_NAMESPACE, keyOf(digest), { ...record });
      log.info({ tokenId: token.id, expiresAt: record.expiresAt }, "session created");
      return { id, expiresAt: record.expiresAt };
    },

    async verify(id) {
      const found = await find(id);
      if (found === undefined) return undefined;
      const { key, record } = found;
      if (Date.parse(record.expiresAt) <= now()) {
        await storage.delete(AUTH_NAMESPACE, key);
        return undefined;
      }
      const token = await tokens.get(record.tokenId);
      if (token === undefined) {
        // The token was revoked: every session made from it ends with it.
        await storage.delete(AUTH_NAMESPACE, key);
        return undefined;
      }
      // Never more than the token has now, nor more than it had when the session was made.
      const scopes = token.scopes.filter((s) => record.scopes.includes(s));
      return { token: { ...token, scopes }, expiresAt: record.expiresAt };
    },

    async end(id) {
      const found = await find(id);
      if (found === undefined) return false;
      await storage.delete(AUTH_NAMESPACE, found.key);
      log.info({ tokenId: found.record.tokenId }, "session ended");
      return true;
    },

    async endForToken(tokenId) {
      const all = await storage.query(AUTH_NAMESPACE, { prefix: KEY_PREFIX, where: { tokenId } });
      const keys = all.map((e) => e.key);
      if (keys.length > 0) await storage.batchDelete(AUTH_NAMESPACE, keys);
      return keys.length;
    },
  };
}
