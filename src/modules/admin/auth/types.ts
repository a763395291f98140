import type { Scope } from "../../../kernel/http/index.ts";
import type { Logger } from "../../../kernel/log/index.ts";
import type { StorageOps } from "../../../kernel/storage/index.ts";

export type { Scope } from "../../../kernel/http/index.ts";

/** A token as shown to people and the API: never the token itself, never its hash. */
export interface TokenInfo {
  /** Short random hex, the handle for `revoke`. */
  id: string;
  name: string;
  scopes: Scope[];
  /** ISO 8601. */
  createdAt: string;
  /** ISO 8601; refreshed at most once a minute per token. */
  lastUsedAt?: string;
}

export interface CreateTokenInput {
  /** 1–64 characters, no control characters. */
  name: string;
  /** A non-empty subset of the scopes (duplicates are dropped). */
  scopes: Scope[];
}

/** A page of tokens and the cursor of the next one (null when this is the last). */
export interface TokenPage {
  tokens: TokenInfo[];
  next: string | null;
}

/** Bearer tokens kept in the secret storage namespace `auth`, as SHA-256 hashes only. */
export interface TokenStore {
  /** Creates a token; the returned `token` is the only time it is ever visible. */
  create(input: CreateTokenInput): Promise<{ token: string; info: TokenInfo }>;
  /** Every token, oldest first. */
  list(): Promise<TokenInfo[]>;
  /**
   * One page of tokens, oldest first: at most `limit` (1–1000, default 1000) after `cursor` (the
   * `next` of the previous page). `next` is null on the last page.
   */
  page(input?: { limit?: number; cursor?: string }): Promise<TokenPage>;
  /** Deletes the token; false when no token has that id. */
  revoke(id: string): Promise<boolean>;
  /** The token's info, or undefined when it is malformed, unknown or revoked. */
  verify(token: string): Promise<TokenInfo | undefined>;
  count(): Promise<number>;
}

export interface TokenStoreOptions {
  /** Any storage (the raw one or the mirrored one: `auth` is a secret namespace, never mirrored). */
  storage: StorageOps;
  logger?: Logger;
  /** How stale `lastUsedAt` may get before a use writes it again (default 60 000 ms; spares the SD card). */
  lastUsedIntervalMs?: number;
  /** Most tokens that may exist; `create` past it throws AUTH_TOKEN_LIMIT (409). Default: no bound. */
  maxTokens?: number;
}

export interface BootstrapOptions {
  store: TokenStore;
  dataDir: string;
  logger: Logger;
}

export interface AuthOptions {
  store: TokenStore;
  /** Take the client address from the first `X-Forwarded-For` entry (only behind your own proxy). */
  trustProxy: boolean;
  /** Failed authentications per client address within `windowMs` before answering 429. */
  maxFailures: number;
  windowMs: number;
  logger?: Logger;
  /** Most client addresses tracked at once (default 10 000); the oldest is forgotten beyond that. */
  maxClients?: number;
}

/** Variables the auth middleware sets on the Hono context. */
export interface AuthVariables {
  token: TokenInfo;
}

/** Hono env of routes behind `require(scope)`: `c.var.token` is the caller's token. */
export interface AuthEnv {
  Variables: AuthVariables;
}
