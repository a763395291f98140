import { describe, expect, it } from "bun:test";
import { measureWebAssets, WEB_BUDGET_GZIP_BYTES } from "../../../scripts/web-assets.ts";

describe("the web page's assets", () => {
  it("bundle into one HTML file, one script and one stylesheet, with no external reference", async () => {
    const m = await measureWebAssets();
    const kinds = m.assets.map((a) => a.path.split(".").pop()).sort();
    expect(kinds).toEqual(["css", "html", "js"]);
  });

  it(`stay under the budget of ${WEB_BUDGET_GZIP_BYTES / 1024} KB gzip in total`, async () => {
    const m = await measureWebAssets();
    expect(m.totalGzipBytes).toBeLessThan(WEB_BUDGET_GZIP_BYTES);
  });

  it("load nothing from another origin (no CDN, no web fonts)", async () => {
    const html = await Bun.file(`${import.meta.dir}/../../../src/web/index.html`).text();
    const css = await Bun.file(`${import.meta.dir}/../../../src/web/style.css`).text();
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(css).not.toMatch(/@import|url\(\s*["']?(https?:)?\/\//);
    expect(css).not.toContain("@font-face");
  });
});
