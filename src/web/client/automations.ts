/**
 * Automations (issue 13's routes): list with enabled switch, last run and outcome; run now; dry run;
 * each rule's runs as a step-by-step trace; create and edit as JSON with validation errors at their path.
 * When this Hearth has no automation module (`/api/v1/automations` answers 404) the page says so.
 */
import { ApiError, api, can, get, type Me, post } from "./api.ts";
import { type Child, h, replace, slug } from "./dom.ts";
import { ago } from "./format.ts";
import { attempt, missingApi, page, showError } from "./ui.ts";

type Rule = Record<string, unknown> & { id: string; name?: string; enabled?: boolean };
type Run = Record<string, unknown>;

const EXAMPLE = {
  name: "Hall light on motion",
  mode: "restart",
  triggers: [{ type: "device", device: "demo-motion", capability: "motion", to: true }],
  conditions: [],
  actions: [{ type: "device_command", device: "demo-light", changes: { on_off: true } }],
};

function listOf<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  const v = (body as Record<string, unknown> | undefined)?.[key];
  return Array.isArray(v) ? (v as T[]) : [];
}

/** Validation issues of a 422 as "path: message" lines. */
function issuesOf(err: unknown): Child {
  if (!(err instanceof ApiError)) return String(err);
  const issues = (
    err.data as { issues?: { path?: (string | number)[] | string; message?: string }[] } | undefined
  )?.issues;
  return [
    h("p", null, err.toString()),
    issues &&
      h(
        "ul",
        null,
        issues.map((i) =>
          h(
            "li",
            null,
            h("code", null, Array.isArray(i.path) ? i.path.join(".") || "(rule)" : String(i.path ?? "")),
            `: ${i.message ?? ""}`,
          ),
        ),
      ),
  ];
}

/** A run as a trace: trigger, conditions, then each step with its result. Unknown shapes fall back to JSON. */
function trace(run: Run): HTMLElement {
  const steps = (run.steps ?? run.actions ?? run.trace) as Record<string, unknown>[] | undefined;
  return h(
    "div",
    { class: "card" },
    h(
      "p",
      null,
      h("strong", null, String(run.outcome ?? run.status ?? run.result ?? "run")),
      ` ${run.startedAt ? ago(String(run.startedAt)) : ""}`,
    ),
    run.trigger !== undefined && h("p", null, "Trigger: ", h("code", null, JSON.stringify(run.trigger))),
    Array.isArray(run.conditions) &&
      h(
        "ul",
        null,
        (run.conditions as Record<string, unknown>[]).map((c) =>
          h("li", null, `condition ${JSON.stringify(c)}`),
        ),
      ),
    Array.isArray(steps)
      ? h(
          "ol",
          null,
          steps.map((s) =>
            h(
              "li",
              null,
              `${String(s.type ?? s.action ?? "step")}: ${String(s.outcome ?? s.result ?? s.status ?? "")}`,
              s.error !== undefined && h("span", { class: "bad" }, ` ${JSON.stringify(s.error)}`),
            ),
          ),
        )
      : h("pre", null, JSON.stringify(run, null, 2)),
  );
}

export async function automationsPage(me: Me): Promise<void> {
  const root = page("Automations", h("p", { class: "hint" }, "Loading…"));
  let rules: Rule[];
  try {
    rules = listOf<Rule>(await get("/api/v1/automations"), "automations");
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      replace(root, h("h1", null, "Automations"), missingApi("Automations", "/api/v1/automations", err));
      return;
    }
    throw err;
  }
  const admin = can(me, "admin");
  const control = can(me, "control");
  const detail = h("section", { "aria-label": "Rule detail", "aria-live": "polite" });
  const editor = h(
    "textarea",
    { id: "rule-json", rows: 14, spellcheck: "false" },
    JSON.stringify(EXAMPLE, null, 2),
  );
  const editorErrors = h("div", { class: "bad", role: "status" });
  let editing: string | undefined;

  const base = (r: Rule) => `/api/v1/automations/${encodeURIComponent(r.id)}`;
  const showRuns = (r: Rule) =>
    attempt(`Runs of ${r.name ?? r.id}`, async () => {
      const runs = listOf<Run>(await get(`${base(r)}/runs`), "runs");
      replace(
        detail,
        h("h2", null, `Runs of ${r.name ?? r.id}`),
        runs.length === 0 ? h("p", { class: "hint" }, "No runs yet.") : runs.map(trace),
      );
    });

  const rows = rules.map((r) => {
    const name = r.name ?? r.id;
    const last = (r.lastRun ?? r.last_run) as Run | undefined;
    return h(
      "article",
      { class: "card", "aria-labelledby": `rule-${slug(r.id)}` },
      h(
        "header",
        null,
        h("h3", { id: `rule-${slug(r.id)}` }, name),
        last &&
          h(
            "span",
            { class: "meta" },
            `last run ${String(last.outcome ?? last.status ?? "")} ${last.startedAt ? ago(String(last.startedAt)) : ""}`,
          ),
      ),
      Array.isArray(r.problems) &&
        r.problems.length > 0 &&
        h("p", { class: "bad" }, `Problems: ${JSON.stringify(r.problems)}`),
      h(
        "div",
        { class: "actions" },
        admin
          ? h(
              "button",
              {
                type: "button",
                role: "switch",
                "aria-checked": String(r.enabled !== false),
                "aria-label": `${name} enabled`,
                onclick: () =>
                  attempt(`${name}`, async () => {
                    await post(`${base(r)}/${r.enabled === false ? "enable" : "disable"}`);
                    await automationsPage(me);
                  }),
              },
              r.enabled === false ? "disabled" : "enabled",
            )
          : h("span", null, r.enabled === false ? "disabled" : "enabled"),
        control &&
          h(
            "button",
            {
              type: "button",
              onclick: () =>
                attempt(`Run ${name}`, async () => {
                  await post(`${base(r)}/run`, {});
                  await showRuns(r);
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
                  const t = await post<Run>(`${base(r)}/test`, {});
                  replace(detail, h("h2", null, `Dry run of ${name} (nothing was done)`), trace(t));
                }),
            },
            `Dry run ${name}`,
          ),
        h("button", { type: "button", onclick: () => showRuns(r) }, `Runs of ${name}`),
        admin &&
          h(
            "button",
            {
              type: "button",
              onclick: () => {
                editing = r.id;
                const { id: _id, ...body } = r;
                editor.value = JSON.stringify(body, null, 2);
                editor.focus();
              },
            },
            `Edit ${name}`,
          ),
      ),
    );
  });

  const save = async (dry: boolean) => {
    editorErrors.replaceChildren();
    let body: unknown;
    try {
      body = JSON.parse(editor.value);
    } catch (err) {
      replace(editorErrors, `INVALID_JSON: ${(err as Error).message}`);
      return;
    }
    try {
      if (dry) {
        const t = await post<Run>("/api/v1/automations/test", { rule: body });
        replace(detail, h("h2", null, "Dry run of the rule below (nothing was done)"), trace(t));
      } else {
        await api(
          editing ? "PUT" : "POST",
          editing ? `/api/v1/automations/${encodeURIComponent(editing)}` : "/api/v1/automations",
          { body },
        );
        await automationsPage(me);
      }
    } catch (err) {
      replace(editorErrors, issuesOf(err));
      showError(err, dry ? "Dry run" : "Saving the rule");
    }
  };

  replace(
    root,
    h("h1", null, "Automations"),
    rules.length === 0 ? h("p", { class: "notice" }, "No rules yet.") : h("div", { class: "grid" }, rows),
    detail,
    admin && [
      h("h2", null, "Create or edit (JSON)"),
      h("label", { for: "rule-json" }, "Rule"),
      editor,
      editorErrors,
      h(
        "div",
        { class: "actions" },
        h("button", { type: "button", class: "primary", onclick: () => save(false) }, "Save rule"),
        h("button", { type: "button", onclick: () => save(true) }, "Dry run this rule"),
        h(
          "button",
          {
            type: "button",
            onclick: () => {
              editing = undefined;
              editor.value = JSON.stringify(EXAMPLE, null, 2);
            },
          },
          "New rule",
        ),
      ),
    ],
  );
}
