/** Live bus events (read) as Server-Sent Events, bounded per token and in all. */
import { getCookie } from "hono/cookie";
import { HearthError } from "../../../errors.ts";
import { hasScope } from "../../../kernel/http/scopes.ts";
import { SESSION_COOKIE } from "../auth/session-store.ts";
import { errorResponse, secured } from "../openapi.ts";
import { EventsQuery } from "../schemas.ts";
import { eventStream } from "../sse.ts";
import type { AdminApp, RouteDeps } from "./deps.ts";

export function eventRoutes(app: AdminApp, deps: RouteDeps): void {
  app.openapi(
    secured(deps.auth, "read", {
      method: "get",
      path: "/api/v1/events/stream",
      operationId: "streamEvents",
      tags: ["events"],
      summary: "Bus events as Server-Sent Events",
      description:
        'Each event is `event: <type>`, `id: <seq>`, `data: {"type","seq","ts","payload"}`. A comment line ' +
        "(`: heartbeat`) is sent every 15 s; the subscription ends when the client disconnects. At most " +
        "`http.maxEventStreamsPerToken` streams per token and `http.maxEventStreams` in all are open at " +
        "once: one more gets 429 `HTTP_TOO_MANY_STREAMS` with `Retry-After`.",
      request: { query: EventsQuery },
      errors: [400, 422],
      responses: {
        429: errorResponse(
          429,
          "Too many failed authentications from this address, or too many open event streams (for " +
            "this token or in total); wait `Retry-After` seconds",
        ),
        200: {
          description: "An endless `text/event-stream`",
          content: { "text/event-stream": { schema: { type: "string" } } },
        },
      },
    }),
    (c) => {
      const { pattern = "*" } = c.req.valid("query");
      // HEAD answers headers only and holds nothing, so it takes no slot.
      let release: (() => void) | undefined;
      if (c.req.method !== "HEAD") {
        try {
          release = deps.streams.acquire(c.var.token.id);
        } catch (err) {
          const seconds =
            err instanceof HearthError
              ? (err.data as { retryAfterSeconds?: number })?.retryAfterSeconds
              : undefined;
          if (seconds !== undefined) c.header("Retry-After", String(seconds));
          throw err;
        }
      }
      // Bun closes connections idle for 10 s by default; this one is meant to stay open.
      c.env?.server?.timeout(c.req.raw, 0);
      // Checked again at every heartbeat: a revoked token, an ended or expired session, or a scope
      // taken away closes the stream (it would otherwise hear every event for as long as it stays).
      const tokenId = c.var.token.id;
      const sessionId = c.var.session === undefined ? undefined : getCookie(c, SESSION_COOKIE);
      const stillAllowed = async (): Promise<boolean> => {
        const now =
          sessionId !== undefined
            ? (await deps.sessions.verify(sessionId))?.token
            : await deps.tokens.get(tokenId);
        return now !== undefined && hasScope(now.scopes, "read");
      };
      return eventStream(c, {
        bus: deps.kernel.bus,
        pattern,
        heartbeatMs: deps.sseHeartbeatMs,
        log: deps.log,
        release,
        stillAllowed,
      });
    },
  );
}
