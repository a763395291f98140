/**
 * Admin API auth: scoped bearer tokens stored as hashes, the bootstrap token, and the Hono middleware
 * that checks them.
 *
 * @example
 * const store = createTokenStore({ storage });
 * await ensureBootstrapToken({ store, dataDir: config.dataDir, logger });
 * const auth = createAuth({ store, trustProxy: false, maxFailures: 10, windowMs: 60_000 });
 * app.get("/api/v1/runtime", auth.require("read"), (c) => c.json({ caller: c.var.token.name }));
 */
export { BOOTSTRAP_TOKEN_FILE, ensureBootstrapToken } from "./bootstrap.ts";
export { type Auth, createAuth, parseBearer } from "./middleware.ts";
export { hasScope, SCOPES } from "./scopes.ts";
export { createSessionStore, MAX_SESSIONS_PER_TOKEN, SESSION_COOKIE } from "./session-store.ts";
export {
  AUTH_NAMESPACE,
  CURSOR as TOKEN_CURSOR,
  createTokenStore,
  MAX_PAGE as MAX_TOKEN_PAGE,
} from "./token-store.ts";
export type {
  AuthEnv,
  AuthOptions,
  AuthVariables,
  BootstrapOptions,
  CreateTokenInput,
  Scope,
  SessionInfo,
  SessionStore,
  SessionStoreOptions,
  TokenInfo,
  TokenPage,
  TokenStore,
  TokenStoreOptions,
} from "./types.ts";
