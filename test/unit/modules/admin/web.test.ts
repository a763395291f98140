import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { gunzipSync } from "node:zlib";
import { cleanupDirs, type Harness, startHarness } from "./harness.ts";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => {
  await h.stop();
  cleanupDirs();
});

async function page() {
  const res = await h.request("/");
  const html = await res.text();
  const script = /<script[^>]+src="([^"]+)"/.exec(html)?.[1] ?? "";
  const style =
    /<link[^>]+rel="stylesheet"[^>]+href="([^"]+)"|<link[^>]+href="([^"]+)"[^>]+rel="stylesheet"/.exec(html);
  return { res, html, script, style: style?.[1] ?? style?.[2] ?? "" };
}

describe("the web page at /", () => {
  it("is public HTML with a CSP that allows only the page itself, and is revalidated (no-cache)", async () => {
    const { res, html } = await page();
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    expect(res.headers.get("content-security-policy")).toContain("default-src 'none'");
    expect(res.headers.get("content-security-policy")).toContain("frame-ancestors 'none'");
    expect(res.headers.get("x-content-type-options")).toBe("nosniff");
    expect(res.headers.get("cache-control")).toBe("no-cache");
    expect(html).toContain('<main id="main"');
  });

  it("serves its hashed script and stylesheet, cached for good", async () => {
    const { script, style } = await page();
    expect(script).toMatch(/^\/chunk-[A-Za-z0-9_-]+\.js$/);
    expect(style).toMatch(/^\/chunk-[A-Za-z0-9_-]+\.css$/);
    for (const [path, type] of [
      [script, "javascript"],
      [style, "text/css"],
    ] as const) {
      const res = await h.request(path);
      expect(res.status).toBe(200);
      expect(res.headers.get("content-type")).toContain(type);
      expect(res.headers.get("cache-control")).toContain("immutable");
    }
  });

  it("gzips when the browser accepts it", async () => {
    const { script } = await page();
    const plain = await (await h.request(script)).text();
    const res = await h.request(script, { headers: { "Accept-Encoding": "gzip, br" } });
    expect(res.headers.get("content-encoding")).toBe("gzip");
    expect(gunzipSync(new Uint8Array(await res.arrayBuffer())).toString()).toBe(plain);
  });

  it("answers 304 to a matching If-None-Match", async () => {
    const etag = (await h.request("/")).headers.get("etag") ?? "";
    expect(etag).not.toBe("");
    const res = await h.request("/", { headers: { "If-None-Match": etag } });
    expect(res.status).toBe(304);
  });

  it("answers 404 for a file the page does not have, and 405 for another method on /", async () => {
    expect((await h.request("/chunk-doesnotexist.js")).status).toBe(404);
    const res = await h.request("/", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toContain("GET");
  });
});

describe("the admin app's routes", () => {
  it("all fit Hono's RegExpRouter, so requests are not matched by the 3× slower trie router", async () => {
    const { RegExpRouter } = await import("hono/router/reg-exp-router");
    const router = new RegExpRouter<number>();
    for (const [i, r] of h.app.routes.entries()) router.add(r.method, r.path, i);
    // The router compiles on its first match and throws UnsupportedPathError for a set it cannot order.
    expect(() => router.match("GET", "/api/v1/state/a/b")).not.toThrow();
    const res = await h.request("/chunk-not-built.js");
    expect(res.status).toBe(404);
  });
});

describe("the web page's files with another method", () => {
  it("are 405 with Allow: GET, HEAD, as any other route", async () => {
    const res = await h.request("/chunk-abc.js", { method: "POST" });
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("GET, HEAD");
  });
});
