/**
 * One run of a rule: conditions, then actions step by step, each recorded in the trace with its
 * (rendered) input, outcome and duration. In a dry run every side effect is simulated (no command,
 * no call, no publish) and delays are skipped. A failing step ends the run unless it says
 * `continueOnError`; an aborted run (restart mode, shutdown) ends at its next step or wait.
 */
import { z } from "zod";
import { errorMessage, HearthError, isHearthError } from "../../errors.ts";
import type { CauseLink } from "./causality.ts";
import type { Clock, ClockTimer } from "./clock.ts";
import { type ConditionEnv, type ConditionResult, checkAll } from "./conditions.ts";
import type { Location } from "./schedule.ts";
import { parseDuration } from "./schedule.ts";
import type { Action, Condition, Rule } from "./schema.ts";
import { isTemplate, renderDeep, renderTemplate } from "./template.ts";
import type { TriggerData } from "./triggers.ts";

export type RunStatus =
  | "running"
  | "finished"
  | "stopped"
  | "failed"
  | "aborted"
  | "condition_failed"
  | "dropped"
  | "rate_limited"
  | "loop_detected";

export interface TraceStep {
  path: string;
  type: Action["type"];
  /** The step's input after templates were rendered. */
  input: Record<string, unknown>;
  outcome: "ok" | "failed" | "simulated" | "skipped" | "running";
  result?: unknown;
  error?: { code: string; message: string };
  startedAt: string;
  durationMs: number;
}

export interface Trace {
  runId: string;
  rule: string;
  dryRun: boolean;
  status: RunStatus;
  trigger: TriggerData;
  causedBy: CauseLink[];
  startedAt: string;
  finishedAt?: string;
  durationMs?: number;
  conditions: ConditionResult[];
  steps: TraceStep[];
  /** More steps ran than a trace keeps. */
  truncated?: boolean;
  reason?: string;
  error?: { code: string; message: string };
}

const RUN_STATUSES = [
  "running",
  "finished",
  "stopped",
  "failed",
  "aborted",
  "condition_failed",
  "dropped",
  "rate_limited",
  "loop_detected",
] as const satisfies readonly RunStatus[];

/**
 * A rule's run history as restored from storage (`automation.runs`): the fields the list, the
 * `/runs` route and its response schema rely on; the rest of each trace is kept as it is.
 */
export const StoredRunsSchema = z.looseObject({
  runs: z.array(
    z.looseObject({
      runId: z.string(),
      rule: z.string(),
      dryRun: z.boolean(),
      status: z.enum(RUN_STATUSES),
      trigger: z.record(z.string(), z.unknown()),
      causedBy: z.array(z.looseObject({ rule: z.string(), run: z.string() })),
      startedAt: z.string(),
      finishedAt: z.string().optional(),
      durationMs: z.number().optional(),
      conditions: z.array(z.unknown()),
      steps: z.array(z.looseObject({ path: z.string(), type: z.string(), outcome: z.string() })),
    }),
  ),
});

/** What a run may do to the world; the engine gives the real one or the dry-run one. */
export interface RunEffects {
  command(
    target: { device?: string; area?: string },
    changes: Record<string, unknown>,
    chain: CauseLink[],
  ): Promise<unknown>;
  call(service: string, params: Record<string, unknown>): Promise<unknown>;
  publish(event: string, payload: Record<string, unknown>): Promise<void>;
  /** Arms triggers for wait_for_trigger; resolves with the first one's data, or undefined on timeout. */
  waitFor(
    action: Extract<Action, { type: "wait_for_trigger" }>,
    timeoutMs: number | undefined,
    signal: AbortSignal,
  ): Promise<TriggerData | undefined>;
}

export interface RunEnv {
  clock: Clock;
  timeZone: string;
  location: Location | undefined;
  state: ConditionEnv["state"];
  effects: RunEffects;
  dryRun: boolean;
  signal: AbortSignal;
}

export const MAX_TRACE_STEPS = 500;
export const MAX_REPEAT = 10_000;

class StopRun {
  constructor(
    readonly reason: string | undefined,
    readonly error: boolean,
  ) {}
}

export class RunAborted extends Error {
  constructor() {
    super("run aborted");
  }
}

export function newTrace(
  rule: string,
  runId: string,
  trigger: TriggerData,
  causedBy: CauseLink[],
  now: number,
  dryRun: boolean,
): Trace {
  return {
    runId,
    rule,
    dryRun,
    status: "running",
    trigger,
    causedBy,
    startedAt: new Date(now).toISOString(),
    conditions: [],
    steps: [],
  };
}

/** Evaluates the rule's conditions into the trace; true when they all hold. */
export function checkConditions(
  rule: Rule,
  trace: Trace,
  env: Pick<RunEnv, "clock" | "timeZone" | "location" | "state">,
): boolean {
  const scope = initialScope(rule, trace.trigger);
  return checkAll(
    rule.conditions,
    {
      state: env.state,
      now: env.clock.now(),
      timeZone: env.timeZone,
      location: env.location,
      scope,
      triggerId: trace.trigger.id,
    },
    "conditions",
    trace.conditions,
  );
}

function initialScope(rule: Rule, trigger: TriggerData): Record<string, unknown> {
  const scope: Record<string, unknown> = { trigger };
  for (const [k, v] of Object.entries(rule.variables ?? {})) {
    if (k === "trigger") continue;
    scope[k] = renderDeep(v, scope);
  }
  return scope;
}

/** Runs the rule's actions into the trace; resolves when the run has ended (its status set). */
export async function executeActions(rule: Rule, trace: Trace, env: RunEnv): Promise<void> {
  const runner = new Runner(rule, trace, env);
  try {
    runner.scope = initialScope(rule, trace.trigger);
    await runner.actions(rule.actions, "actions");
    trace.status = "finished";
  } catch (err) {
    if (err instanceof StopRun) {
      trace.status = err.error ? "failed" : "stopped";
      if (err.reason !== undefined) trace.reason = err.reason;
      if (err.error)
        trace.error = { code: "AUTOMATION_STOPPED", message: err.reason ?? "stopped by the rule" };
    } else if (err instanceof RunAborted || env.signal.aborted) {
      trace.status = "aborted";
      trace.reason ??= String(env.signal.reason ?? "aborted");
    } else {
      trace.status = "failed";
      trace.error = { code: isHearthError(err) ? err.code : "INTERNAL_ERROR", message: errorMessage(err) };
    }
  } finally {
    const now = env.clock.now();
    trace.finishedAt = new Date(now).toISOString();
    trace.durationMs = now - Date.parse(trace.startedAt);
  }
}

class Runner {
  scope: Record<string, unknown> = {};
  readonly #chain: CauseLink[];
  constructor(
    readonly rule: Rule,
    readonly trace: Trace,
    readonly env: RunEnv,
  ) {
    this.#chain = [...trace.causedBy, { rule: trace.rule, run: trace.runId }];
  }

  async actions(list: Action[], path: string): Promise<void> {
    for (let i = 0; i < list.length; i++) await this.step(list[i] as Action, `${path}[${i}]`);
  }

  #conditions(list: Condition[], path: string, into: ConditionResult[]): boolean {
    return checkAll(
      list,
      {
        state: this.env.state,
        now: this.env.clock.now(),
        timeZone: this.env.timeZone,
        location: this.env.location,
        scope: this.scope,
        triggerId: this.trace.trigger.id,
      },
      path,
      into,
    );
  }

  #record(step: TraceStep): void {
    if (this.trace.steps.length >= MAX_TRACE_STEPS) {
      this.trace.truncated = true;
      return;
    }
    this.trace.steps.push(step);
  }

  async step(a: Action, path: string): Promise<void> {
    if (this.env.signal.aborted) throw new RunAborted();
    const t0 = this.env.clock.now();
    const step: TraceStep = {
      path,
      type: a.type,
      input: {},
      outcome: "running",
      startedAt: new Date(t0).toISOString(),
      durationMs: 0,
    };
    this.#record(step);
    try {
      const result = await this.#perform(a, path, step);
      if (step.outcome === "running")
        step.outcome = this.env.dryRun && SIDE_EFFECTS.has(a.type) ? "simulated" : "ok";
      if (result !== undefined) step.result = result;
    } catch (err) {
      if (err instanceof StopRun || err instanceof RunAborted) {
        step.outcome = err instanceof StopRun ? "ok" : "failed";
        if (err instanceof RunAborted)
          step.error = { code: "AUTOMATION_ABORTED", message: "the run was aborted" };
        throw err;
      }
      step.outcome = "failed";
      step.error = { code: isHearthError(err) ? err.code : "INTERNAL_ERROR", message: errorMessage(err) };
      if (!a.continueOnError) throw err;
    } finally {
      step.durationMs = this.env.clock.now() - t0;
    }
  }

  #render<T>(value: T): T {
    return renderDeep(value, this.scope) as T;
  }

  async #perform(a: Action, path: string, step: TraceStep): Promise<unknown> {
    const { env } = this;
    switch (a.type) {
      case "device_command": {
        const device = a.device === undefined ? undefined : String(this.#render(a.device));
        const area = a.area === undefined ? undefined : String(this.#render(a.area));
        const changes = this.#render(a.changes);
        step.input = { ...(device !== undefined ? { device } : { area }), changes };
        if (env.dryRun) return undefined;
        const result = await env.effects.command({ device, area }, changes, this.#chain);
        return area !== undefined ? result : undefined;
      }
      case "service_call": {
        const params = this.#render(a.params ?? {});
        step.input = { service: a.service, params };
        if (env.dryRun) return undefined;
        return await env.effects.call(a.service, params);
      }
      case "publish": {
        const payload = this.#render(a.payload ?? {});
        step.input = { event: a.event, payload };
        if (env.dryRun) return undefined;
        await env.effects.publish(a.event, { ...payload, causedBy: this.#chain });
        return undefined;
      }
      case "delay": {
        const ms = this.#ms(a.ms, "ms");
        step.input = { ms };
        if (env.dryRun) {
          step.outcome = "skipped";
          return undefined;
        }
        await sleep(env.clock, ms, env.signal);
        return undefined;
      }
      case "wait_for_trigger": {
        const timeoutMs = a.timeout === undefined ? undefined : (parseDuration(a.timeout) as number);
        step.input = { triggers: a.triggers.map((t) => t.type), timeoutMs: timeoutMs ?? null };
        if (env.dryRun) {
          step.outcome = "simulated";
          this.scope.wait = { completed: true, trigger: null };
          return { completed: true };
        }
        const fired = await env.effects.waitFor(a, timeoutMs, env.signal);
        if (env.signal.aborted) throw new RunAborted();
        this.scope.wait = { completed: fired !== undefined, trigger: fired ?? null };
        if (fired !== undefined) return { completed: true, trigger: fired.id };
        const onTimeout = a.onTimeout ?? "continue";
        if (onTimeout === "stop") throw new StopRun("wait_for_trigger timed out", false);
        if (onTimeout === "fail") {
          throw new HearthError("AUTOMATION_WAIT_TIMEOUT", `No trigger within ${timeoutMs} ms at ${path}`, {
            data: { path, timeoutMs },
          });
        }
        return { completed: false };
      }
      case "choose": {
        const results: ConditionResult[] = [];
        for (let i = 0; i < a.choose.length; i++) {
          const option = a.choose[i] as { conditions: Condition[]; actions: Action[] };
          if (this.#conditions(option.conditions, `${path}.choose[${i}].conditions`, results)) {
            step.input = { chosen: i, conditions: results };
            await this.actions(option.actions, `${path}.choose[${i}].actions`);
            return undefined;
          }
        }
        step.input = { chosen: a.default === undefined ? null : "default", conditions: results };
        if (a.default !== undefined) await this.actions(a.default, `${path}.default`);
        return undefined;
      }
      case "if": {
        const results: ConditionResult[] = [];
        const ok = this.#conditions(a.if, `${path}.if`, results);
        step.input = { result: ok, conditions: results };
        if (ok) await this.actions(a.then, `${path}.then`);
        else if (a.else !== undefined) await this.actions(a.else, `${path}.else`);
        return undefined;
      }
      case "repeat": {
        const count = a.count === undefined ? undefined : this.#int(a.count, "count");
        step.input = count === undefined ? { mode: a.while !== undefined ? "while" : "until" } : { count };
        let index = 0;
        for (;;) {
          if (count !== undefined && index >= count) break;
          if (index >= MAX_REPEAT) {
            throw new HearthError(
              "AUTOMATION_LIMIT_EXCEEDED",
              `${path}: more than ${MAX_REPEAT} repetitions`,
              {
                data: { path, limit: MAX_REPEAT },
              },
            );
          }
          this.scope.repeat = { index: index + 1, first: index === 0 };
          if (a.while !== undefined && !this.#conditions(a.while, `${path}.while`, [])) break;
          await this.actions(a.actions, `${path}.actions`);
          index++;
          if (a.until !== undefined && this.#conditions(a.until, `${path}.until`, [])) break;
          // A loop of instant steps still lets the rest of Hearth run.
          if (index % 100 === 0) await new Promise<void>((r) => setImmediate(r));
        }
        step.result = { iterations: index };
        return { iterations: index };
      }
      case "variables": {
        const set: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(a.variables)) {
          if (k === "trigger") continue;
          set[k] = renderDeep(v, this.scope);
          this.scope[k] = set[k];
        }
        step.input = set;
        return undefined;
      }
      case "stop": {
        step.input = { reason: a.reason ?? null, error: a.error ?? false };
        throw new StopRun(a.reason, a.error ?? false);
      }
    }
  }

  #ms(v: number | string, field: string): number {
    const n = this.#int(v, field);
    if (n > 31 * 86_400_000)
      throw new HearthError("AUTOMATION_INVALID_VALUE", `${field} is more than 31 days`);
    return n;
  }

  #int(v: number | string, field: string): number {
    const raw = typeof v === "string" && isTemplate(v) ? renderTemplate(v, this.scope) : v;
    const n = typeof raw === "string" ? (parseDuration(raw) ?? Number(raw)) : raw;
    if (typeof n !== "number" || !Number.isFinite(n) || n < 0) {
      throw new HearthError(
        "AUTOMATION_INVALID_VALUE",
        `${field} is not a non-negative number: ${JSON.stringify(raw)}`,
        {
          data: { field, value: raw ?? null },
        },
      );
    }
    return Math.floor(n);
  }
}

const SIDE_EFFECTS = new Set<Action["type"]>(["device_command", "service_call", "publish"]);

/** Waits `ms` on the clock; rejects with RunAborted when the signal aborts. */
export function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (signal.aborted) return reject(new RunAborted());
    let timer: ClockTimer | undefined;
    const onAbort = () => {
      clock.clearTimeout(timer);
      reject(new RunAborted());
    };
    timer = clock.setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
