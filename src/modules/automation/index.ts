/**
 * The required `automation` module: rules `{ triggers, conditions, actions, mode }` persisted in
 * storage, armed on the bus and the module's clock, run with traces, loop protection and a dry run;
 * `automation.*` services and the `/api/v1/automations` routes (through the HttpRegistry).
 */
import { z } from "zod";
import { HearthError } from "../../errors.ts";
import { type DefinedModule, defineModule } from "../../kernel/modules/index.ts";
import { type Clock, createSystemClock } from "./clock.ts";
import { AutomationEngine } from "./engine.ts";
import { RuleBodySchema, RuleId, RuleInputSchema } from "./schema.ts";

export type { Clock, ClockTimer } from "./clock.ts";
export { createSystemClock, ManualClock } from "./clock.ts";
export type { Trace, TraceStep } from "./run.ts";
export type { Action, Condition, Rule, RuleInput, RuleView, Trigger } from "./schema.ts";
export { RuleInputSchema } from "./schema.ts";

const OWNER = "automation";

export interface AutomationModuleOptions {
  /** The clock every delay, `for`, cron and sun schedule runs on (tests pass a ManualClock). */
  clock?: Clock;
}

/** Parses a rule body; a refusal is 422 VALIDATION_FAILED with `data.issues` paths (nothing stored). */
function parseRule<S extends typeof RuleInputSchema | typeof RuleBodySchema>(
  schema: S,
  input: unknown,
  prefix: (string | number)[] = [],
) {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data as z.output<S>;
  const issues = parsed.error.issues.map((i) => ({
    path: [...prefix, ...i.path.map((p) => (typeof p === "symbol" ? String(p) : p))],
    message: i.message,
    code: i.code,
  }));
  const first = issues[0];
  throw new HearthError(
    "VALIDATION_FAILED",
    `Invalid automation${first === undefined ? "" : ` at ${first.path.join(".") || "(root)"}: ${first.message}`}${issues.length > 1 ? ` (and ${issues.length - 1} more)` : ""}`,
    { data: { target: "body", issues } },
  );
}

const IdParams = z.object({ id: RuleId });

/** A rule that the docs show and the API contract test sends. */
const EXAMPLE_RULE = {
  name: "Hall light on motion",
  mode: "restart",
  triggers: [{ type: "device", device: "demo-motion", capability: "motion", to: true }],
  conditions: [{ type: "presence", anyoneHome: false }],
  actions: [
    { type: "device_command", device: "demo-light", changes: { on_off: true } },
    { type: "delay", ms: 120000 },
    { type: "device_command", device: "demo-light", changes: { on_off: false } },
  ],
};
/**
 * The rule body as documented: the model is recursive (choose/if/repeat hold actions), which the
 * OpenAPI generator cannot inline, so the document shows an example and the README the model; the
 * service validates the body with the full schema (422 VALIDATION_FAILED naming each path).
 */
const RuleBodyDoc = z.unknown().meta({
  description:
    "An automation rule { name, mode?, triggers[], conditions?[], actions[], variables? } (see the README)",
  example: EXAMPLE_RULE,
});
const TriggerOverride = z.record(z.string(), z.unknown()).optional();
const RunBody = z.strictObject({
  /** Synthetic trigger data (what templates see as `trigger`); `{ "type": "manual" }` by default. */
  trigger: TriggerOverride,
  skipConditions: z.boolean().optional(),
});
const RuleViewSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  enabled: z.boolean(),
  mode: z.string(),
  problems: z.array(z.string()),
  lastRun: z
    .object({
      runId: z.string(),
      status: z.string(),
      startedAt: z.string(),
      durationMs: z.number().nullable(),
    })
    .nullable(),
});
const TraceSchema = z.looseObject({
  runId: z.string(),
  rule: z.string(),
  status: z.string(),
  dryRun: z.boolean(),
  steps: z.array(z.looseObject({ path: z.string(), type: z.string(), outcome: z.string() })),
});

export function createAutomationModule(options: AutomationModuleOptions = {}): DefinedModule {
  let engine: AutomationEngine | undefined;
  const eng = (): AutomationEngine => {
    if (engine === undefined)
      throw new HearthError("RUNTIME_NOT_READY", "The automation module is not started");
    return engine;
  };

  return defineModule({
    name: OWNER,
    required: true,
    async register(ctx) {
      const { latitude, longitude, timeZone } = ctx.config.location;
      engine = new AutomationEngine({
        ctx,
        clock: options.clock ?? createSystemClock(),
        timeZone,
        location: latitude !== undefined && longitude !== undefined ? { latitude, longitude } : undefined,
      });
      const register = <P>(
        action: string,
        handler: (p: P) => unknown,
        schema: z.ZodType<P>,
        description: string,
      ) =>
        ctx.services.register<P, unknown>(`automation.${action}`, (p) => handler(p), {
          owner: OWNER,
          schema,
          description,
        });
      const IdOnly = z.looseObject({ id: RuleId });
      const RunParams = z.strictObject({
        id: RuleId,
        trigger: TriggerOverride,
        skipConditions: z.boolean().optional(),
      });

      register(
        "list",
        () => ({ automations: eng().list() }),
        z.strictObject({}),
        "Every rule, with its problems.",
      );
      register("get", (p: { id: string }) => eng().get(p.id), IdOnly, "One rule.");
      register(
        "create",
        (p: unknown) => eng().create(parseRule(RuleInputSchema, p)),
        z.unknown(),
        "Creates a rule (validated; 422 names the path).",
      );
      register(
        "replace",
        (p: Record<string, unknown>) => {
          const { id, ...body } = p;
          return eng().replace(RuleId.parse(id), parseRule(RuleBodySchema, body));
        },
        z.looseObject({ id: RuleId }),
        "Replaces a rule (its runs restart on the new definition).",
      );
      register(
        "delete",
        async (p: { id: string }) => void (await eng().remove(p.id)),
        IdOnly,
        "Deletes a rule and its run history.",
      );
      register(
        "enable",
        (p: { id: string }) => eng().setEnabled(p.id, true),
        IdOnly,
        "Enables a rule (persisted).",
      );
      register(
        "disable",
        (p: { id: string }) => eng().setEnabled(p.id, false),
        IdOnly,
        "Disables a rule and stops its runs (persisted).",
      );
      register(
        "run",
        (p: z.infer<typeof RunParams>) => eng().runNow(p.id, p.trigger, p.skipConditions ?? true),
        RunParams,
        "Runs a rule now, through its mode (conditions skipped unless skipConditions is false).",
      );
      register(
        "test",
        (p: z.infer<typeof RunParams>) => {
          const rule = eng().get(p.id);
          return eng().dryRun(rule, p.trigger, p.skipConditions ?? false);
        },
        RunParams,
        "Dry run of a saved rule: nothing is commanded, called or published; delays are skipped.",
      );
      register(
        "test_rule",
        (p: { rule?: unknown; trigger?: Record<string, unknown>; skipConditions?: boolean }) => {
          const input = parseRule(RuleInputSchema, p.rule, ["rule"]);
          const now = new Date().toISOString();
          return eng().dryRun(
            { ...input, id: input.id ?? "unsaved", createdAt: now, updatedAt: now },
            p.trigger,
            p.skipConditions ?? false,
          );
        },
        z.strictObject({
          rule: z.unknown(),
          trigger: TriggerOverride,
          skipConditions: z.boolean().optional(),
        }),
        "Dry run of an unsaved rule body.",
      );
      register(
        "runs",
        (p: { id: string }) => ({ runs: eng().runs(p.id) }),
        IdOnly,
        "The last runs of a rule, newest first.",
      );

      const base = "automations";
      const endpoint = (e: Omit<Parameters<typeof ctx.http.register>[1], "base">) =>
        ctx.http.register(OWNER, { ...e, base });
      endpoint({
        method: "GET",
        path: "/",
        service: "automation.list",
        summary: "List automation rules (with problems)",
        scope: "read",
        response: z.object({ automations: z.array(RuleViewSchema) }),
      });
      endpoint({
        method: "POST",
        path: "/",
        service: "automation.create",
        summary: "Create an automation rule",
        scope: "admin",
        status: 201,
        body: RuleBodyDoc,
        response: RuleViewSchema,
      });
      endpoint({
        method: "POST",
        path: "/test",
        service: "automation.test_rule",
        summary: "Dry-run an unsaved rule: { rule, trigger?, skipConditions? } → the trace",
        scope: "control",
        body: z.strictObject({
          rule: RuleBodyDoc,
          trigger: TriggerOverride,
          skipConditions: z.boolean().optional(),
        }),
        response: TraceSchema,
      });
      endpoint({
        method: "GET",
        path: "/:id",
        service: "automation.get",
        summary: "One automation rule",
        scope: "read",
        params: IdParams,
        response: RuleViewSchema,
      });
      endpoint({
        method: "PUT",
        path: "/:id",
        service: "automation.replace",
        summary: "Replace an automation rule",
        scope: "admin",
        params: IdParams,
        body: RuleBodyDoc,
        response: RuleViewSchema,
      });
      endpoint({
        method: "DELETE",
        path: "/:id",
        service: "automation.delete",
        summary: "Delete an automation rule and its run history",
        scope: "admin",
        params: IdParams,
        status: 204,
      });
      for (const [action, summary] of [
        ["enable", "Enable an automation rule"],
        ["disable", "Disable an automation rule"],
      ] as const) {
        endpoint({
          method: "POST",
          path: `/:id/${action}`,
          service: `automation.${action}`,
          summary,
          scope: "admin",
          params: IdParams,
          response: RuleViewSchema,
        });
      }
      endpoint({
        method: "POST",
        path: "/:id/run",
        service: "automation.run",
        summary: "Run a rule now through its mode → { runId, status }",
        scope: "control",
        params: IdParams,
        body: RunBody,
        response: z.object({ runId: z.string(), status: z.string() }),
      });
      endpoint({
        method: "POST",
        path: "/:id/test",
        service: "automation.test",
        summary: "Dry-run a saved rule with a synthetic trigger → the trace (no side effects)",
        scope: "control",
        params: IdParams,
        body: RunBody,
        response: TraceSchema,
      });
      endpoint({
        method: "GET",
        path: "/:id/runs",
        service: "automation.runs",
        summary: "The last runs (traces) of a rule, newest first",
        scope: "read",
        params: IdParams,
        response: z.object({ runs: z.array(TraceSchema) }),
      });
      await engine.load();
    },
    start() {
      eng().arm();
    },
    async stop() {
      await engine?.stop();
    },
    health() {
      if (engine === undefined) return { status: "healthy" };
      const s = engine.stats();
      const detail = `${s.rules} rules, ${s.enabled} enabled, ${s.running} running; ${s.runs} runs, ${s.failed} failed, ${s.dropped} dropped, ${s.loops} loops stopped, ${s.rateLimited} rate limited`;
      const problems: string[] = [];
      if (s.withProblems.length > 0)
        problems.push(
          `rules with problems: ${s.withProblems.slice(0, 10).join(", ")}${s.withProblems.length > 10 ? " …" : ""}`,
        );
      if (s.skipped !== undefined) problems.push(s.skipped);
      if (problems.length > 0) return { status: "degraded", detail: `${detail}; ${problems.join("; ")}` };
      return { status: "healthy", detail };
    },
  });
}
