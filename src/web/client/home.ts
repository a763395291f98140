/**
 * Home: the devices grouped by area, one card each, with controls made from the device's capabilities
 * (switches for booleans, sliders for numbers with a range), sensor values with their units,
 * availability and last seen — kept live from the event stream. A card shows what the device
 * *reported*; a command in flight is shown as pending until the device confirms it.
 */
import { type ApiError, can, get, type Me, post } from "./api.ts";
import { type Child, h, replace, slug } from "./dom.ts";
import { ago, areaName, capLabel, showValue } from "./format.ts";
import { subscribe } from "./live.ts";
import type { Capability, Device } from "./types.ts";
import { attempt, page, showError } from "./ui.ts";

type Cleanup = (fn: () => void) => void;

export async function homePage(me: Me, onLeave: Cleanup): Promise<void> {
  const root = page("Home", h("p", { class: "hint" }, "Loading devices…"));
  const { devices } = await get<{ devices: Device[] }>("/api/v1/devices");
  const control = can(me, "control");
  const known = new Map<string, Device>(devices.map((d) => [d.id, d]));
  const cards = new Map<string, HTMLElement>();
  const failures = new Map<string, string>();
  const actions = new Map<string, string>();

  const redraw = (d: Device) => {
    known.set(d.id, d);
    const el = cards.get(d.id);
    if (el) replace(el, ...cardContent(d));
  };

  async function send(d: Device, changes: Record<string, unknown>): Promise<void> {
    failures.delete(d.id);
    try {
      redraw(await post<Device>(`/api/v1/devices/${encodeURIComponent(d.id)}/command`, changes));
    } catch (err) {
      failures.set(d.id, String(err));
      showError(err, `${d.name}`);
      redraw(known.get(d.id) ?? d);
    }
  }

  function control_(d: Device, cap: Capability): Child {
    const id = `ctl-${slug(d.id)}-${cap.name}`;
    const pending = d.state.pending.includes(cap.name);
    const reported = d.state.reported[cap.name];
    const label = capLabel(cap.name);
    const wanted = pending ? d.state.desired[cap.name] : undefined;
    const waiting =
      pending &&
      h(
        "span",
        { class: "pending", id: `${id}-pending` },
        `→ ${showValue(cap.name, wanted, cap.unit)} (pending)`,
      );
    if (cap.kind === "boolean") {
      const on = reported === true;
      const current = pending ? wanted === true : on;
      return h(
        "div",
        { class: "row" },
        h("span", null, label),
        waiting,
        h(
          "button",
          {
            type: "button",
            role: "switch",
            id,
            "aria-checked": String(on),
            "aria-label": cap.name === "on_off" ? d.name : `${d.name} ${label}`,
            "aria-describedby": pending ? `${id}-pending` : undefined,
            onclick: () => send(d, { [cap.name]: !current }),
          },
          showValue(cap.name, reported),
        ),
      );
    }
    if (cap.kind === "number" && cap.min !== undefined && cap.max !== undefined) {
      const value = typeof reported === "number" ? reported : cap.min;
      const out = h("output", { for: id, id: `${id}-out` }, showValue(cap.name, reported, cap.unit));
      const step = cap.max - cap.min > 1000 ? 50 : 1;
      return h(
        "div",
        { class: "row" },
        h("label", { for: id }, label),
        h("input", {
          type: "range",
          id,
          min: cap.min,
          max: cap.max,
          step,
          value: String(value),
          "aria-label": `${d.name} ${label}`,
          "aria-valuetext": showValue(cap.name, value, cap.unit),
          "aria-describedby": pending ? `${id}-pending` : undefined,
          oninput: (e: Event) => {
            const v = Number((e.target as HTMLInputElement).value);
            out.textContent = showValue(cap.name, v, cap.unit);
            (e.target as HTMLInputElement).setAttribute("aria-valuetext", out.textContent);
          },
          onchange: (e: Event) => send(d, { [cap.name]: Number((e.target as HTMLInputElement).value) }),
        }),
        out,
        waiting,
      );
    }
    return reading(d, cap);
  }

  function reading(d: Device, cap: Capability): Child {
    const value = cap.kind === "action" ? actions.get(d.id) : d.state.reported[cap.name];
    return h(
      "div",
      { class: "row" },
      h("span", null, capLabel(cap.name)),
      h(
        "strong",
        { id: `val-${slug(d.id)}-${cap.name}`, "data-cap": cap.name },
        showValue(cap.name, value, cap.unit),
      ),
    );
  }

  function cardContent(d: Device): Child[] {
    const nameId = `name-${slug(d.id)}`;
    const failure = failures.get(d.id);
    return [
      h(
        "header",
        null,
        h("h3", { id: nameId }, h("a", { href: `#/device/${encodeURIComponent(d.id)}` }, d.name)),
        h(
          "span",
          { class: `badge ${d.available ? "ok" : "bad"}` },
          d.available ? "available" : "unavailable",
        ),
      ),
      h("span", { class: "meta", "data-seen": d.lastSeen ?? "" }, `${d.type} · last seen ${ago(d.lastSeen)}`),
      d.capabilities.map((cap) => (control && cap.commandable ? control_(d, cap) : reading(d, cap))),
      failure && h("p", { class: "bad", role: "status" }, `Command failed — ${failure}`),
    ];
  }

  function card(d: Device): HTMLElement {
    const el = h("article", {
      class: "card",
      id: `dev-${slug(d.id)}`,
      "aria-labelledby": `name-${slug(d.id)}`,
    });
    cards.set(d.id, el);
    replace(el, ...cardContent(d));
    return el;
  }

  const areas = new Map<string | null, Device[]>();
  for (const d of [...devices].sort((a, b) => a.name.localeCompare(b.name))) {
    const list = areas.get(d.area) ?? [];
    list.push(d);
    areas.set(d.area, list);
  }
  const order = [...areas.keys()].sort((a, b) =>
    a === null ? 1 : b === null ? -1 : areaName(a).localeCompare(areaName(b)),
  );

  const sections = order.map((area) => {
    const list = areas.get(area) ?? [];
    const headId = `area-${slug(area ?? "none")}`;
    const switchable = list.some((d) => d.capabilities.some((c) => c.name === "on_off" && c.commandable));
    const areaCommand = (on: boolean) =>
      attempt(`${areaName(area)}: all ${on ? "on" : "off"}`, async () => {
        const res = await post<{ results: { id: string; ok: boolean; code?: string }[] }>(
          `/api/v1/areas/${encodeURIComponent(area ?? "")}/command`,
          { on_off: on },
        );
        const failed = res.results.filter((r) => !r.ok);
        const summary = failed.map((f) => `${f.id}: ${f.code ?? "failed"}`).join(", ");
        // Browser code (no HearthError here); not thrown to callers: attempt() shows it as the alert.
        if (failed.length > 0) throw new Error(summary);
        for (const r of res.results) {
          const d = await get<Device>(`/api/v1/devices/${encodeURIComponent(r.id)}`);
          redraw(d);
        }
      });
    return h(
      "section",
      { "aria-labelledby": headId },
      h(
        "div",
        { class: "row" },
        h("h2", { id: headId }, areaName(area)),
        control &&
          area !== null &&
          switchable &&
          h(
            "div",
            { class: "actions" },
            h("button", { type: "button", onclick: () => areaCommand(true) }, `All on in ${areaName(area)}`),
            h(
              "button",
              { type: "button", onclick: () => areaCommand(false) },
              `All off in ${areaName(area)}`,
            ),
          ),
      ),
      h("div", { class: "grid" }, list.map(card)),
    );
  });

  replace(
    root,
    h("h1", null, "Home"),
    devices.length === 0
      ? h(
          "p",
          { class: "notice" },
          "No devices yet. Plugins (demo, GPIO, Zigbee) announce them when they start.",
        )
      : sections,
    !control && h("p", { class: "hint" }, `Signed in as ${me.tokenName} with the read scope: no controls.`),
  );

  const refresh = async (id: string) => {
    try {
      redraw(await get<Device>(`/api/v1/devices/${encodeURIComponent(id)}`));
    } catch (err) {
      if ((err as ApiError).status === 404) cards.get(id)?.remove();
    }
  };
  const stream = subscribe("device.*", (e) => {
    const id = typeof e.payload.id === "string" ? e.payload.id : undefined;
    if (id === undefined) return;
    if (!known.has(id)) {
      // A new device: draw the page again (the router runs this page's cleanup first).
      if (e.type === "device.announced") window.dispatchEvent(new Event("hashchange"));
      return;
    }
    if (e.type === "device.command_failed") {
      failures.set(id, `${String(e.payload.code ?? "FAILED")}: ${String(e.payload.reason ?? "")}`);
    } else if (e.type === "device.state_changed") {
      failures.delete(id);
    } else if (e.type === "device.action" && typeof e.payload.action === "string") {
      actions.set(id, e.payload.action);
    } else if (e.type === "device.removed") {
      cards.get(id)?.remove();
      return;
    }
    void refresh(id);
  });
  const timer = setInterval(() => {
    for (const el of root.querySelectorAll<HTMLElement>("[data-seen]")) {
      const [type] = (el.textContent ?? "").split(" · ");
      el.textContent = `${type} · last seen ${ago(el.dataset.seen || null)}`;
    }
  }, 15_000);
  onLeave(() => {
    stream.close();
    clearInterval(timer);
  });
}
