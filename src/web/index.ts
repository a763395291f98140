/**
 * The web page, served at `/` on the API's port. `index.html` is a Bun HTML import: `bun build
 * --compile` bundles it with its script and stylesheet and embeds them in the executable; Bun.serve
 * serves them from there on request (nothing is built or read at start-up). Under `bun run` Bun bundles
 * the page on its first request instead. The page's code is in `client/` (plain DOM, no framework).
 */
import index from "./index.html";

/** `Bun.serve` routes of the page: `/` and, through the bundle, its hashed script and stylesheet. */
export function webRoutes(): Record<string, Bun.HTMLBundle> {
  return { "/": index };
}
