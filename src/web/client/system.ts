/**
 * System: health with per-component checks, version and uptime, plugins (reload / enable / disable),
 * integrations, tokens (create — shown once — and revoke), and a live event tail by pattern.
 */
import { type ApiError, api, can, get, type Me, post } from "./api.ts";
import { type Child, h, replace } from "./dom.ts";
import { ago, duration } from "./format.ts";
import { type Stream, subscribe } from "./live.ts";
import { attempt, page } from "./ui.ts";

interface Check {
  status: string;
  detail?: string;
  modules?: Record<string, Check>;
  plugins?: Record<string, Check>;
}
interface Health {
  status: string;
  phase: string;
  uptimeMs: number;
  checks: Record<string, Check>;
}
interface Runtime {
  version: { version: string; commit: string; bun: string; target: string };
  phase: string;
  uptimeMs: number;
}
interface Plugin {
  name: string;
  version: string;
  description?: string;
  state: string;
  enabled: boolean;
  isIntegration: boolean;
  error?: { code?: string; message: string };
  health?: { status: string; reason?: string };
}
interface Integration {
  name: string;
  version: string;
  status: string;
  error?: { code?: string; message: string };
  updatedAt: string;
}
interface Token {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  lastUsedAt?: string;
}

const TAIL_MAX = 100;

export async function systemPage(me: Me, onLeave: (fn: () => void) => void): Promise<void> {
  const admin = can(me, "admin");
  const root = page("System", h("p", { class: "hint" }, "Loading…"));
  const healthBox = h("div");
  const pluginBox = h("div", { class: "scroll" });
  const integrationBox = h("div", { class: "scroll" });
  const tokenBox = h("div");

  async function drawHealth(): Promise<void> {
    const [rt, health] = await Promise.all([
      get<Runtime>("/api/v1/runtime"),
      get<Health>("/health/ready").catch(
        (err: ApiError) => (err.data as Health | undefined) ?? Promise.reject(err),
      ),
    ]);
    const rows: Child[] = [];
    for (const [name, check] of Object.entries(health.checks)) {
      rows.push(checkRow(name, check));
      for (const [sub, c] of Object.entries(check.modules ?? check.plugins ?? {}))
        rows.push(checkRow(`${name} › ${sub}`, c));
    }
    replace(
      healthBox,
      h(
        "p",
        null,
        h("span", { class: `badge ${health.status === "healthy" ? "ok" : "bad"}` }, health.status),
        ` Hearth ${rt.version.version} (commit ${rt.version.commit}, Bun ${rt.version.bun}, ${rt.version.target}) · ${rt.phase} · up ${duration(rt.uptimeMs / 1000)}`,
      ),
      h(
        "div",
        { class: "scroll" },
        h("table", null, h("caption", { class: "hint" }, "Health checks"), h("tbody", null, rows)),
      ),
    );
  }

  async function drawPlugins(): Promise<void> {
    const { plugins } = await get<{ plugins: Plugin[] }>("/api/v1/plugins");
    const act = (p: Plugin, action: "reload" | "enable" | "disable") =>
      attempt(`${action} ${p.name}`, async () => {
        await post(`/api/v1/plugins/${encodeURIComponent(p.name)}/${action}`);
        await drawPlugins();
      });
    replace(
      pluginBox,
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["plugin", "state", "why", admin && "actions"]
              .filter(Boolean)
              .map((c) => h("th", { scope: "col" }, String(c))),
          ),
        ),
        h(
          "tbody",
          null,
          plugins.map((p) =>
            h(
              "tr",
              null,
              h(
                "th",
                { scope: "row" },
                `${p.name} ${p.version}`,
                p.description && h("div", { class: "hint" }, p.description),
              ),
              h("td", null, p.state, p.enabled ? "" : " (disabled)"),
              h(
                "td",
                null,
                p.error ? `${p.error.code ?? "ERROR"}: ${p.error.message}` : (p.health?.reason ?? ""),
              ),
              admin &&
                h(
                  "td",
                  null,
                  h(
                    "div",
                    { class: "actions" },
                    h("button", { type: "button", onclick: () => act(p, "reload") }, `Reload ${p.name}`),
                    p.enabled
                      ? h("button", { type: "button", onclick: () => act(p, "disable") }, `Disable ${p.name}`)
                      : h("button", { type: "button", onclick: () => act(p, "enable") }, `Enable ${p.name}`),
                  ),
                ),
            ),
          ),
        ),
      ),
    );
  }

  async function drawIntegrations(): Promise<void> {
    const { integrations } = await get<{ integrations: Integration[] }>("/api/v1/integrations");
    replace(
      integrationBox,
      integrations.length === 0
        ? h("p", { class: "hint" }, "No integration plugins.")
        : h(
            "table",
            null,
            h(
              "tbody",
              null,
              integrations.map((i) =>
                h(
                  "tr",
                  null,
                  h("th", { scope: "row" }, `${i.name} ${i.version}`),
                  h("td", null, i.status),
                  h(
                    "td",
                    null,
                    i.error ? `${i.error.code ?? "ERROR"}: ${i.error.message}` : `since ${ago(i.updatedAt)}`,
                  ),
                ),
              ),
            ),
          ),
    );
  }

  const created = h("div", { "aria-live": "polite" });
  async function drawTokens(): Promise<void> {
    const { tokens } = await get<{ tokens: Token[] }>("/api/v1/tokens");
    replace(
      tokenBox,
      h(
        "div",
        { class: "scroll" },
        h(
          "table",
          { id: "tokens" },
          h(
            "thead",
            null,
            h(
              "tr",
              null,
              ["name", "scopes", "created", "last used", ""].map((c) => h("th", { scope: "col" }, c)),
            ),
          ),
          h(
            "tbody",
            null,
            tokens.map((t) =>
              h(
                "tr",
                null,
                h(
                  "th",
                  { scope: "row" },
                  t.name,
                  t.id === me.tokenId && h("span", { class: "hint" }, " (this session)"),
                ),
                h("td", null, t.scopes.join(", ")),
                h("td", null, ago(t.createdAt)),
                h("td", null, ago(t.lastUsedAt)),
                h(
                  "td",
                  null,
                  t.id !== me.tokenId &&
                    h(
                      "button",
                      {
                        type: "button",
                        onclick: () =>
                          attempt(`Revoking ${t.name}`, async () => {
                            await api("DELETE", `/api/v1/tokens/${encodeURIComponent(t.id)}`);
                            replace(created, h("p", { role: "status" }, `Token ${t.name} revoked.`));
                            await drawTokens();
                          }),
                      },
                      `Revoke ${t.name}`,
                    ),
                ),
              ),
            ),
          ),
        ),
      ),
    );
  }

  const nameInput = h("input", { type: "text", id: "token-name", required: true, maxlength: 64 });
  const scopeSelect = h(
    "select",
    { id: "token-scope" },
    h("option", { value: "read" }, "read"),
    h("option", { value: "control" }, "control"),
    h("option", { value: "admin" }, "admin"),
  );
  const tokenForm = h(
    "form",
    {
      class: "stack",
      "aria-label": "Create a token",
      onsubmit: (e: Event) => {
        e.preventDefault();
        void attempt("Creating a token", async () => {
          const res = await post<{ token: string; info: Token }>("/api/v1/tokens", {
            name: nameInput.value.trim(),
            scopes: [scopeSelect.value],
          });
          nameInput.value = "";
          replace(
            created,
            h(
              "div",
              { class: "notice", role: "status" },
              h(
                "p",
                null,
                `Token ${res.info.name} (${res.info.scopes.join(", ")}) created. Copy it now: it is not shown again.`,
              ),
              h("label", { for: "new-token" }, `New token ${res.info.name}`),
              h("input", {
                type: "text",
                id: "new-token",
                class: "secret",
                readonly: true,
                value: res.token,
              }),
            ),
          );
          await drawTokens();
        });
      },
    },
    h("label", { for: "token-name" }, "Name"),
    nameInput,
    h("label", { for: "token-scope" }, "Scope"),
    scopeSelect,
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Create token")),
  );

  // The live event tail.
  let tail: Stream | undefined;
  const tailLog = h("ul", { class: "log", "aria-label": "Live events", id: "tail" });
  const patternInput = h("input", { type: "text", id: "tail-pattern", value: "*", maxlength: 256 });
  const tailStatus = h("span", { class: "hint", role: "status" }, "stopped");
  const tailButton = h("button", { type: "button", "aria-pressed": "false" }, "Start");
  const stopTail = () => {
    tail?.close();
    tail = undefined;
    tailButton.textContent = "Start";
    tailButton.setAttribute("aria-pressed", "false");
    tailStatus.textContent = "stopped";
  };
  tailButton.addEventListener("click", () => {
    if (tail) return stopTail();
    tailLog.replaceChildren();
    tailButton.textContent = "Stop";
    tailButton.setAttribute("aria-pressed", "true");
    tail = subscribe(
      patternInput.value.trim() || "*",
      (e) => {
        tailLog.prepend(
          h("li", null, `${new Date(e.ts).toLocaleTimeString()} ${e.type} ${JSON.stringify(e.payload)}`),
        );
        while (tailLog.childElementCount > TAIL_MAX) tailLog.lastElementChild?.remove();
      },
      (status, detail) => {
        tailStatus.textContent = detail ? `${status} — ${detail}` : status;
        if (status === "closed") stopTail();
      },
    );
  });
  onLeave(stopTail);

  replace(
    root,
    h("h1", null, "System"),
    h("h2", null, "Health"),
    healthBox,
    h("h2", null, "Plugins"),
    pluginBox,
    h("h2", null, "Integrations"),
    integrationBox,
    admin && [h("h2", null, "Tokens"), created, tokenForm, tokenBox],
    h("h2", null, "Live events"),
    h(
      "div",
      { class: "row" },
      h("label", { for: "tail-pattern" }, "Pattern (device.*, *)"),
      patternInput,
      tailButton,
      tailStatus,
    ),
    tailLog,
  );
  await Promise.all([
    attempt("Health", drawHealth),
    attempt("Plugins", drawPlugins),
    attempt("Integrations", drawIntegrations),
    admin ? attempt("Tokens", drawTokens) : undefined,
  ]);
}

function checkRow(name: string, check: Check): HTMLElement {
  return h(
    "tr",
    null,
    h("th", { scope: "row" }, name),
    h("td", { class: check.status === "healthy" ? "ok" : "bad" }, check.status),
    h("td", null, check.detail ?? ""),
  );
}
