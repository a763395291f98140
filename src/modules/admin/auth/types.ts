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
  /** The info of the token with this id, or undefined when there is none (revoked). */
  get(id: string): Promise<TokenInfo | undefined>;
  /** The token's info, or undefined when it is malformed, unknown or revoked. */
  verify(token: string): Promise<TokenInfo | undefined>;
  count(): Promise<number>;
  /** Writes the "last used" times kept in memory now (the admin module calls it when it stops). */
  flushUsage(): Promise<void>;
}

export interface TokenStoreOptions {
  /** Any storage (the raw one or the mirrored one: `auth` is a secret namespace, never mirrored). */
  storage: StorageOps;
  logger?: Logger;
  /** How stale `lastUsedAt` may get before a use records it again (default 60 000 ms). */
  lastUsedIntervalMs?: number;
  /**
   * How long a recorded use waits in memory before it is written, with every other one recorded
   * meanwhile, in one transaction (default 3 600 000 ms: one write an hour however busy the tokens
   * are; spares the SD card). A stop writes them at once; a crash loses at most this much of it.
   */
  lastUsedFlushMs?: number;
  /** Most tokens that may exist; `create` past it throws AUTH_TOKEN_LIMIT (409). Default: no bound. */
  maxTokens?: number;
}

/** A live session as the auth layer sees it: the token it stands for (current scopes) and its end. */
export interface SessionInfo {
  token: TokenInfo;
  /** ISO 8601. */
  expiresAt: string;
}

/** Web-page sessions (cookie ids), kept in the secret `auth` namespace by hash. */
export interface SessionStore {
  readonly ttlMs: number;
  /** Starts a session for a verified token; `id` goes into the cookie and is never stored. */
  create(token: TokenInfo): Promise<{ id: string; expiresAt: string }>;
  /** The session's token, or undefined when the id is malformed, unknown, expired or its token revoked. */
  verify(id: string): Promise<SessionInfo | undefined>;
  /** Ends a session (logout); false when there was none. */
  end(id: string): Promise<boolean>;
  /** Ends every session of a token (it was revoked); how many there were. */
  endForToken(tokenId: string): Promise<number>;
}

export interface SessionStoreOptions {
  storage: StorageOps;
  tokens: TokenStore;
  /** How long a session lasts from sign-in (`http.sessionTtlMs`). */
  ttlMs: number;
  logger?: Logger;
  /** The clock (tests). */
  now?: () => number;
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
  /** Web-page sessions: with it, the session cookie is accepted like a bearer token. */
  sessions?: SessionStore;
}

/** Variables the auth middleware sets on the Hono context. */
export interface AuthVariables {
  token: TokenInfo;
  /** Set when the caller came with a session cookie instead of a bearer token. */
  session?: SessionInfo;
}

/** Hono env of routes behind `require(scope)`: `c.var.token` is the caller's token. */
export interface AuthEnv {
  Variables: AuthVariables;
}
