/**
 * Automations (`/api/v1/automations`, see the README's Automations section): the rules with an
 * enabled switch and their last run; a rule's runs as step-by-step traces (the trigger, each
 * condition with what it read, each action with its rendered input and result); run now; dry run; and
 * create or edit as JSON, with a 422's issues shown at their path in the text. Live: a run that ends
 * (`automation.finished` / `automation.failed`) updates the list and the traces shown.
 * When this Hearth has no automation module (the route answers 404) the page says so.
 */
import { ApiError, api, can, get, type Me, post } from "./api.ts";
import { h, replace, slug } from "./dom.ts";
import { ago } from "./format.ts";
import { formatPath, type JsonPath, locate } from "./json-path.ts";
import { subscribe } from "./live.ts";
import { attempt, missingApi, page, showError } from "./ui.ts";

/** `GET /api/v1/automations` → `{ automations: Rule[] }`: the stored rule plus `problems` and `lastRun`. */
interface Rule {
  id: string;
  name: string;
  enabled: boolean;
  mode: string;
  problems: string[];
  lastRun: { runId: string; status: string; startedAt: string; durationMs: number | null } | null;
  [field: string]: unknown;
}

/** A run's trace (`/runs`, and what a dry run answers). */
interface Trace {
  runId: string;
  rule: string;
  dryRun: boolean;
  status: string;
  trigger: { id: string; type: string } & Record<string, unknown>;
  causedBy: { rule: string; run: string }[];
  startedAt: string;
  durationMs?: number;
  conditions: { path: string; type: string; result: boolean; detail?: Record<string, unknown> }[];
  steps: {
    path: string;
    type: string;
    input: Record<string, unknown>;
    outcome: string;
    result?: unknown;
    error?: { code: string; message: string };
    durationMs: number;
  }[];
  truncated?: boolean;
  reason?: string;
  error?: { code: string; message: string };
}

interface Issue {
  path: JsonPath;
  message: string;
}

/** What the server adds to a rule: not part of what is sent back on an edit. */
const SERVED_ONLY = ["id", "problems", "lastRun", "createdAt", "updatedAt"];

const EXAMPLE = {
  name: "Hall light on motion",
  mode: "restart",
  triggers: [{ type: "device", device: "demo-motion", capability: "motion", to: true }],
  conditions: [],
  actions: [{ type: "device_command", device: "demo-light", changes: { on_off: true } }],
};

const GOOD = new Set(["finished", "ok", "simulated"]);
const BAD = new Set(["failed", "loop_detected", "rate_limited"]);
const tone = (status: string) => (GOOD.has(status) ? "ok" : BAD.has(status) ? "bad" : "");

/** A value as one short line of JSON. */
function brief(value: unknown, max = 160): string {
  const text = JSON.stringify(value) ?? "";
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function ms(n: number | null | undefined): string {
  if (n === null || n === undefined) return "";
  return n < 1000 ? `${n} ms` : `${(n / 1000).toFixed(1)} s`;
}

/** A run as a trace: its outcome, what triggered it, each condition, then each action step. */
function traceView(t: Trace): HTMLElement {
  const { id: triggerId, type: triggerType, ...triggerData } = t.trigger;
  const failedCondition = t.conditions.find((c) => !c.result);
  return h(
    "article",
    { class: "card trace", "aria-label": `${t.dryRun ? "Dry run" : "Run"} ${t.runId.slice(0, 8)}` },
    h(
      "header",
      null,
      h("strong", { class: tone(t.status) }, t.status.replace(/_/g, " ")),
      h(
        "span",
        { class: "meta" },
        `${t.dryRun ? "dry run · " : ""}${ago(t.startedAt)}${t.durationMs !== undefined ? ` · ${ms(t.durationMs)}` : ""}`,
      ),
    ),
    t.reason && h("p", { class: "meta" }, t.reason),
    t.error && h("p", { class: "bad" }, `${t.error.code}: ${t.error.message}`),
    h(
      "p",
      null,
      "Trigger: ",
      h("strong", null, triggerType),
      triggerId !== triggerType && ` (id ${triggerId})`,
      Object.keys(triggerData).length > 0 && [" ", h("code", null, brief(triggerData))],
    ),
    t.causedBy.length > 0 &&
      h(
        "p",
        { class: "meta" },
        `Caused by ${t.causedBy.map((c) => `${c.rule}#${c.run.slice(0, 8)}`).join(" → ")}`,
      ),
    t.conditions.length > 0 &&
      h(
        "div",
        null,
        h(
          "p",
          null,
          failedCondition
            ? h(
                "span",
                { class: "bad" },
                `Stopped at condition ${failedCondition.path} (${failedCondition.type})`,
              )
            : "Conditions: all held",
        ),
        h(
          "ul",
          { class: "steps", "aria-label": "Conditions" },
          t.conditions.map((c) =>
            h(
              "li",
              { class: c.result ? "" : "bad" },
              h("code", null, c.path),
              ` ${c.type}: ${c.result ? "held" : "failed"}`,
              c.detail && [" ", h("code", { class: "meta" }, brief(c.detail))],
            ),
          ),
        ),
      ),
    t.steps.length > 0
      ? h(
          "ol",
          { class: "steps", "aria-label": "Steps" },
          t.steps.map((s) =>
            h(
              "li",
              null,
              h("code", null, s.path),
              ` ${s.type}: `,
              h("strong", { class: tone(s.outcome) || (s.outcome === "failed" ? "bad" : "") }, s.outcome),
              s.durationMs > 0 && h("span", { class: "meta" }, ` ${ms(s.durationMs)}`),
              h("br"),
              h("code", { class: "meta" }, brief(s.input)),
              s.result !== undefined && [h("br"), "→ ", h("code", null, brief(s.result))],
              s.error && [h("br"), h("span", { class: "bad" }, `${s.error.code}: ${s.error.message}`)],
            ),
          ),
        )
      : h("p", { class: "meta" }, "No action ran."),
    t.truncated && h("p", { class: "meta" }, "More steps ran than a trace keeps."),
  );
}

export async function automationsPage(me: Me, onLeave: (fn: () => void) => void): Promise<void> {
  const root = page("Automations", h("p", { class: "hint" }, "Loading…"));
  let rules: Rule[];
  try {
    rules = (await get<{ automations: Rule[] }>("/api/v1/automations")).automations;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(root, h("h1", null, "Automations"), missingApi("Automations", "/api/v1/automations", err));
      return;
    }
    throw err;
  }
  const admin = can(me, "admin");
  const control = can(me, "control");
  const list = h("div", { class: "grid" });
  const detail = h("section", { "aria-label": "Rule detail", "aria-live": "polite" });
  /** The rule whose runs are shown, to refresh them when one of its runs ends. */
  let showing: string | undefined;

  const base = (id: string) => `/api/v1/automations/${encodeURIComponent(id)}`;
  const nameOf = (id: string) => rules.find((r) => r.id === id)?.name ?? id;

  const loadList = async () => {
    rules = (await get<{ automations: Rule[] }>("/api/v1/automations")).automations;
    drawList();
  };
  const showRuns = async (id: string, note?: string) => {
    const { runs } = await get<{ runs: Trace[] }>(`${base(id)}/runs`);
    showing = id;
    replace(
      detail,
      h("h2", null, `Runs of ${nameOf(id)}`),
      note && h("p", { role: "status" }, note),
      runs.length === 0 ? h("p", { class: "hint" }, "No runs yet.") : runs.map(traceView),
    );
  };

  const ruleCard = (r: Rule) => {
    const name = r.name;
    const headingId = `rule-${slug(r.id)}`;
    const last = r.lastRun;
    return h(
      "article",
      { class: "card", "aria-labelledby": headingId },
      h(
        "header",
        null,
        h("h3", { id: headingId }, name),
        admin
          ? h(
              "button",
              {
                type: "button",
                role: "switch",
                "aria-checked": String(r.enabled),
                "aria-label": `${name} enabled`,
                onclick: () =>
                  attempt(name, async () => {
                    await post(`${base(r.id)}/${r.enabled ? "disable" : "enable"}`);
                    await loadList();
                  }),
              },
              r.enabled ? "on" : "off",
            )
          : h("span", { class: `badge ${r.enabled ? "ok" : ""}` }, r.enabled ? "enabled" : "disabled"),
      ),
      h(
        "p",
        { class: "meta" },
        h("code", null, r.id),
        ` · ${r.mode} · last run `,
        last
          ? [
              h("strong", { class: tone(last.status) }, last.status.replace(/_/g, " ")),
              ` ${ago(last.startedAt)}`,
            ]
          : "never",
      ),
      r.problems.length > 0 &&
        h(
          "ul",
          { class: "bad", "aria-label": `Problems of ${name}` },
          r.problems.map((p) => h("li", null, p)),
        ),
      h(
        "div",
        { class: "actions" },
        h(
          "button",
          { type: "button", onclick: () => attempt(`Runs of ${name}`, () => showRuns(r.id)) },
          `Runs of ${name}`,
        ),
        control &&
          h(
            "button",
            {
              type: "button",
              onclick: () =>
                attempt(`Run ${name}`, async () => {
                  const out = await post<{ runId: string; status: string }>(`${base(r.id)}/run`, {});
                  const running = out.status === "started" || out.status === "queued";
                  await showRuns(
                    r.id,
                    running
                      ? `Run ${out.runId.slice(0, 8)} ${out.status}; its trace appears here when it ends.`
                      : `Run ${out.runId.slice(0, 8)}: ${out.status.replace(/_/g, " ")}.`,
                  );
                }),
            },
            `Run ${name} now`,
          ),
        control &&
          h(
            "button",
            {
              type: "button",
              onclick: () =>
                attempt(`Dry run of ${name}`, async () => {
                  const t = await post<Trace>(`${base(r.id)}/test`, {});
                  showing = undefined;
                  replace(
                    detail,
                    h("h2", null, `Dry run of ${name}`),
                    h("p", { class: "hint" }, "Nothing was commanded, called or published."),
                    traceView(t),
                  );
                }),
            },
            `Dry run ${name}`,
          ),
        admin &&
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                const body = Object.fromEntries(Object.entries(r).filter(([k]) => !SERVED_ONLY.includes(k)));
                startEditing(r.id, body);
              },
            },
            `Edit ${name}`,
          ),
        admin &&
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                if (!confirm(`Delete the rule "${name}" and its run history?`)) return;
                void attempt(`Deleting ${name}`, async () => {
                  await api("DELETE", base(r.id));
                  if (showing === r.id) detail.replaceChildren();
                  await loadList();
                });
              },
            },
            `Delete ${name}`,
          ),
      ),
    );
  };
  const drawList = () =>
    replace(list, rules.length === 0 ? h("p", { class: "notice" }, "No rules yet.") : rules.map(ruleCard));

  // ---- the JSON editor (admin) -------------------------------------------------------------------
  let editing: string | undefined;
  const editor = h(
    "textarea",
    {
      id: "rule-json",
      rows: 16,
      spellcheck: "false",
      autocomplete: "off",
      "aria-describedby": "rule-errors rule-help",
    },
    JSON.stringify(EXAMPLE, null, 2),
  );
  const editingNote = h("p", { id: "rule-help", class: "hint" });
  const errors = h("div", { id: "rule-errors", "aria-live": "polite" });
  const setEditing = (id: string | undefined) => {
    editing = id;
    replace(
      editingNote,
      id === undefined
        ? "A new rule: Save creates it (the id comes from the name unless given)."
        : ["Editing ", h("code", null, id), ": Save replaces it (its running runs are stopped)."],
    );
  };
  const startEditing = (id: string | undefined, body: unknown) => {
    setEditing(id);
    editor.value = JSON.stringify(body, null, 2);
    clearIssues();
    editor.focus();
    editor.scrollIntoView({ block: "center" });
  };
  const clearIssues = () => {
    errors.replaceChildren();
    editor.removeAttribute("aria-invalid");
  };
  /** Selects the issue's place in the text, so the user sees and edits it. */
  const select = (path: JsonPath) => {
    const at = locate(editor.value, path);
    if (at === undefined) return;
    editor.focus();
    editor.setSelectionRange(at.start, at.end);
  };
  const showIssues = (err: unknown, prefix: string | undefined) => {
    editor.setAttribute("aria-invalid", "true");
    if (!(err instanceof ApiError)) {
      replace(errors, h("p", { class: "bad" }, String(err)));
      return;
    }
    const raw = (err.data as { issues?: Issue[] } | undefined)?.issues ?? [];
    const issues = raw.map((i) => ({
      message: i.message,
      path: prefix !== undefined && i.path[0] === prefix ? i.path.slice(1) : i.path,
    }));
    replace(
      errors,
      h("p", { class: "bad" }, err.toString()),
      issues.length > 0 &&
        h(
          "ul",
          { class: "bad", "aria-label": "Problems in the rule" },
          issues.map((i) => {
            const at = locate(editor.value, i.path);
            const where = formatPath(i.path);
            return h(
              "li",
              null,
              h(
                "button",
                { type: "button", class: "link", onclick: () => select(i.path) },
                at ? `${where} (line ${at.line})` : where,
              ),
              `: ${i.message}`,
            );
          }),
        ),
    );
    const first = issues[0];
    if (first !== undefined) select(first.path);
  };
  const parseEditor = (): unknown => {
    try {
      return JSON.parse(editor.value);
    } catch (err) {
      editor.setAttribute("aria-invalid", "true");
      replace(errors, h("p", { class: "bad" }, `INVALID_JSON: ${(err as Error).message}`));
      return undefined;
    }
  };
  const save = async () => {
    clearIssues();
    const body = parseEditor();
    if (body === undefined) return;
    try {
      const saved = await api<Rule>(
        editing ? "PUT" : "POST",
        editing ? base(editing) : "/api/v1/automations",
        {
          body,
        },
      );
      setEditing(saved.id);
      replace(errors, h("p", { class: "ok", role: "status" }, `Saved ${saved.name} (${saved.id}).`));
      await loadList();
    } catch (err) {
      showIssues(err, undefined);
      showError(err, "Saving the rule");
    }
  };
  const dryRunEditor = async () => {
    clearIssues();
    const rule = parseEditor();
    if (rule === undefined) return;
    try {
      const t = await post<Trace>("/api/v1/automations/test", { rule });
      showing = undefined;
      replace(
        detail,
        h("h2", null, "Dry run of the rule in the editor"),
        h("p", { class: "hint" }, "Nothing was saved, commanded, called or published."),
        traceView(t),
      );
    } catch (err) {
      showIssues(err, "rule");
      showError(err, "Dry run");
    }
  };
  setEditing(undefined);

  drawList();
  replace(
    root,
    h("h1", null, "Automations"),
    list,
    detail,
    admin && [
      h("h2", null, "Create or edit (JSON)"),
      h("label", { for: "rule-json" }, "Rule (JSON)"),
      editingNote,
      editor,
      errors,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => save() }, "Save rule"),
        h("button", { type: "button", onclick: () => dryRunEditor() }, "Dry run this rule"),
        h("button", { type: "button", onclick: () => startEditing(undefined, EXAMPLE) }, "New rule"),
      ),
    ],
  );

  const stream = subscribe("automation.*", (e) => {
    if (e.type !== "automation.finished" && e.type !== "automation.failed") return;
    const rule = e.payload.rule;
    void attempt("Automations", async () => {
      await loadList();
      if (typeof rule === "string" && rule === showing) await showRuns(rule);
    });
  });
  onLeave(() => stream.close());
}
