/**
 * The web page (src/web) at `/` and its hashed script and stylesheet, served from the executable on
 * request (gzipped when the browser takes it, with ETags; the hashed files cached for good). Public:
 * the page holds nothing until the user signs in through the API. Not in the OpenAPI document (it is
 * not part of the API).
 */
import type { Context } from "hono";
import { webAsset } from "../../../web/index.ts";
import { routeNotFound } from "../errors.ts";
import type { AdminApp } from "./deps.ts";

/** What the page may load and talk to: itself only. The CSP as a header also forbids framing. */
const PAGE_HEADERS = {
  "Content-Security-Policy":
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; " +
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'",
  "X-Content-Type-Options": "nosniff",
  "Referrer-Policy": "no-referrer",
  "X-Frame-Options": "DENY",
};

async function serve(c: Context, path: string): Promise<Response> {
  const file = await webAsset(path);
  if (file === undefined) throw routeNotFound(c.req.method, c.req.path);
  const headers: Record<string, string> = {
    ...PAGE_HEADERS,
    "Content-Type": file.type,
    ETag: file.etag,
    "Cache-Control": file.immutable ? "public, max-age=31536000, immutable" : "no-cache",
    Vary: "Accept-Encoding",
  };
  if (c.req.header("if-none-match") === file.etag) return c.body(null, 304, headers);
  if (/\bgzip\b/.test(c.req.header("accept-encoding") ?? "")) {
    return c.body(await file.gzipped(), 200, { ...headers, "Content-Encoding": "gzip" });
  }
  return c.body(await file.bytes(), 200, headers);
}

export function webRoutes(app: AdminApp): void {
  app.get("/", (c) => serve(c, "/"));
  // A prefix, not a parameter: with a parameter at the root Hono's RegExpRouter (3× faster at
  // matching than the trie router it falls back to) cannot order the routes, and every request of the
  // API paid for the trie. Only files the build produced exist; any other name is a 404 in serve().
  app.get("/chunk-*", (c) => serve(c, c.req.path));
}
