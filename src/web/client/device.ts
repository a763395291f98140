/**
 * One device: attributes, capabilities, desired / reported / pending state, its last report and the
 * events seen for it since the page opened, and (admin) rename and move to another area.
 */
import { api, can, get, type Me } from "./api.ts";
import { h, replace } from "./dom.ts";
import { ago, areaName, capLabel, showValue } from "./format.ts";
import { type BusEvent, subscribe } from "./live.ts";
import type { Device } from "./types.ts";
import { attempt, page } from "./ui.ts";

const MAX_EVENTS = 50;

export async function devicePage(me: Me, id: string, onLeave: (fn: () => void) => void): Promise<void> {
  const root = page("Device", h("p", { class: "hint" }, "Loading…"));
  let d = await get<Device>(`/api/v1/devices/${encodeURIComponent(id)}`);
  const events: BusEvent[] = [];
  const stateBox = h("div", { class: "scroll" });
  const headerBox = h("div");
  const log = h("ul", { class: "log", "aria-label": `Recent events of ${d.name}` });

  const drawState = () => {
    const keys = [...new Set([...Object.keys(d.state.reported), ...Object.keys(d.state.desired)])].sort();
    replace(
      stateBox,
      h(
        "table",
        null,
        h("caption", { class: "hint" }, "State"),
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            h("th", { scope: "col" }, "capability"),
            h("th", { scope: "col" }, "reported"),
            h("th", { scope: "col" }, "desired"),
            h("th", { scope: "col" }, "pending"),
          ),
        ),
        h(
          "tbody",
          null,
          keys.map((k) => {
            const unit = d.capabilities.find((c) => c.name === k)?.unit;
            return h(
              "tr",
              null,
              h("th", { scope: "row" }, capLabel(k)),
              h("td", null, showValue(k, d.state.reported[k], unit)),
              h("td", null, k in d.state.desired ? showValue(k, d.state.desired[k], unit) : "—"),
              h("td", null, d.state.pending.includes(k) ? "yes" : "no"),
            );
          }),
        ),
      ),
    );
    replace(
      headerBox,
      h(
        "p",
        null,
        h(
          "span",
          { class: `badge ${d.available ? "ok" : "bad"}` },
          d.available ? "available" : "unavailable",
        ),
        ` ${d.type} · ${areaName(d.area)} · last seen ${ago(d.lastSeen)} · id `,
        h("code", null, d.id),
      ),
    );
  };
  // Hearth keeps no event history, so the log starts with what the device last said (its reported
  // state as of its last-seen time), then the events that arrive while the page is open.
  const seed = `${d.lastSeen ? new Date(d.lastSeen).toLocaleTimeString() : "never seen"} last report (before this page opened): ${JSON.stringify(d.state.reported)}`;
  const drawLog = () =>
    replace(log, [
      ...events.map((e) =>
        h("li", null, `${new Date(e.ts).toLocaleTimeString()} ${e.type} ${JSON.stringify(e.payload)}`),
      ),
      h("li", { class: "hint" }, seed),
    ]);

  const admin = can(me, "admin");
  const nameInput = h("input", {
    type: "text",
    id: "dev-name",
    value: d.name,
    maxlength: 128,
    required: true,
  });
  const areaInput = h("input", {
    type: "text",
    id: "dev-area",
    value: d.area ?? "",
    maxlength: 64,
    placeholder: "none",
  });
  const editForm =
    admin &&
    h(
      "form",
      {
        class: "stack",
        "aria-label": `Rename or move ${d.name}`,
        onsubmit: (e: Event) => {
          e.preventDefault();
          void attempt(`Saving ${d.name}`, async () => {
            const area = areaInput.value.trim();
            d = await api<Device>("PATCH", `/api/v1/devices/${encodeURIComponent(d.id)}`, {
              body: { name: nameInput.value.trim(), area: area === "" ? null : area },
            });
            const h1 = root.querySelector("h1");
            if (h1) h1.textContent = d.name;
            drawState();
          });
        },
      },
      h("label", { for: "dev-name" }, "Name"),
      nameInput,
      h("label", { for: "dev-area" }, "Area (empty: none)"),
      areaInput,
      h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, `Save ${d.name}`)),
    );

  drawState();
  drawLog();
  page(
    d.name,
    headerBox,
    h("p", null, h("a", { href: "#/" }, "← Home")),
    h("h2", null, "State"),
    stateBox,
    h("h2", null, "Capabilities"),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        null,
        h(
          "thead",
          null,
          h(
            "tr",
            null,
            ["name", "kind", "unit", "range", "commandable"].map((c) => h("th", { scope: "col" }, c)),
          ),
        ),
        h(
          "tbody",
          null,
          d.capabilities.map((c) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, c.name),
              h("td", null, c.kind),
              h("td", null, c.unit ?? ""),
              h(
                "td",
                null,
                c.min !== undefined || c.max !== undefined ? `${c.min ?? ""}–${c.max ?? ""}` : "",
              ),
              h("td", null, c.commandable ? "yes" : "no"),
            ),
          ),
        ),
      ),
    ),
    h("h2", null, "Attributes"),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        null,
        h(
          "tbody",
          null,
          Object.entries(d.attributes).map(([k, v]) =>
            h(
              "tr",
              null,
              h("th", { scope: "row" }, k),
              h("td", null, typeof v === "string" ? v : JSON.stringify(v)),
            ),
          ),
        ),
      ),
    ),
    editForm && h("h2", null, "Rename or move"),
    editForm,
    h("h2", null, "Recent events"),
    log,
  );

  const stream = subscribe("device.*", (e) => {
    if (e.payload.id !== d.id) return;
    events.unshift(e);
    events.length = Math.min(events.length, MAX_EVENTS);
    drawLog();
    void get<Device>(`/api/v1/devices/${encodeURIComponent(d.id)}`).then(
      (fresh) => {
        d = fresh;
        drawState();
      },
      () => {},
    );
  });
  onLeave(() => stream.close());
}
