/**
 * The page's entry: who is signed in (`GET /api/v1/session`), the navigation, and a hash router
 * (`#/`, `#/device/<id>`, `#/system`, `#/automations`, `#/people`), so the server serves one URL.
 * Each page may register cleanups (closing its event streams) that run when it is left.
 */
import { ApiError, api, get, type Me, setUnauthorizedHandler } from "./api.ts";
import { automationsPage } from "./automations.ts";
import { devicePage } from "./device.ts";
import { h, replace } from "./dom.ts";
import { homePage } from "./home.ts";
import { peoplePage } from "./people.ts";
import { systemPage } from "./system.ts";
import { clearError, main, page, showError } from "./ui.ts";

let me: Me | undefined;
const cleanups: (() => void)[] = [];

const ROUTES: [string, string][] = [
  ["#/", "Home"],
  ["#/automations", "Automations"],
  ["#/people", "People"],
  ["#/system", "System"],
];

function leave(): void {
  for (const fn of cleanups.splice(0)) fn();
}

function drawNav(): void {
  const nav = document.getElementById("nav");
  if (!nav) return;
  if (me === undefined) {
    nav.replaceChildren();
    return;
  }
  const here = location.hash.startsWith("#/device/") ? "#/" : location.hash || "#/";
  replace(
    nav,
    h(
      "ul",
      null,
      ROUTES.map(([href, label]) =>
        h("li", null, h("a", { href, "aria-current": here === href ? "page" : undefined }, label)),
      ),
      h(
        "li",
        null,
        h(
          "button",
          { type: "button", onclick: signOut, "aria-label": `Sign out ${me.tokenName}` },
          "Sign out",
        ),
      ),
    ),
  );
}

async function signOut(): Promise<void> {
  try {
    await api("DELETE", "/api/v1/session");
  } catch (err) {
    showError(err, "Signing out");
  }
  me = undefined;
  showSignIn();
}

function showSignIn(message?: string): void {
  leave();
  me = undefined;
  drawNav();
  const input = h("input", {
    type: "password",
    id: "token",
    name: "token",
    autocomplete: "off",
    required: true,
    spellcheck: "false",
    "aria-describedby": "token-help",
  });
  const form = h(
    "form",
    {
      class: "stack",
      "aria-label": "Sign in",
      onsubmit: async (e: Event) => {
        e.preventDefault();
        const token = input.value.trim();
        try {
          // The token goes out once, in a header; from now on only the HttpOnly cookie is used.
          me = await api<Me>("POST", "/api/v1/session", {
            headers: { Authorization: `Bearer ${token}` },
            quiet401: true,
          });
          input.value = "";
          clearError();
          if (!location.hash || location.hash === "#/signin") location.hash = "#/";
          else void route();
        } catch (err) {
          showError(err, "Sign-in failed");
          input.focus();
        }
      },
    },
    h("label", { for: "token" }, "API token"),
    input,
    h(
      "p",
      { class: "hint", id: "token-help" },
      "Paste a token: the one in data/admin.token on first start, or one made with hearth token create. " +
        "It is exchanged for a session cookie and not kept by the page.",
    ),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
  );
  page("Sign in", message ? h("p", { role: "status" }, message) : null, form);
  input.focus();
}

async function route(): Promise<void> {
  leave();
  if (me === undefined) return showSignIn();
  drawNav();
  clearError();
  const hash = location.hash || "#/";
  const onLeave = (fn: () => void) => cleanups.push(fn);
  try {
    if (hash.startsWith("#/device/")) await devicePage(me, decodeURIComponent(hash.slice(9)), onLeave);
    else if (hash === "#/system") await systemPage(me, onLeave);
    else if (hash === "#/automations") await automationsPage(me, onLeave);
    else if (hash === "#/people") await peoplePage(me, onLeave);
    else await homePage(me, onLeave);
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return;
    showError(err);
    const root = main();
    if (root.childElementCount <= 2) root.append(h("p", null, "This page could not be loaded."));
  }
  main().focus({ preventScroll: true });
}

setUnauthorizedHandler(() => showSignIn("Your session ended; sign in again."));
window.addEventListener("hashchange", () => void route());

async function start(): Promise<void> {
  try {
    me = await get<Me>("/api/v1/session", { quiet401: true });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) showError(err);
    me = undefined;
  }
  await route();
}
void start();
