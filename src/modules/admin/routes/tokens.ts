/** API tokens (admin): create (the secret is shown once), list (never the secret), revoke. */
import { HearthError } from "../../../errors.ts";
import { json, secured } from "../openapi.ts";
import { CreatedTokenSchema, CreateTokenBody, TokenIdParams, TokensQuery, TokensSchema } from "../schemas.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

export function tokenRoutes(app: AdminApp, deps: RouteDeps): void {
  const { auth, tokens, sessions } = deps;

  app.openapi(
    secured(auth, "admin", {
      method: "get",
      path: "/api/v1/tokens",
      operationId: "listTokens",
      tags: ["tokens"],
      summary: "Tokens (names, scopes, dates; never the secret), a page at a time",
      description:
        "Oldest first. Without `limit` a page holds up to 1000 tokens (so with the default " +
        "`http.maxTokens` every token comes in one response); `next` is the cursor of the next page, " +
        "null on the last one.",
      request: { query: TokensQuery },
      errors: [422],
      responses: { 200: json(TokensSchema, "A page of tokens") },
    }),
    async (c) => {
      const { limit, cursor } = c.req.valid("query");
      return c.json(await tokens.page({ limit, cursor }), 200);
    },
  );

  app.openapi(
    secured(auth, "admin", {
      method: "post",
      path: "/api/v1/tokens",
      operationId: "createToken",
      tags: ["tokens"],
      summary: "Creates a token; the response is the only time its secret is shown",
      request: { body: { required: true, content: { "application/json": { schema: CreateTokenBody } } } },
      errors: [400, 409, 415, 422],
      responses: {
        201: {
          ...json(CreatedTokenSchema, "The token and its info"),
          links: {
            revokeToken: {
              operationId: "revokeToken",
              parameters: { id: "$response.body#/info/id" },
              description: "`info.id` is the `id` that revokes this token.",
            },
          },
        },
      },
    }),
    async (c) => {
      // The token store logs the creation (id, name, scopes), and the audit line who asked for it.
      const created = await tokens.create(c.req.valid("json"));
      return c.json(created, 201);
    },
  );

  app.openapi(
    secured(auth, "admin", {
      method: "delete",
      path: "/api/v1/tokens/{id}",
      operationId: "revokeToken",
      tags: ["tokens"],
      summary: "Revokes a token (and ends its web sessions); it is refused from the next request on",
      request: { params: TokenIdParams },
      errors: [404, 422],
      responses: { 204: { description: "Revoked" } },
    }),
    async (c) => {
      const { id } = c.req.valid("param");
      if (!(await tokens.revoke(id))) {
        throw new HearthError("AUTH_TOKEN_NOT_FOUND", `No token "${id}"`, { data: { id } });
      }
      // Its sessions would fail on their next use anyway; removing them now keeps nothing stale stored.
      await sessions.endForToken(id);
      return c.body(null, 204);
    },
  );
}
