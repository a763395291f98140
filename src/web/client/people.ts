/**
 * People (`/api/v1/people`, see the README's Presence section): who is home and since when, each
 * tracker with what it says now, a manual override with an expiry (and clearing it), and, for admin,
 * adding and removing a person. Live: `presence.*` events redraw the list.
 * When this Hearth has no presence module (the route answers 404) the page says so.
 */
import { ApiError, api, can, get, type Me, post } from "./api.ts";
import { h, replace, slug } from "./dom.ts";
import { ago } from "./format.ts";
import { formatPath, type JsonPath } from "./json-path.ts";
import { subscribe } from "./live.ts";
import { attempt, missingApi, page, showError } from "./ui.ts";

interface TrackerView {
  type: "device" | "source";
  device?: string;
  name?: string;
  ttlMs?: number;
  home: boolean;
  available?: boolean;
  at?: number | null;
  expiresAt?: number | null;
}

/** A person as `GET /api/v1/people` shows them; times are epoch ms. */
interface Person {
  id: string;
  name: string;
  awayDelayMs: number | null;
  home: boolean;
  since: number;
  /** By `device:<id>` / `source:<name>`. */
  trackers: Record<string, TrackerView>;
  override: { home: boolean; untilMs: number | null; setAt: number } | null;
  awayAt: number | null;
}

/** Override lengths offered; 0 = until cleared. */
const DURATIONS: [number, string][] = [
  [3_600_000, "1 hour"],
  [4 * 3_600_000, "4 hours"],
  [86_400_000, "1 day"],
  [7 * 86_400_000, "1 week"],
  [0, "until cleared"],
];

const iso = (ms: number) => new Date(ms).toISOString();
const clock = (ms: number) => {
  const d = new Date(ms);
  const sameDay = d.toDateString() === new Date().toDateString();
  return sameDay
    ? d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" })
    : d.toLocaleString([], { dateStyle: "medium", timeStyle: "short" });
};

function trackerLine(key: string, t: TrackerView): HTMLElement {
  const facts: string[] = [t.home ? "says home" : "says away"];
  if (t.type === "device") facts.push(t.available ? "available" : "unavailable");
  if (t.type === "source") {
    if (t.at) facts.push(`reported ${ago(iso(t.at))}`);
    else facts.push("no report");
    if (t.expiresAt) facts.push(`counts until ${clock(t.expiresAt)}`);
  }
  return h("li", null, h("code", null, key), ` — ${facts.join(", ")}`);
}

export async function peoplePage(me: Me, onLeave: (fn: () => void) => void): Promise<void> {
  const root = page("People", h("p", { class: "hint" }, "Loading…"));
  let people: Person[];
  try {
    people = (await get<{ people: Person[] }>("/api/v1/people")).people;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(root, h("h1", null, "People"), missingApi("Presence", "/api/v1/people", err));
      return;
    }
    throw err;
  }
  const control = can(me, "control");
  const admin = can(me, "admin");
  const summary = h("p", { role: "status" });
  const list = h("div", { class: "grid" });
  /** The override form's choices per person, kept across live redraws. */
  const choices = new Map<string, { home: boolean; forMs: number }>();

  const load = async () => {
    people = (await get<{ people: Person[] }>("/api/v1/people")).people;
    draw();
  };
  const change = (p: Person, what: string, fn: () => Promise<unknown>) =>
    attempt(`${what} for ${p.name}`, async () => {
      await fn();
      await load();
    });
  const path = (p: Person) => `/api/v1/people/${encodeURIComponent(p.id)}`;

  const overrideForm = (p: Person) => {
    const s = slug(p.id);
    const choice = choices.get(p.id) ?? { home: !p.home, forMs: 3_600_000 };
    const homeSelect = h(
      "select",
      {
        id: `ovr-home-${s}`,
        onchange: (e: Event) =>
          choices.set(p.id, {
            ...(choices.get(p.id) ?? choice),
            home: (e.target as HTMLSelectElement).value === "home",
          }),
      },
      h("option", { value: "home", selected: choice.home }, "home"),
      h("option", { value: "away", selected: !choice.home }, "away"),
    );
    const forSelect = h(
      "select",
      {
        id: `ovr-for-${s}`,
        onchange: (e: Event) =>
          choices.set(p.id, {
            ...(choices.get(p.id) ?? choice),
            forMs: Number((e.target as HTMLSelectElement).value),
          }),
      },
      DURATIONS.map(([value, label]) =>
        h("option", { value: String(value), selected: value === choice.forMs }, label),
      ),
    );
    return h(
      "form",
      {
        class: "row",
        "aria-label": `Override for ${p.name}`,
        onsubmit: (e: Event) => {
          e.preventDefault();
          const home = homeSelect.value === "home";
          const forMs = Number(forSelect.value);
          choices.delete(p.id);
          // forMs rather than untilMs: the server's clock decides the end, not this device's.
          void change(p, "Override", () =>
            post(`${path(p)}/override`, forMs > 0 ? { home, forMs } : { home }),
          );
        },
      },
      h("label", { for: `ovr-home-${s}` }, `Mark ${p.name}`),
      homeSelect,
      h("label", { for: `ovr-for-${s}` }, "for how long"),
      forSelect,
      h("button", { type: "submit" }, `Set override for ${p.name}`),
    );
  };

  const card = (p: Person) => {
    const headingId = `person-${slug(p.id)}`;
    const trackers = Object.entries(p.trackers);
    const o = p.override;
    return h(
      "article",
      { class: "card", "aria-labelledby": headingId },
      h(
        "header",
        null,
        h("h3", { id: headingId }, p.name),
        h(
          "span",
          { class: `badge ${p.home ? "ok" : ""}`, id: `presence-${slug(p.id)}` },
          p.home ? "home" : "away",
        ),
      ),
      h(
        "p",
        { class: "meta" },
        `${p.home ? "Home" : "Away"} since ${ago(iso(p.since))}`,
        p.awayAt !== null && ` · leaving: away at ${clock(p.awayAt)} unless a tracker says home`,
      ),
      o &&
        h(
          "p",
          { class: "notice", id: `override-${slug(p.id)}` },
          `Override: ${o.home ? "home" : "away"} ${o.untilMs === null ? "until cleared" : `until ${clock(o.untilMs)}`} (set ${ago(iso(o.setAt))})`,
        ),
      trackers.length === 0
        ? h("p", { class: "meta" }, "No trackers.")
        : h(
            "ul",
            { class: "steps", "aria-label": `Trackers of ${p.name}` },
            trackers.map(([k, t]) => trackerLine(k, t)),
          ),
      control && overrideForm(p),
      (control && o) || admin
        ? h(
            "div",
            { class: "actions" },
            control &&
              o &&
              h(
                "button",
                {
                  type: "button",
                  onclick: () =>
                    change(p, "Clearing the override", () => api("DELETE", `${path(p)}/override`)),
                },
                `Clear override for ${p.name}`,
              ),
            admin &&
              h(
                "button",
                {
                  type: "button",
                  onclick: () => {
                    if (confirm(`Remove ${p.name}?`))
                      void change(p, "Removing", () => api("DELETE", path(p)));
                  },
                },
                `Remove ${p.name}`,
              ),
          )
        : null,
    );
  };

  const draw = () => {
    const home = people.filter((p) => p.home).map((p) => p.name);
    replace(
      summary,
      people.length === 0 ? "" : home.length === 0 ? "Nobody is home." : `Home: ${home.join(", ")}.`,
    );
    replace(list, people.length === 0 ? h("p", { class: "notice" }, "No people yet.") : people.map(card));
  };

  // ---- adding a person (admin) --------------------------------------------------------------------
  const addErrors = h("div", { id: "person-errors", "aria-live": "polite" });
  const nameInput = h("input", { type: "text", id: "person-name", maxlength: 128, required: true });
  const sourcesInput = h("input", {
    type: "text",
    id: "person-sources",
    placeholder: "anna-phone",
    "aria-describedby": "person-sources-help",
  });
  const devicesInput = h("input", {
    type: "text",
    id: "person-devices",
    placeholder: "bedroom-presence",
    "aria-describedby": "person-devices-help",
  });
  const words = (input: HTMLInputElement) =>
    input.value
      .split(/[\s,]+/)
      .map((w) => w.trim())
      .filter((w) => w !== "");
  const addForm =
    admin &&
    h(
      "form",
      {
        class: "stack",
        "aria-label": "Add a person",
        onsubmit: async (e: Event) => {
          e.preventDefault();
          addErrors.replaceChildren();
          const trackers = [
            ...words(sourcesInput).map((name) => ({ type: "source", name })),
            ...words(devicesInput).map((device) => ({ type: "device", device })),
          ];
          try {
            const p = await post<Person>("/api/v1/people", { name: nameInput.value.trim(), trackers });
            for (const input of [nameInput, sourcesInput, devicesInput]) input.value = "";
            replace(addErrors, h("p", { class: "ok", role: "status" }, `Added ${p.name} (${p.id}).`));
            await load();
          } catch (err) {
            const issues =
              err instanceof ApiError
                ? (err.data as { issues?: { path: JsonPath; message: string }[] })?.issues
                : undefined;
            replace(
              addErrors,
              h("p", { class: "bad" }, String(err)),
              issues &&
                h(
                  "ul",
                  { class: "bad" },
                  issues.map((i) => h("li", null, h("code", null, formatPath(i.path)), `: ${i.message}`)),
                ),
            );
            showError(err, "Adding a person");
          }
        },
      },
      h("label", { for: "person-name" }, "Name"),
      nameInput,
      h("label", { for: "person-sources" }, "Source trackers (names, comma separated)"),
      sourcesInput,
      h(
        "p",
        { class: "hint", id: "person-sources-help" },
        "A phone or a script reports them with POST /api/v1/presence/report { tracker, home }.",
      ),
      h("label", { for: "person-devices" }, "Device trackers (device ids, comma separated)"),
      devicesInput,
      h("p", { class: "hint", id: "person-devices-help" }, "Devices with the occupancy capability."),
      addErrors,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Add person")),
    );

  draw();
  replace(root, h("h1", null, "People"), summary, list, addForm && [h("h2", null, "Add a person"), addForm]);

  const stream = subscribe("presence.*", () => void attempt("People", load));
  onLeave(() => stream.close());
}
