/**
 * The Automations and People pages in Chromium against the compiled binary with the demo house:
 * a rule made and edited in the JSON editor (a 422 shown at its path), a dry run that changes
 * nothing, a run's trace step by step; a person reported home over the API seen live, an override with
 * an expiry set and cleared from the page; axe-core on those states; no controls for a read session.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { hearthBinary, type Running, startHearth, tempDir } from "../e2e/harness.ts";
import { axeFindings, CHROMIUM, chromiumAvailable, signIn } from "./browser-harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const RULE = {
  id: "porch-dim",
  name: "Porch dim",
  triggers: [{ type: "event", event: "house.dusk" }],
  conditions: [{ type: "device", device: "demo-light", capability: "on_off", available: true }],
  actions: [
    { type: "device_command", device: "demo-light", changes: { brightness: 17 } },
    { type: "publish", event: "house.dimmed", payload: { level: 17 } },
  ],
};

let dir: string;
let h: Running;
let browser: Browser;
let admin: string;
let context: BrowserContext;
let page: Page;
/** axe-core findings collected in the states the tests reach (checked by the last but one test). */
const findings: string[] = [];

const api = async (path: string, init: { method?: string; body?: unknown; token?: string } = {}) => {
  const res = await fetch(h.url(path), {
    method: init.method ?? "GET",
    headers: { Authorization: `Bearer ${init.token ?? admin}`, "Content-Type": "application/json" },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
  });
  return { status: res.status, body: (res.status === 204 ? undefined : await res.json()) as Json };
};
const axe = async (state: string) => findings.push(...(await axeFindings(page)).map((f) => `${state}: ${f}`));
const editor = () => page.getByLabel("Rule (JSON)");

describe.skipIf(!chromiumAvailable)("Automations and People in Chromium", () => {
  beforeAll(async () => {
    const bin = await hearthBinary();
    dir = tempDir("browser-rules");
    const config = join(dir, "hearth.json");
    writeFileSync(
      config,
      JSON.stringify({
        plugins: {
          demo: {
            config: {
              intervalMs: 60_000,
              commandDelayMs: 100,
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
    // bypassCSP lets axe-core be injected; the page itself is the same.
    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, bypassCSP: true });
    page = await signIn(h, context, admin);
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    h?.proc.kill("SIGTERM");
    await h?.exited;
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const T = 30_000;

  it(
    "creates a rule in the JSON editor, and shows an invalid edit's 422 at its path in the text",
    async () => {
      await page.goto(h.url("/#/automations"));
      await page.getByText("No rules yet.").waitFor();
      await editor().fill(JSON.stringify(RULE, null, 2));
      await page.getByRole("button", { name: "Save rule" }).click();
      await page.getByText("Saved Porch dim (porch-dim).").waitFor();
      const card = page.getByRole("article", { name: "Porch dim" });
      await card.getByText("last run never").waitFor();
      expect((await api("/api/v1/automations/porch-dim")).body.actions).toEqual(RULE.actions);

      // An edit that publishes into the device domain: refused, and the issue points into the text.
      await card.getByRole("button", { name: "Edit Porch dim" }).click();
      const text = await editor().inputValue();
      expect(JSON.parse(text)).not.toHaveProperty("problems");
      await editor().fill(text.replace('"house.dimmed"', '"device.dimmed"'));
      await page.getByRole("button", { name: "Save rule" }).click();
      const issues = page.getByRole("list", { name: "Problems in the rule" });
      await issues.waitFor();
      const line = text.split("\n").findIndex((l) => l.includes('"house.dimmed"')) + 1;
      expect(await issues.textContent()).toContain(`actions[1].event (line ${line}): events of the kernel`);
      expect(await editor().getAttribute("aria-invalid")).toBe("true");
      // The offending value is selected in the editor.
      const selected = await editor().evaluate(
        (el: { value: string; selectionStart: number; selectionEnd: number }) =>
          el.value.slice(el.selectionStart, el.selectionEnd),
      );
      expect(selected).toBe('"device.dimmed"');
      await axe("#/automations with a 422");
      expect((await api("/api/v1/automations/porch-dim")).body.actions[1].event).toBe("house.dimmed");

      // Fixed, the same edit is a replace of the rule.
      await editor().fill(text.replace('"level": 17', '"level": 18'));
      await page.getByRole("button", { name: "Save rule" }).click();
      await page.getByText("Saved Porch dim (porch-dim).").waitFor();
      expect(await editor().getAttribute("aria-invalid")).toBeNull();
      expect((await api("/api/v1/automations/porch-dim")).body.actions[1].payload).toEqual({ level: 18 });
    },
    T,
  );

  it(
    "dry runs a rule from the page: the trace shows simulated steps, and nothing changes",
    async () => {
      const before = (await api("/api/v1/devices/demo-light")).body.state;
      expect(before.reported.brightness).not.toBe(17);
      await page.getByRole("button", { name: "Dry run Porch dim" }).click();
      await page.getByRole("heading", { name: "Dry run of Porch dim" }).waitFor();
      const trace = page.getByRole("article", { name: /^Dry run / });
      expect(await trace.getByRole("list", { name: "Conditions" }).textContent()).toContain(
        "conditions[0] device: held",
      );
      const steps = trace.getByRole("list", { name: "Steps" });
      expect(await steps.textContent()).toContain("actions[0] device_command: simulated");
      expect(await steps.textContent()).toContain('{"device":"demo-light","changes":{"brightness":17}}');
      expect(await steps.textContent()).toContain("actions[1] publish: simulated");

      // An unsaved variant whose condition fails: the trace names the condition, and no action ran.
      const rule = JSON.parse(await editor().inputValue());
      rule.conditions = [...rule.conditions, { type: "template", value: "{{ 1 > 2 }}" }];
      await editor().fill(JSON.stringify(rule, null, 2));
      await page.getByRole("button", { name: "Dry run this rule" }).click();
      await page.getByText("Stopped at condition conditions[1] (template)").waitFor();
      await page.getByText("No action ran.").waitFor();
      await axe("#/automations with a dry run");

      const after = (await api("/api/v1/devices/demo-light")).body.state;
      expect(after).toEqual(before);
      expect((await api("/api/v1/automations/porch-dim/runs")).body.runs).toEqual([]);
      expect((await api("/api/v1/automations/porch-dim")).body.lastRun).toBeNull();
    },
    T,
  );

  it(
    "runs a rule now and shows its trace step by step, and the list its last run",
    async () => {
      await page.getByRole("button", { name: "Run Porch dim now" }).click();
      await page.getByRole("heading", { name: "Runs of Porch dim" }).waitFor();
      // The trace arrives when the run ends (automation.finished on the event stream).
      const trace = page.getByRole("article", { name: /^Run / }).first();
      await trace.getByText("finished", { exact: true }).waitFor();
      expect(await trace.getByText("Trigger: manual").count()).toBe(1);
      const steps = await trace.getByRole("list", { name: "Steps" }).textContent();
      expect(steps).toContain("actions[0] device_command: ok");
      expect(steps).toContain("actions[1] publish: ok");
      await page.getByRole("article", { name: "Porch dim" }).getByText("finished").waitFor();
      const runs = (await api("/api/v1/automations/porch-dim/runs")).body.runs;
      expect(runs.map((r: Json) => r.status)).toEqual(["finished"]);
      await axe("#/automations with a run");
    },
    T,
  );

  it(
    "shows a person reported home live, sets an override with an expiry from the page and clears it",
    async () => {
      const created = await api("/api/v1/people", {
        method: "POST",
        body: { name: "Anna", trackers: [{ type: "source", name: "anna-phone" }] },
      });
      expect(created.status).toBe(201);
      await page.goto(h.url("/#/people"));
      const card = page.getByRole("article", { name: "Anna" });
      const badge = (text: string) =>
        page.locator("#presence-anna", { hasText: new RegExp(`^${text}$`) }).waitFor();
      await badge("away");
      await card.getByText("source:anna-phone — says away, no report").waitFor();

      // A phone's webhook reports home; the page follows the presence events without a reload.
      const report = await api("/api/v1/presence/report", {
        method: "POST",
        body: { tracker: "anna-phone", home: true },
      });
      expect(report.body.people).toEqual([{ id: "anna", home: true }]);
      await badge("home");
      await page.getByText("Home: Anna.").waitFor();
      await card.getByText(/source:anna-phone — says home, reported/).waitFor();

      // Away for 4 hours, whatever the phone says.
      await card.getByLabel("Mark Anna").selectOption("away");
      await card.getByLabel("for how long", { exact: true }).selectOption({ label: "4 hours" });
      const asked = Date.now();
      await card.getByRole("button", { name: "Set override for Anna" }).click();
      await card.getByText(/^Override: away until /).waitFor();
      await badge("away");
      const person = (await api("/api/v1/people/anna")).body;
      expect(person.home).toBe(false);
      expect(person.override.home).toBe(false);
      expect(person.override.untilMs).toBeGreaterThanOrEqual(asked + 4 * 3_600_000 - 1000);
      expect(person.override.untilMs).toBeLessThan(Date.now() + 4 * 3_600_000 + 1000);
      await axe("#/people with an override");

      await card.getByRole("button", { name: "Clear override for Anna" }).click();
      await card.getByText(/^Override:/).waitFor({ state: "detached" });
      await badge("home");
      expect((await api("/api/v1/people/anna")).body.override).toBeNull();
    },
    T,
  );

  it(
    "adds a person with a source tracker from the page (admin)",
    async () => {
      await page.getByLabel("Name", { exact: true }).fill("Ben");
      await page.getByLabel("Source trackers (names, comma separated)").fill("ben-phone");
      await page.getByRole("button", { name: "Add person" }).click();
      await page.getByText("Added Ben (ben).").waitFor();
      await page.getByRole("article", { name: "Ben" }).getByText("source:ben-phone").waitFor();
      expect((await api("/api/v1/people/ben")).body.trackers).toHaveProperty("source:ben-phone");
    },
    T,
  );

  it("has no serious or critical axe-core findings in the states above", () => {
    expect(findings).toEqual([]);
  });

  it(
    "gives a read-only session no rule or override controls",
    async () => {
      const { token } = (
        await api("/api/v1/tokens", { method: "POST", body: { name: "rules-read", scopes: ["read"] } })
      ).body;
      const reader = await browser.newContext();
      const p = await signIn(h, reader, token);
      await p.goto(h.url("/#/automations"));
      await p.getByRole("article", { name: "Porch dim" }).getByText("enabled").waitFor();
      expect(await p.getByRole("switch").count()).toBe(0);
      expect(await p.getByRole("button", { name: /^(Run|Dry run|Edit|Delete) / }).count()).toBe(0);
      expect(await p.getByRole("textbox").count()).toBe(0);
      expect(await p.getByRole("button", { name: "Save rule" }).count()).toBe(0);
      // Reading traces is allowed.
      await p.getByRole("button", { name: "Runs of Porch dim" }).click();
      await p.getByRole("article", { name: /^Run / }).first().waitFor();

      await p.goto(h.url("/#/people"));
      await p.getByRole("article", { name: "Anna" }).waitFor();
      expect(await p.getByRole("combobox").count()).toBe(0);
      expect(await p.getByRole("button", { name: /override|Remove|Add person/ }).count()).toBe(0);
      await reader.close();
    },
    T,
  );
});
