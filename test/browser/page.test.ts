/**
 * The web page in a real browser (issue 17): Debian's Chromium driven by playwright-core (no browser
 * download) against the compiled binary running the demo house, with a short demo interval so sensors
 * report often and a command delay long enough to see a command pending. Screenshots of Home (desktop,
 * light; phone, dark) are saved (see SHOTS).
 *
 * Needs /usr/bin/chromium (`apt-get install chromium`; .ci/run installs it) or HEARTH_CHROMIUM.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { hearthBinary, type Running, startHearth, tempDir } from "../e2e/harness.ts";
import { axeFindings, CHROMIUM, chromiumAvailable, ROOT, signIn as signInTo } from "./browser-harness.ts";

// The callbacks given to page.evaluate() run in the browser; the test is typed without the DOM library.
// biome-ignore lint/suspicious/noExplicitAny: browser globals, only used inside page.evaluate()
declare const document: any;
declare function getComputedStyle(element: unknown): { backgroundColor: string };
declare const location: { href: string };

/**
 * Screenshots go to dist/screenshots (ignored by git) on every run, and to docs/screenshots (the
 * README's) with HEARTH_UPDATE_SCREENSHOTS=1: a test run must not leave the work tree changed.
 */
const SHOTS = join(
  ROOT,
  process.env.HEARTH_UPDATE_SCREENSHOTS === "1" ? "docs/screenshots" : "dist/screenshots",
);
/** How long the demo's simulated devices take to carry out a command. */
const COMMAND_DELAY_MS = 1200;

let dir: string;
let h: Running;
let browser: Browser;
let admin: string;
let adminContext: BrowserContext;
let home: Page;

const signIn = (context: BrowserContext, token: string): Promise<Page> => signInTo(h, context, token);

const api = (path: string, init: RequestInit = {}, token = admin) =>
  fetch(h.url(path), { ...init, headers: { Authorization: `Bearer ${token}`, ...init.headers } });

describe.skipIf(!chromiumAvailable)("the web page in Chromium", () => {
  beforeAll(async () => {
    const bin = await hearthBinary();
    dir = tempDir("browser");
    const config = join(dir, "hearth.json");
    writeFileSync(
      config,
      JSON.stringify({
        plugins: {
          demo: {
            config: {
              intervalMs: 400,
              commandDelayMs: COMMAND_DELAY_MS,
              motionChance: 0,
              doorChance: 0,
              buttonChance: 0,
            },
          },
        },
      }),
    );
    h = await startHearth(bin, { args: ["--config", config, "--data-dir", join(dir, "data")] });
    admin = readFileSync(join(dir, "data", "admin.token"), "utf8").trim();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox"] });
    adminContext = await browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme: "light" });
    home = await signIn(adminContext, admin);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    h?.proc.kill("SIGTERM");
    await h?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const T = 30_000;

  it(
    "signs in with the bootstrap token into an HttpOnly session: no token in storage, script or URL",
    async () => {
      const cookies = await adminContext.cookies();
      const session = cookies.find((c) => c.name === "hearth_session");
      expect(session).toEqual(expect.objectContaining({ httpOnly: true, sameSite: "Strict", path: "/" }));
      expect(session?.value).not.toContain(admin);
      const seen = await home.evaluate(() => ({
        cookie: document.cookie,
        local: JSON.stringify(localStorage),
        session: JSON.stringify(sessionStorage),
        url: location.href,
        field: document.getElementById("token")?.value ?? "",
      }));
      expect(seen.cookie).not.toContain("hearth_session");
      for (const text of Object.values(seen)) expect(text).not.toContain(admin);
    },
    T,
  );

  it(
    "toggles the living-room light: pending at first, the card changes only once the device reports",
    async () => {
      const light = home.getByRole("switch", { name: "Living room light", exact: true });
      await expect(light.getAttribute("aria-checked")).resolves.toBe("false");
      await light.click();
      const card = home.getByRole("article", { name: "Living room light" });
      // The command was acknowledged (pending shown) while the device has not carried it out yet.
      await card.getByText("(pending)").waitFor();
      expect(await light.getAttribute("aria-checked")).toBe("false");
      // The demo reports after its delay; the event stream brings the change to the card.
      await home.waitForFunction(
        () =>
          document.querySelector('#dev-demo-light [role="switch"]')?.getAttribute("aria-checked") === "true",
        undefined,
        { timeout: COMMAND_DELAY_MS + 5000 },
      );
      expect(await card.getByText("(pending)").count()).toBe(0);
      const device = (await (await api("/api/v1/devices/demo-light")).json()) as {
        state: { reported: { on_off: boolean } };
      };
      expect(device.state.reported.on_off).toBe(true);
    },
    T,
  );

  it(
    "shows a sensor's new value when the demo reports it, without a reload",
    async () => {
      const read = () =>
        home.evaluate(() =>
          ["temperature", "humidity"]
            .map((c) => document.getElementById(`val-demo-climate-${c}`)?.textContent)
            .join(" "),
        );
      const before = await read();
      expect(before).toMatch(/°C/);
      await home.waitForFunction(
        (was) =>
          ["temperature", "humidity"]
            .map((c) => document.getElementById(`val-demo-climate-${c}`)?.textContent)
            .join(" ") !== was,
        before,
        { timeout: 15_000 },
      );
      expect(await read()).not.toBe(before);
    },
    T,
  );

  it(
    "gives a read-only session no controls",
    async () => {
      const res = await api("/api/v1/tokens", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ name: "browser-read", scopes: ["read"] }),
      });
      const { token } = (await res.json()) as { token: string };
      const context = await browser.newContext();
      const page = await signIn(context, token);
      await page.getByText("with the read scope: no controls").waitFor();
      expect(await page.getByRole("switch").count()).toBe(0);
      expect(await page.getByRole("slider").count()).toBe(0);
      expect(await page.getByRole("button", { name: /^All (on|off)/ }).count()).toBe(0);
      // The values are still shown.
      expect(await page.locator("#val-demo-light-on_off").textContent()).toMatch(/^(on|off)$/);
      await page.goto(h.url("/#/system"));
      await page.getByRole("heading", { name: "Plugins" }).waitFor();
      expect(await page.getByRole("heading", { name: "Tokens" }).count()).toBe(0);
      expect(await page.getByRole("button", { name: /^(Reload|Disable)/ }).count()).toBe(0);
      await context.close();
    },
    T,
  );

  it(
    "creates a token (shown once) and revokes it on the System page",
    async () => {
      await home.goto(h.url("/#/system"));
      await home.getByRole("heading", { name: "Tokens" }).waitFor();
      await home.getByLabel("Name", { exact: true }).fill("browser-made");
      await home.getByLabel("Scope").selectOption("control");
      await home.getByRole("button", { name: "Create token" }).click();
      const shown = home.getByLabel("New token browser-made");
      await shown.waitFor();
      const token = await shown.inputValue();
      expect(token).toMatch(/^hth_/);
      expect((await api("/api/v1/session", {}, token)).status).toBe(200);
      await home.getByRole("button", { name: "Revoke browser-made" }).click();
      await home.getByText("Token browser-made revoked.").waitFor();
      // The list is fetched again after the revoke: wait for the row to go (fails at the timeout).
      await home.getByRole("button", { name: "Revoke browser-made" }).waitFor({ state: "detached" });
      expect((await api("/api/v1/session", {}, token)).status).toBe(401);
    },
    T,
  );

  it("has no serious or critical axe-core findings on sign-in, Home, a device, System, Automations and People", async () => {
    const context = await browser.newContext({ bypassCSP: true });
    const page = await context.newPage();
    await page.goto(h.url("/"));
    await page.getByLabel("API token").waitFor();
    const findings = await axeFindings(page);
    await page.getByLabel("API token").fill(admin);
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByRole("article", { name: "Living room light" }).waitFor();
    findings.push(...(await axeFindings(page)));
    for (const [hash, heading] of [
      ["#/device/demo-light", "Living room light"],
      ["#/system", "System"],
      ["#/automations", "Automations"],
      ["#/people", "People"],
    ] as const) {
      await page.goto(h.url(`/${hash}`));
      await page.getByRole("heading", { name: heading, level: 1 }).waitFor();
      findings.push(...(await axeFindings(page)).map((f) => `${hash}: ${f}`));
    }
    await context.close();
    expect(findings).toEqual([]);
  }, 60_000);

  it(
    "fits a 360 px phone and follows the system's dark preference; screenshots for the README",
    async () => {
      mkdirSync(SHOTS, { recursive: true });
      await home.goto(h.url("/#/"));
      await home.getByRole("article", { name: "Living room light" }).waitFor();
      await home.screenshot({ path: join(SHOTS, "home-desktop.png"), fullPage: true });

      const phone = await browser.newContext({
        viewport: { width: 360, height: 740 },
        deviceScaleFactor: 2,
        isMobile: true,
        hasTouch: true,
        colorScheme: "dark",
      });
      const page = await signIn(phone, admin);
      const layout = await page.evaluate(() => ({
        width: document.documentElement.scrollWidth,
        background: getComputedStyle(document.body).backgroundColor,
      }));
      expect(layout.width).toBeLessThanOrEqual(360);
      expect(layout.background).toBe("rgb(21, 21, 21)");
      await page.screenshot({ path: join(SHOTS, "home-phone.png"), fullPage: true });
      await phone.close();
    },
    T,
  );
});
