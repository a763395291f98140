/**
 * Web-page sessions: a token is exchanged once for an HttpOnly, SameSite=Strict cookie, so the page
 * never keeps the token itself (no localStorage, no URL). The cookie is then accepted like the token
 * (same scopes); requests with it that change something pass the CSRF guard of the auth middleware.
 */
import { z } from "@hono/zod-openapi";
import type { Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { HearthError } from "../../../errors.ts";
import { SCOPES, SESSION_COOKIE, type SessionStore } from "../auth/index.ts";
import { json, secured } from "../openapi.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

export const SessionSchema = z
  .object({
    tokenId: z.string().openapi({ description: "The id of the token the caller acts as." }),
    tokenName: z.string(),
    scopes: z.array(z.enum(SCOPES)),
    via: z.enum(["bearer", "session"]).openapi({ description: "How this request was authenticated." }),
    expiresAt: z
      .string()
      .nullable()
      .openapi({ description: "When the session ends (ISO 8601); null for a bearer token." }),
  })
  .openapi("Session");

/** Secure only over HTTPS (directly, or behind a trusted proxy that says so): a LAN hub is often plain HTTP. */
function isHttps(c: Context, trustProxy: boolean): boolean {
  if (new URL(c.req.url).protocol === "https:") return true;
  return trustProxy && c.req.header("x-forwarded-proto")?.split(",")[0]?.trim() === "https";
}

export function sessionRoutes(app: AdminApp, deps: RouteDeps, sessions: SessionStore): void {
  const { auth, config } = deps;

  app.openapi(
    secured(auth, "read", {
      method: "post",
      path: "/api/v1/session",
      operationId: "createSession",
      tags: ["session"],
      summary: "Exchanges the bearer token for a session cookie (the web page's sign-in)",
      description:
        "Send the token as `Authorization: Bearer <token>`; the answer sets the cookie " +
        `\`${SESSION_COOKIE}\` (HttpOnly, SameSite=Strict, Path=/, Max-Age \`http.sessionTtlMs\`). ` +
        "The session has the token's scopes, ends when it expires, on `DELETE /api/v1/session`, or when " +
        "the token is revoked. A session cannot make another session (403).",
      responses: {
        201: {
          ...json(SessionSchema, "Signed in; the cookie is set"),
          headers: {
            "Set-Cookie": { description: "The session cookie.", schema: { type: "string" } },
          },
        },
      },
    }),
    async (c) => {
      if (c.var.session !== undefined) {
        throw new HearthError(
          "AUTH_FORBIDDEN",
          "A session is made from a token: send Authorization: Bearer <token>",
        );
      }
      const token = c.var.token;
      const { id, expiresAt } = await sessions.create(token);
      setCookie(c, SESSION_COOKIE, id, {
        httpOnly: true,
        sameSite: "Strict",
        path: "/",
        secure: isHttps(c, config.http.trustProxy),
        maxAge: Math.floor(sessions.ttlMs / 1000),
      });
      return c.json(
        {
          tokenId: token.id,
          tokenName: token.name,
          scopes: token.scopes,
          via: "session" as const,
          expiresAt,
        },
        201,
      );
    },
  );

  app.openapi(
    secured(auth, "read", {
      method: "get",
      path: "/api/v1/session",
      operationId: "getSession",
      tags: ["session"],
      summary: "Who the caller is: the token's name and scopes, and how it signed in",
      responses: { 200: json(SessionSchema, "The caller") },
    }),
    (c) => {
      const { token, session } = c.var;
      return c.json(
        {
          tokenId: token.id,
          tokenName: token.name,
          scopes: token.scopes,
          via: session === undefined ? ("bearer" as const) : ("session" as const),
          expiresAt: session?.expiresAt ?? null,
        },
        200,
      );
    },
  );

  app.openapi(
    secured(auth, "read", {
      method: "delete",
      path: "/api/v1/session",
      operationId: "deleteSession",
      tags: ["session"],
      summary: "Signs out: ends the session of the cookie sent and clears the cookie",
      description: "With a bearer token and no cookie there is nothing to end; the answer is still 204.",
      responses: { 204: { description: "Signed out" } },
    }),
    async (c) => {
      const id = getCookie(c, SESSION_COOKIE);
      if (id !== undefined && c.var.session !== undefined) await sessions.end(id);
      deleteCookie(c, SESSION_COOKIE, { path: "/" });
      return c.body(null, 204);
    },
  );
}
