/**
 * People (issue 13's routes): who is home, their trackers, and a manual override with an expiry.
 * When this Hearth has no presence module (`/api/v1/people` answers 404) the page says so.
 */
import { ApiError, can, get, type Me, post } from "./api.ts";
import { h, replace, slug } from "./dom.ts";
import { ago } from "./format.ts";
import { attempt, missingApi, page } from "./ui.ts";

type Person = Record<string, unknown> & { id: string; name?: string; home?: boolean; trackers?: unknown[] };

export async function peoplePage(me: Me): Promise<void> {
  const root = page("People", h("p", { class: "hint" }, "Loading…"));
  let people: Person[];
  let presence: Record<string, unknown> = {};
  try {
    const body = await get<unknown>("/api/v1/people");
    people = Array.isArray(body)
      ? (body as Person[])
      : (((body as { people?: Person[] }).people ?? []) as Person[]);
    presence = await get<Record<string, unknown>>("/api/v1/presence").catch(() => ({}));
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(root, h("h1", null, "People"), missingApi("Presence", "/api/v1/people", err));
      return;
    }
    throw err;
  }
  const control = can(me, "control");
  const homeOf = (p: Person) => {
    const states = presence.people as
      | Record<string, { home?: boolean }>
      | { id: string; home?: boolean }[]
      | undefined;
    if (Array.isArray(states)) return states.find((s) => s.id === p.id)?.home ?? p.home;
    return states?.[p.id]?.home ?? p.home;
  };
  const override = (p: Person, home: boolean, minutes: number) =>
    attempt(`Override for ${p.name ?? p.id}`, async () => {
      await post(`/api/v1/people/${encodeURIComponent(p.id)}/override`, {
        home,
        untilMs: Date.now() + minutes * 60_000,
      });
      await peoplePage(me);
    });
  replace(
    root,
    h("h1", null, "People"),
    typeof presence.anyoneHome === "boolean" &&
      h("p", null, presence.anyoneHome ? "Someone is home." : "Nobody is home."),
    people.length === 0
      ? h("p", { class: "notice" }, "No people yet.")
      : h(
          "div",
          { class: "grid" },
          people.map((p) => {
            const name = p.name ?? p.id;
            const home = homeOf(p);
            const minutesId = `ovr-${slug(p.id)}`;
            return h(
              "article",
              { class: "card", "aria-labelledby": `person-${slug(p.id)}` },
              h(
                "header",
                null,
                h("h3", { id: `person-${slug(p.id)}` }, name),
                h(
                  "span",
                  { class: `badge ${home ? "ok" : ""}` },
                  home === undefined ? "unknown" : home ? "home" : "away",
                ),
              ),
              p.lastSeen !== undefined &&
                h("span", { class: "meta" }, `last seen ${ago(String(p.lastSeen))}`),
              h(
                "p",
                { class: "meta" },
                `Trackers: ${(p.trackers ?? []).map((t) => (typeof t === "string" ? t : JSON.stringify(t))).join(", ") || "none"}`,
              ),
              control &&
                h(
                  "div",
                  { class: "row" },
                  h("label", { for: minutesId }, "Override for (minutes)"),
                  h("input", { type: "text", inputmode: "numeric", id: minutesId, value: "60", size: 4 }),
                  h(
                    "button",
                    {
                      type: "button",
                      onclick: () =>
                        override(
                          p,
                          true,
                          Number((document.getElementById(minutesId) as HTMLInputElement).value) || 60,
                        ),
                    },
                    `Mark ${name} home`,
                  ),
                  h(
                    "button",
                    {
                      type: "button",
                      onclick: () =>
                        override(
                          p,
                          false,
                          Number((document.getElementById(minutesId) as HTMLInputElement).value) || 60,
                        ),
                    },
                    `Mark ${name} away`,
                  ),
                ),
            );
          }),
        ),
  );
}
