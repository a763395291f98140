import type { Context, MiddlewareHandler } from "hono";
import { getConnInfo } from "hono/bun";
import { deleteCookie, getCookie } from "hono/cookie";
import { HearthError } from "../../../errors.ts";
import { silentLogger } from "../../../kernel/log/index.ts";
import { createFailureLimiter } from "./rate-limit.ts";
import { hasScope, SCOPES } from "./scopes.ts";
import { SESSION_COOKIE } from "./session-store.ts";
import type { AuthEnv, AuthOptions, Scope, TokenInfo } from "./types.ts";

const DEFAULT_MAX_CLIENTS = 10_000;
/** Longer than any IPv6 text form; keeps a forged X-Forwarded-For from growing the limiter's keys. */
const MAX_ADDRESS_CHARS = 64;
const UNKNOWN_ADDRESS = "unknown";
const CHALLENGE = 'Bearer realm="hearth"';
/** The header a cookie-authenticated request that changes something must carry (CSRF guard). */
export const CSRF_HEADER = "X-Hearth-CSRF";
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);
const NOTHING = (): undefined => undefined;

/** The token of `Authorization: Bearer <token>` (scheme in any case), or undefined when malformed. */
export function parseBearer(header: string): string | undefined {
  const match = /^bearer +([^\s,]+)$/i.exec(header.trim());
  return match?.[1];
}

/** The API's auth: scope-checking middleware and the client address it rate-limits by. */
export interface Auth {
  /**
   * Hono middleware: 401 without or with a bad bearer token (`WWW-Authenticate: Bearer`), 403 when
   * the token's scopes do not cover `scope`, 429 with `Retry-After` for a failing attempt from an
   * address that failed too often (a valid token always passes). Errors are thrown as HearthErrors
   * for the app's `onError`. Sets `c.var.token`; `E` is the app's env (any env whose Variables
   * include `token`). When `authenticate()` already ran, only the scope is checked.
   */
  require<E extends AuthEnv = AuthEnv>(scope: Scope): MiddlewareHandler<E>;
  /**
   * Hono middleware that needs a valid token of any scope (same answers as `require`, no 403), for a
   * whole path prefix: mounted on `/api/v1/*` it answers 401 before routing, body limits or 404.
   */
  authenticate<E extends AuthEnv = AuthEnv>(): MiddlewareHandler<E>;
  /** The socket address, or the first X-Forwarded-For entry when `trustProxy` is on. */
  clientAddress(c: Context): string;
}

/**
 * Creates the bearer-token auth for the admin API.
 *
 * @example
 * const auth = createAuth({ store, trustProxy: false, maxFailures: 10, windowMs: 60_000 });
 * app.get("/api/v1/state/*", auth.require("read"), (c) => c.json({ by: c.var.token.name }));
 */
export function createAuth(options: AuthOptions): Auth {
  const { store, trustProxy } = options;
  const log = (options.logger ?? silentLogger()).child({ component: "auth" });
  const limiter = createFailureLimiter({
    maxFailures: options.maxFailures,
    windowMs: options.windowMs,
    maxClients: options.maxClients ?? DEFAULT_MAX_CLIENTS,
  });

  function clientAddress(c: Context): string {
    if (trustProxy) {
      // The last entry is the one the proxy in front of Hearth appended (the address it saw); the
      // entries before it are whatever the client sent, and a client could pick a fresh one each try.
      const last = c.req.header("x-forwarded-for")?.split(",").at(-1)?.trim();
      if (last) return last.slice(0, MAX_ADDRESS_CHARS);
    }
    try {
      return getConnInfo(c).remote.address ?? UNKNOWN_ADDRESS;
    } catch {
      // Not served by Bun.serve (app.request() without a server env): one shared bucket.
      return UNKNOWN_ADDRESS;
    }
  }

  /**
   * The caller's token, verified once per request. The token is checked before the limiter is asked
   * anything: a valid token is never refused because its address (a shared NAT, a proxy without
   * trustProxy, an attacker next door) failed too often. Only failing attempts are throttled.
   */
  async function identify(c: Context<AuthEnv>): Promise<TokenInfo> {
    const known = c.get("token") as TokenInfo | undefined;
    if (known !== undefined) return known;
    const header = c.req.header("authorization");
    // A bearer token wins over a cookie; without either, nothing was guessed and nothing is counted.
    if (header === undefined || header.trim() === "") {
      const cookie = options.sessions === undefined ? undefined : getCookie(c, SESSION_COOKIE);
      if (cookie !== undefined && cookie !== "") return fromSession(c, cookie);
      c.header("WWW-Authenticate", CHALLENGE);
      throw new HearthError("AUTH_REQUIRED", "Authentication required: send Authorization: Bearer <token>");
    }
    const token = parseBearer(header);
    const info = token === undefined ? undefined : await store.verify(token);
    if (info !== undefined) {
      c.set("token", info);
      return info;
    }
    failed(c, token === undefined ? "Malformed Authorization header: expected Bearer <token>" : undefined);
  }

  /**
   * A session cookie: valid → the token it stands for (requests that change something must also pass
   * the CSRF guard); unknown, expired or revoked → 401 like a bad token (counted by the limiter, since
   * a cookie is as much a guess as a header), and the browser is told to drop the cookie.
   */
  async function fromSession(c: Context<AuthEnv>, id: string): Promise<TokenInfo> {
    const session = await options.sessions?.verify(id);
    if (session === undefined) {
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      failed(c, "Invalid or expired session: sign in again");
    }
    checkCsrf(c);
    c.set("token", session.token);
    c.set("session", session);
    return session.token;
  }

  /**
   * Cookies ride along on requests other sites make the browser send, so a request authenticated by
   * one that changes something must prove it came from Hearth's own page: it carries
   * `X-Hearth-CSRF: 1` (a header no cross-site form or image can set, and a cross-origin script cannot
   * without a preflight Hearth does not grant), and its `Origin` and `Sec-Fetch-Site`, when the browser
   * sends them, name this host.
   */
  function checkCsrf(c: Context): void {
    if (SAFE_METHODS.has(c.req.method)) return;
    if (c.req.header(CSRF_HEADER) !== "1") {
      throw new HearthError(
        "AUTH_CSRF",
        `A request with a session cookie that changes something needs the header ${CSRF_HEADER}: 1`,
        { data: { header: CSRF_HEADER } },
      );
    }
    const origin = c.req.header("origin");
    if (origin !== undefined) {
      let host: string | undefined;
      try {
        host = new URL(origin).host;
      } catch {
        host = undefined;
      }
      const own = (trustProxy ? c.req.header("x-forwarded-host") : undefined) ?? c.req.header("host");
      if (host === undefined || host !== own) {
        throw new HearthError("AUTH_CSRF", "The request's Origin is not this Hearth", {
          data: { origin: origin.slice(0, 200) },
        });
      }
    }
    const site = c.req.header("sec-fetch-site");
    if (site !== undefined && site !== "same-origin" && site !== "none") {
      throw new HearthError("AUTH_CSRF", "The request came from another site", { data: { site } });
    }
  }

  /** Answers a failed authentication: 429 while the address is throttled, else 401 (and counts it). */
  function failed(c: Context, message: string | undefined): never {
    const address = clientAddress(c);
    const waitMs = limiter.retryAfterMs(address);
    if (waitMs > 0) {
      const seconds = Math.max(1, Math.ceil(waitMs / 1000));
      c.header("Retry-After", String(seconds));
      throw new HearthError("AUTH_RATE_LIMITED", "Too many failed authentications; try again later", {
        data: { retryAfterSeconds: seconds },
      });
    }
    // Success never clears the count: a holder of one valid token could otherwise interleave it
    // with guesses at a stronger one.
    if (limiter.fail(address)) {
      log.warn(
        { address, windowMs: options.windowMs },
        "client blocked after repeated failed authentications",
      );
    } else {
      log.debug({ address }, "authentication failed");
    }
    c.header("WWW-Authenticate", `${CHALLENGE}, error="invalid_token"`);
    throw new HearthError("AUTH_INVALID_TOKEN", message ?? "Invalid or revoked token");
  }

  function require<E extends AuthEnv = AuthEnv>(scope: Scope): MiddlewareHandler<E> {
    if (!SCOPES.includes(scope)) {
      throw new HearthError("INVALID_ARGUMENT", `Unknown scope "${String(scope)}"`, { data: { scope } });
    }
    const check = (c: Context, info: TokenInfo) => {
      if (!hasScope(info.scopes, scope)) {
        c.header("WWW-Authenticate", `${CHALLENGE}, error="insufficient_scope", scope="${scope}"`);
        throw new HearthError("AUTH_FORBIDDEN", `This needs the "${scope}" scope`, {
          data: { required: scope, granted: info.scopes },
        });
      }
    };
    // Not `async`: behind `authenticate()` the token is known and only the scope is checked, on
    // every request of every route, without an async frame of its own.
    // Resolves to nothing, as an async middleware would: Hono takes a value a middleware resolves to
    // for the response when none was set.
    return (c, next) => {
      const known = (c as unknown as Context<AuthEnv>).get("token") as TokenInfo | undefined;
      if (known !== undefined) {
        check(c, known);
        return next().then(NOTHING);
      }
      return identify(c as unknown as Context<AuthEnv>).then((info) => {
        check(c, info);
        return next().then(NOTHING);
      });
    };
  }

  function authenticate<E extends AuthEnv = AuthEnv>(): MiddlewareHandler<E> {
    return (c, next) => identify(c as unknown as Context<AuthEnv>).then(() => next().then(NOTHING));
  }

  return { require, authenticate, clientAddress };
}
