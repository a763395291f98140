/**
 * What the browser tests share: Debian's Chromium (no browser download), signing in through the page,
 * and axe-core's serious and critical findings. Needs /usr/bin/chromium (`apt-get install chromium`;
 * .ci/run installs it) or HEARTH_CHROMIUM.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { BrowserContext, Page } from "playwright-core";
import type { Running } from "../e2e/harness.ts";

export const CHROMIUM = process.env.HEARTH_CHROMIUM ?? "/usr/bin/chromium";
export const ROOT = join(import.meta.dir, "../..");
const AXE = readFileSync(join(ROOT, "node_modules/axe-core/axe.min.js"), "utf8");

export const chromiumAvailable = existsSync(CHROMIUM);
// Under CI (.ci/run installs chromium) a missing browser fails instead of skipping.
if (!chromiumAvailable && process.env.CI === "true") {
  throw new Error(`Chromium is required under CI (.ci/run installs it) but ${CHROMIUM} does not exist`);
}
if (!chromiumAvailable)
  console.warn(`browser tests skipped: no Chromium at ${CHROMIUM} (apt-get install chromium)`);

/** Opens the page in `context` and signs in with `token`; resolves once Home shows the living-room light. */
export async function signIn(h: Running, context: BrowserContext, token: string): Promise<Page> {
  const page = await context.newPage();
  await page.goto(h.url("/"));
  await page.getByLabel("API token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByRole("heading", { name: "Home", level: 1 }).waitFor();
  await page.getByRole("article", { name: "Living room light" }).waitFor();
  return page;
}

/** Serious and critical axe-core findings on the page as it is now (the context needs `bypassCSP`). */
export async function axeFindings(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  // Evaluated in the page (DOM code as text: the tests are typed without the DOM library).
  const violations = (await page.evaluate(
    `axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations)`,
  )) as { id: string; impact: string; help: string; nodes: { target: string[] }[] }[];
  return violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(" ")).join(", ")})`);
}
