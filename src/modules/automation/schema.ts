/**
 * The rule model: zod schemas for rules, triggers, conditions and actions (each a `type`
 * discriminated object), and the TypeScript types derived from them. This JSON shape is a contract
 * (other tools write it).
 */
import { Cron } from "croner";
import { z } from "zod";
import {
  EVENT_PATTERN_SOURCE,
  EVENT_TYPE_SOURCE,
  reservedBy,
  SERVICE_NAME_SOURCE,
} from "../../kernel/names/index.ts";
import { parseDuration } from "./schedule.ts";
import { checkTemplates } from "./template.ts";

export const RULE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const RuleId = z
  .string()
  .regex(RULE_ID, "a rule id of [a-z0-9_-], 1-64 chars, starting with a letter or digit");

/** A device id or area name as rules refer to them (checked against the registry as a problem, not an error). */
const Ref = z.string().min(1).max(128);
const Json = z.json();
const Template = z.string().max(10_000);

/** A duration: milliseconds, or a string such as "90s", "2m", "1h30m", "500ms", "01:30:00". */
const Duration = z
  .union([
    z
      .int()
      .min(0)
      .max(31 * 86_400_000),
    z.string().min(1).max(32),
  ])
  .superRefine((v, ctx) => {
    if (typeof v === "string" && (parseDuration(v) === undefined || (parseDuration(v) as number) < 0)) {
      ctx.addIssue({ code: "custom", message: 'a duration: ms, or like "90s", "2m", "1h30m", "01:30:00"' });
    }
  });
/** A signed duration (offsets from sunrise/sunset). */
const Offset = z
  .union([z.int().min(-86_400_000).max(86_400_000), z.string().min(1).max(33)])
  .superRefine((v, ctx) => {
    if (typeof v === "string" && parseDuration(v) === undefined) {
      ctx.addIssue({ code: "custom", message: 'an offset: ms, or like "-30m", "+1h"' });
    }
  });
const TimeOfDay = z
  .string()
  .regex(/^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?$/, "a time of day HH:MM or HH:MM:SS (24 h)");
const Weekday = z.enum(["mon", "tue", "wed", "thu", "fri", "sat", "sun"]);
const SunEvent = z.enum(["sunrise", "sunset"]);
const TriggerIdField = z.string().min(1).max(64).optional();

const DeviceTarget = {
  device: Ref.optional(),
  area: Ref.optional(),
};
function oneTarget(v: { device?: string; area?: string }, ctx: z.RefinementCtx) {
  if ((v.device === undefined) === (v.area === undefined)) {
    ctx.addIssue({ code: "custom", path: ["device"], message: "name exactly one of device or area" });
  }
}

const TRIGGER_SHAPES = [
  z.strictObject({
    type: z.literal("event"),
    id: TriggerIdField,
    event: z.string().regex(new RegExp(EVENT_PATTERN_SOURCE), "an event type or pattern (device.*)"),
    /** Payload fields (dot paths) and the values they must equal. */
    match: z.record(z.string().min(1).max(256), Json).optional(),
  }),
  z
    .strictObject({
      type: z.literal("device"),
      id: TriggerIdField,
      ...DeviceTarget,
      capability: z.string().min(1).max(64).optional(),
      to: Json.optional(),
      from: Json.optional(),
      above: z.number().optional(),
      below: z.number().optional(),
      for: Duration.optional(),
    })
    .superRefine((v, ctx) => {
      oneTarget(v, ctx);
      // A value test means nothing without the capability it tests: refuse it rather than ignore it.
      if (v.capability === undefined) {
        for (const key of ["to", "from", "above", "below", "for"] as const) {
          if (v[key] !== undefined) {
            ctx.addIssue({ code: "custom", path: [key], message: `"${key}" needs a "capability" to test` });
          }
        }
      }
    }),
  z
    .strictObject({
      type: z.literal("time"),
      id: TriggerIdField,
      at: TimeOfDay.optional(),
      cron: z.string().min(1).max(128).optional(),
    })
    .superRefine((v, ctx) => {
      if ((v.at === undefined) === (v.cron === undefined)) {
        ctx.addIssue({ code: "custom", path: ["at"], message: "name exactly one of at or cron" });
      }
      if (v.cron !== undefined) {
        try {
          new Cron(v.cron, { paused: true });
        } catch (err) {
          ctx.addIssue({
            code: "custom",
            path: ["cron"],
            message: `not a cron expression: ${(err as Error).message}`,
          });
        }
      }
    }),
  z.strictObject({
    type: z.literal("interval"),
    id: TriggerIdField,
    every: Duration.refine((d) => (parseDuration(d) ?? 0) >= 1000, "at least 1 second"),
  }),
  z.strictObject({ type: z.literal("sun"), id: TriggerIdField, event: SunEvent, offset: Offset.optional() }),
  z
    .strictObject({
      type: z.literal("presence"),
      id: TriggerIdField,
      /** `arrives`/`leaves` for a person (or anyone), `occupied`/`empty` for the home. */
      event: z.enum(["arrives", "leaves", "occupied", "empty"]),
      person: z.string().min(1).max(64).optional(),
    })
    .superRefine((v, ctx) => {
      if (v.person !== undefined && (v.event === "occupied" || v.event === "empty")) {
        ctx.addIssue({
          code: "custom",
          path: ["person"],
          message: `"${v.event}" is about the home, not a person`,
        });
      }
    }),
  z.strictObject({ type: z.literal("runtime_started"), id: TriggerIdField }),
] as const;

export const TriggerSchema = z.discriminatedUnion("type", TRIGGER_SHAPES);
export type Trigger = z.infer<typeof TriggerSchema>;

export type Condition =
  | {
      type: "device";
      device: string;
      capability: string;
      is?: z.infer<typeof Json>;
      above?: number;
      below?: number;
      available?: boolean;
    }
  | { type: "state"; key: string; path?: string; is?: z.infer<typeof Json>; above?: number; below?: number }
  | { type: "time"; after?: string; before?: string; weekdays?: z.infer<typeof Weekday>[] }
  | {
      type: "sun";
      after?: "sunrise" | "sunset";
      before?: "sunrise" | "sunset";
      afterOffset?: number | string;
      beforeOffset?: number | string;
    }
  | { type: "presence"; person?: string; home?: boolean; anyoneHome?: boolean }
  | { type: "trigger"; id: string | string[] }
  | { type: "template"; value: string }
  | { type: "and" | "or" | "not"; conditions: Condition[] };

const Compare = { is: Json.optional(), above: z.number().optional(), below: z.number().optional() };

export const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.discriminatedUnion("type", [
    z.strictObject({
      type: z.literal("device"),
      device: Ref,
      capability: z.string().min(1).max(64),
      available: z.boolean().optional(),
      ...Compare,
    }),
    z.strictObject({
      type: z.literal("state"),
      key: z.string().min(1).max(512),
      path: z.string().min(1).max(256).optional(),
      ...Compare,
    }),
    z
      .strictObject({
        type: z.literal("time"),
        after: TimeOfDay.optional(),
        before: TimeOfDay.optional(),
        weekdays: z.array(Weekday).min(1).max(7).optional(),
      })
      .refine((v) => v.after !== undefined || v.before !== undefined || v.weekdays !== undefined, {
        message: "name after, before or weekdays",
      }),
    z
      .strictObject({
        type: z.literal("sun"),
        after: SunEvent.optional(),
        before: SunEvent.optional(),
        afterOffset: Offset.optional(),
        beforeOffset: Offset.optional(),
      })
      .refine((v) => v.after !== undefined || v.before !== undefined, { message: "name after or before" }),
    z
      .strictObject({
        type: z.literal("presence"),
        person: z.string().min(1).max(64).optional(),
        home: z.boolean().optional(),
        anyoneHome: z.boolean().optional(),
      })
      .superRefine((v, ctx) => {
        const personForm = v.person !== undefined && v.home !== undefined;
        const homeForm = v.anyoneHome !== undefined;
        if (personForm === homeForm || (v.person === undefined) !== (v.home === undefined)) {
          ctx.addIssue({ code: "custom", message: "name either person and home, or anyoneHome" });
        }
      }),
    z.strictObject({
      type: z.literal("trigger"),
      id: z.union([z.string().min(1).max(64), z.array(z.string().min(1).max(64)).min(1).max(32)]),
    }),
    z.strictObject({ type: z.literal("template"), value: Template }),
    z.strictObject({ type: z.literal("and"), conditions: z.array(ConditionSchema).min(1).max(64) }),
    z.strictObject({ type: z.literal("or"), conditions: z.array(ConditionSchema).min(1).max(64) }),
    z.strictObject({ type: z.literal("not"), conditions: z.array(ConditionSchema).min(1).max(64) }),
  ]),
);

type Common = { continueOnError?: boolean; alias?: string };
export type Action = Common &
  (
    | { type: "device_command"; device?: string; area?: string; changes: Record<string, unknown> }
    | { type: "service_call"; service: string; params?: Record<string, unknown> }
    | { type: "publish"; event: string; payload?: Record<string, unknown> }
    | { type: "delay"; ms: number | string }
    | {
        type: "wait_for_trigger";
        triggers: Trigger[];
        timeout?: number | string;
        onTimeout?: "continue" | "stop" | "fail";
      }
    | { type: "choose"; choose: { conditions: Condition[]; actions: Action[] }[]; default?: Action[] }
    | { type: "if"; if: Condition[]; then: Action[]; else?: Action[] }
    | { type: "repeat"; count?: number | string; while?: Condition[]; until?: Condition[]; actions: Action[] }
    | { type: "variables"; variables: Record<string, unknown> }
    | { type: "stop"; reason?: string; error?: boolean }
  );

const Actions = (): z.ZodType<Action[]> => z.array(ActionSchema).min(1).max(256);
const common = { continueOnError: z.boolean().optional(), alias: z.string().min(1).max(128).optional() };
/**
 * Events a rule may publish: not the kernel's (`$…`), and not in a domain a module or the kernel
 * holds (device.*, automation.*, presence.*… the reserved names of kernel/names), as for plugins.
 */
const PUBLISHABLE = z
  .string()
  .regex(new RegExp(EVENT_TYPE_SOURCE), "an event type <domain>.<verb>")
  .refine((t) => !t.startsWith("$") && reservedBy(t.split(".")[0] ?? "") === undefined, {
    message:
      "events of the kernel and of a reserved domain (device, automation, presence…) cannot be published by a rule",
  });
const CountOrTemplate = z.union([z.int().min(0).max(10_000), Template]);
const MsOrTemplate = z.union([
  z
    .int()
    .min(0)
    .max(31 * 86_400_000),
  Template,
]);

export const ActionSchema: z.ZodType<Action> = z.lazy(() =>
  z.discriminatedUnion("type", [
    z
      .strictObject({
        type: z.literal("device_command"),
        ...common,
        ...DeviceTarget,
        changes: z
          .record(z.string().min(1).max(64), Json)
          .refine((c) => Object.keys(c).length > 0, "no changes given"),
      })
      .superRefine(oneTarget),
    z.strictObject({
      type: z.literal("service_call"),
      ...common,
      service: z.string().regex(new RegExp(SERVICE_NAME_SOURCE), "a service name <owner>.<action>"),
      params: z.record(z.string(), Json).optional(),
    }),
    z.strictObject({
      type: z.literal("publish"),
      ...common,
      event: PUBLISHABLE,
      payload: z.record(z.string(), Json).optional(),
    }),
    z.strictObject({ type: z.literal("delay"), ...common, ms: MsOrTemplate }),
    z.strictObject({
      type: z.literal("wait_for_trigger"),
      ...common,
      triggers: z.array(TriggerSchema).min(1).max(16),
      timeout: Duration.optional(),
      onTimeout: z.enum(["continue", "stop", "fail"]).optional(),
    }),
    z.strictObject({
      type: z.literal("choose"),
      ...common,
      choose: z
        .array(z.strictObject({ conditions: z.array(ConditionSchema).max(64), actions: Actions() }))
        .min(1)
        .max(64),
      default: Actions().optional(),
    }),
    z.strictObject({
      type: z.literal("if"),
      ...common,
      if: z.array(ConditionSchema).min(1).max(64),
      // biome-ignore lint/suspicious/noThenProperty: if/then/else is the rule format of the issue
      then: Actions(),
      else: Actions().optional(),
    }),
    z
      .strictObject({
        type: z.literal("repeat"),
        ...common,
        count: CountOrTemplate.optional(),
        while: z.array(ConditionSchema).min(1).max(64).optional(),
        until: z.array(ConditionSchema).min(1).max(64).optional(),
        actions: Actions(),
      })
      .refine((v) => [v.count, v.while, v.until].filter((x) => x !== undefined).length === 1, {
        message: "name exactly one of count, while or until",
      }),
    z.strictObject({
      type: z.literal("variables"),
      ...common,
      variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a variable name"), Json),
    }),
    z.strictObject({
      type: z.literal("stop"),
      ...common,
      reason: z.string().max(256).optional(),
      error: z.boolean().optional(),
    }),
  ]),
);

export const MODES = ["single", "restart", "queued", "parallel"] as const;

const RULE_FIELDS = {
  id: RuleId.optional(),
  name: z.string().trim().min(1).max(128),
  description: z.string().max(1024).optional(),
  enabled: z.boolean().default(true),
  mode: z.enum(MODES).default("single"),
  /** queued: how many runs may wait; parallel: how many may run at once. */
  max: z.int().min(1).max(100).default(10),
  maxRunsPerMinute: z.int().min(1).max(6000).default(60),
  triggers: z.array(TriggerSchema).min(1).max(32),
  conditions: z.array(ConditionSchema).max(64).default([]),
  actions: z.array(ActionSchema).min(1).max(256),
  variables: z.record(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]{0,63}$/, "a variable name"), Json).optional(),
};

// Templates are parsed when the rule is saved: a syntax error is a 422 naming its path.
function templatesParse(
  rule: { conditions: unknown; actions: unknown; variables?: unknown },
  ctx: z.RefinementCtx,
) {
  for (const issue of checkTemplates({
    conditions: rule.conditions,
    actions: rule.actions,
    variables: rule.variables,
  })) {
    ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  }
}

/** What a client sends to create a rule (or to dry-run an unsaved one). */
export const RuleInputSchema = z.strictObject(RULE_FIELDS).superRefine(templatesParse);
/** The body of a replace: the id is the path's. */
export const RuleBodySchema = z
  .strictObject({ ...RULE_FIELDS, id: z.never().optional() })
  .superRefine(templatesParse);
/**
 * A rule as restored from storage (`automation`): what the API accepts, with its id and times. One
 * that does not fit (edited by hand, written by another Hearth version) is skipped at start.
 */
export const StoredRuleSchema = z
  .strictObject({ ...RULE_FIELDS, id: RuleId, createdAt: z.string(), updatedAt: z.string() })
  .superRefine(templatesParse);
export type RuleInput = z.input<typeof RuleInputSchema>;

/** A rule as stored and served. */
export type Rule = Omit<z.output<typeof RuleInputSchema>, "id"> & {
  id: string;
  createdAt: string;
  updatedAt: string;
};

/** The last recorded run of a rule, as the list shows it (the trace is under `/runs`). */
export interface LastRun {
  runId: string;
  status: string;
  startedAt: string;
  durationMs: number | null;
}

/** A rule as the API shows it: the rule, what is wrong with its references, and its last run. */
export type RuleView = Rule & { problems: string[]; lastRun: LastRun | null };
