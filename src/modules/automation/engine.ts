/**
 * The automation engine: the rules (durable, namespace `automation`), their armed triggers, the
 * run modes, loop protection and rate limits, and the run history (namespace `automation.runs`,
 * deferred writes, the last RUNS_KEPT per rule).
 */
import { HearthError } from "../../errors.ts";
import type { ModuleContext } from "../../kernel/modules/types.ts";
import type { JsonObject } from "../../kernel/storage/types.ts";
import { SkippedRecords } from "../stored-records.ts";
import { CausalMap, type CauseLink, describeChain, loopOf } from "./causality.ts";
import type { Clock } from "./clock.ts";
import { problemsOf, referencesOf } from "./problems.ts";
import {
  checkConditions,
  executeActions,
  newTrace,
  type RunEffects,
  type RunStatus,
  StoredRunsSchema,
  type Trace,
} from "./run.ts";
import type { Location } from "./schedule.ts";
import { type Rule, type RuleView, StoredRuleSchema, type Trigger } from "./schema.ts";
import { armTrigger, type StateChangedPayload, type TriggerData, type TriggerEnv } from "./triggers.ts";

export const RULES_NAMESPACE = "automation";
export const RUNS_NAMESPACE = "automation.runs";
/** Runs kept per rule. */
export const RUNS_KEPT = 20;

interface ActiveRun {
  trace: Trace;
  abort: AbortController;
  done: Promise<void>;
}

interface Slot {
  rule: Rule;
  disarm: (() => void)[];
  running: Set<ActiveRun>;
  queue: { trigger: TriggerData; chain: CauseLink[]; trace: Trace }[];
  starts: number[];
}

export interface EngineOptions {
  ctx: ModuleContext;
  clock: Clock;
  timeZone: string;
  location: Location | undefined;
}

export interface StartOutcome {
  runId: string;
  status: RunStatus | "queued" | "started";
}

export class AutomationEngine {
  readonly #ctx: ModuleContext;
  readonly #clock: Clock;
  readonly #timeZone: string;
  readonly #location: Location | undefined;
  readonly #slots = new Map<string, Slot>();
  readonly #runs = new Map<string, Trace[]>();
  readonly #causes: CausalMap;
  #armed = false;
  #stopping = false;
  readonly #stats = { runs: 0, failed: 0, dropped: 0, loops: 0, rateLimited: 0 };
  readonly #skipped: SkippedRecords;

  constructor(o: EngineOptions) {
    this.#ctx = o.ctx;
    this.#skipped = new SkippedRecords(o.ctx.log);
    this.#clock = o.clock;
    this.#timeZone = o.timeZone;
    this.#location = o.location;
    this.#causes = new CausalMap(o.ctx.config.devices.commandTimeoutMs + 5000);
  }

  /**
   * Reads rules and run history from storage. A rule that does not fit is skipped (kept in storage
   * for repair, counted); a run history that does not fit is dropped from memory (the next run of
   * the rule starts a new one).
   */
  async load(): Promise<void> {
    const { storage } = this.#ctx;
    for (const { key, value } of await storage.query(RULES_NAMESPACE, {})) {
      const rule = this.#skipped.parse(StoredRuleSchema, RULES_NAMESPACE, key, value, (r) =>
        r.id === key ? undefined : ["id"],
      );
      if (rule === undefined) continue;
      this.#slots.set(key, { rule, disarm: [], running: new Set(), queue: [], starts: [] });
    }
    for (const { key, value } of await storage.query(RUNS_NAMESPACE, {})) {
      if (!this.#slots.has(key)) continue;
      const history = this.#skipped.parse(StoredRunsSchema, RUNS_NAMESPACE, key, value);
      // The fields the engine and the routes read were checked; the rest is the trace as recorded.
      if (history !== undefined) this.#runs.set(key, (history.runs as unknown as Trace[]).slice(-RUNS_KEPT));
    }
  }

  /** Arms the triggers of every enabled rule. */
  arm(): void {
    this.#armed = true;
    for (const slot of this.#slots.values()) this.#armSlot(slot);
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    const running: Promise<void>[] = [];
    for (const slot of this.#slots.values()) {
      this.#disarmSlot(slot);
      slot.queue.length = 0;
      for (const r of slot.running) {
        r.abort.abort("shutdown");
        running.push(r.done);
      }
    }
    await Promise.allSettled(running);
  }

  // ---- rules ----------------------------------------------------------------------------------

  list(): RuleView[] {
    return [...this.#slots.values()].map((s) => this.view(s.rule)).sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): RuleView {
    return this.view(this.#slot(id).rule);
  }

  view(rule: Rule): RuleView {
    const last = this.#runs.get(rule.id)?.at(-1);
    return {
      ...rule,
      problems: problemsOf(rule, this.#ctx, this.#location),
      // The list shows each rule's last outcome without fetching every trace.
      lastRun:
        last === undefined
          ? null
          : {
              runId: last.runId,
              status: last.status,
              startedAt: last.startedAt,
              durationMs: last.durationMs ?? null,
            },
    };
  }

  async create(input: Omit<Rule, "id" | "createdAt" | "updatedAt"> & { id?: string }): Promise<RuleView> {
    const id = input.id ?? this.#newId(input.name);
    if (this.#slots.has(id)) {
      throw new HearthError("AUTOMATION_ALREADY_EXISTS", `A rule with id "${id}" exists`, { data: { id } });
    }
    const now = new Date(this.#clock.now()).toISOString();
    const rule = { ...input, id, createdAt: now, updatedAt: now } as Rule;
    // The slot is taken before the write, so two creates of one id cannot both pass the check.
    const slot: Slot = { rule, disarm: [], running: new Set(), queue: [], starts: [] };
    this.#slots.set(id, slot);
    try {
      await this.#ctx.storage.set(RULES_NAMESPACE, id, rule as unknown as JsonObject);
    } catch (err) {
      if (this.#slots.get(id) === slot) this.#slots.delete(id);
      throw err;
    }
    // An id given explicitly replaces a rule skipped at start: the user chose it.
    this.#skipped.replaced(RULES_NAMESPACE, id);
    if (this.#armed && this.#slots.get(id) === slot) this.#armSlot(slot);
    this.#ctx.log.info({ rule: id }, "automation created");
    return this.view(rule);
  }

  async replace(id: string, input: Omit<Rule, "id" | "createdAt" | "updatedAt">): Promise<RuleView> {
    const slot = this.#slot(id);
    const rule = {
      ...input,
      id,
      createdAt: slot.rule.createdAt,
      updatedAt: new Date(this.#clock.now()).toISOString(),
    } as Rule;
    await this.#ctx.storage.set(RULES_NAMESPACE, id, rule as unknown as JsonObject);
    this.#disarmSlot(slot);
    this.#abortAll(slot, "the rule was replaced");
    slot.rule = rule;
    if (this.#armed) this.#armSlot(slot);
    return this.view(rule);
  }

  async remove(id: string): Promise<void> {
    const slot = this.#slot(id);
    // The rule and its history go together, or neither does.
    await this.#ctx.storage.transaction(async (tx) => {
      await tx.delete(RULES_NAMESPACE, id);
      await tx.delete(RUNS_NAMESPACE, id);
    });
    this.#disarmSlot(slot);
    this.#abortAll(slot, "the rule was deleted");
    this.#slots.delete(id);
    this.#runs.delete(id);
  }

  async setEnabled(id: string, enabled: boolean): Promise<RuleView> {
    const slot = this.#slot(id);
    if (slot.rule.enabled === enabled) return this.view(slot.rule);
    const rule = { ...slot.rule, enabled, updatedAt: new Date(this.#clock.now()).toISOString() };
    await this.#ctx.storage.set(RULES_NAMESPACE, id, rule as unknown as JsonObject);
    slot.rule = rule;
    this.#disarmSlot(slot);
    if (!enabled) this.#abortAll(slot, "the rule was disabled");
    else if (this.#armed) this.#armSlot(slot);
    return this.view(rule);
  }

  runs(id: string): Trace[] {
    this.#slot(id);
    return [...(this.#runs.get(id) ?? [])].reverse();
  }

  // ---- running ----------------------------------------------------------------------------------

  /** A manual run through the rule's mode (conditions skipped unless asked). */
  runNow(id: string, trigger: Record<string, unknown> | undefined, skipConditions: boolean): StartOutcome {
    const slot = this.#slot(id);
    return this.#onTrigger(
      slot,
      { id: "manual", type: "manual", ...trigger } as TriggerData,
      [],
      skipConditions,
    );
  }

  /** A dry run: conditions against the current state, every side effect simulated, delays skipped. */
  async dryRun(
    rule: Rule,
    trigger: Record<string, unknown> | undefined,
    skipConditions: boolean,
  ): Promise<Trace> {
    const data = { id: "manual", type: "manual", ...trigger } as TriggerData;
    const trace = newTrace(rule.id, `dry-${crypto.randomUUID()}`, data, [], this.#clock.now(), true);
    if (!skipConditions && !checkConditions(rule, trace, this.#runEnv())) {
      trace.status = "condition_failed";
      this.#finish(trace);
      return trace;
    }
    await executeActions(rule, trace, {
      ...this.#runEnv(),
      effects: DRY_EFFECTS,
      dryRun: true,
      signal: new AbortController().signal,
    });
    return trace;
  }

  #onTrigger(slot: Slot, trigger: TriggerData, chain: CauseLink[], skipConditions = false): StartOutcome {
    const { rule } = slot;
    const trace = newTrace(rule.id, crypto.randomUUID(), trigger, chain, this.#clock.now(), false);
    const loop = loopOf(rule.id, chain);
    if (loop !== undefined) {
      this.#stats.loops++;
      trace.status = "loop_detected";
      trace.reason = `loop: ${describeChain(loop, rule.id)}`;
      this.#ctx.log.warn(
        { rule: rule.id, chain: loop },
        `automation loop detected: ${describeChain(loop, rule.id)}`,
      );
      void this.#ctx.bus.publish("automation.loop_detected", {
        rule: rule.id,
        chain: loop,
        depth: loop.length,
      });
      this.#record(this.#finish(trace));
      return { runId: trace.runId, status: trace.status };
    }
    if (!skipConditions && rule.conditions.length > 0 && !checkConditions(rule, trace, this.#runEnv())) {
      trace.status = "condition_failed";
      this.#record(this.#finish(trace));
      return { runId: trace.runId, status: trace.status };
    }
    const now = this.#clock.now();
    while (slot.starts.length > 0 && (slot.starts[0] as number) <= now - 60_000) slot.starts.shift();
    if (slot.starts.length >= rule.maxRunsPerMinute) {
      this.#stats.rateLimited++;
      trace.status = "rate_limited";
      trace.reason = `more than ${rule.maxRunsPerMinute} runs in a minute`;
      this.#ctx.log.warn(
        { rule: rule.id, limit: rule.maxRunsPerMinute },
        "automation rate limited: run dropped",
      );
      this.#record(this.#finish(trace));
      return { runId: trace.runId, status: trace.status };
    }
    const busy = slot.running.size > 0;
    switch (rule.mode) {
      case "single":
        if (busy) return this.#drop(slot, trace, "single mode: a run is in progress");
        break;
      case "restart":
        this.#abortAll(slot, "restarted by a new trigger");
        break;
      case "queued":
        if (busy) {
          if (slot.queue.length >= rule.max) return this.#drop(slot, trace, `queue full (${rule.max})`);
          slot.queue.push({ trigger, chain, trace });
          slot.starts.push(now);
          return { runId: trace.runId, status: "queued" };
        }
        break;
      case "parallel":
        if (slot.running.size >= rule.max)
          return this.#drop(slot, trace, `${rule.max} runs in parallel already`);
        break;
    }
    slot.starts.push(now);
    this.#start(slot, trace);
    return { runId: trace.runId, status: "started" };
  }

  #drop(slot: Slot, trace: Trace, reason: string): StartOutcome {
    this.#stats.dropped++;
    trace.status = "dropped";
    trace.reason = reason;
    this.#ctx.log.info({ rule: slot.rule.id, reason }, "automation trigger dropped");
    this.#record(this.#finish(trace));
    return { runId: trace.runId, status: "dropped" };
  }

  #start(slot: Slot, trace: Trace): void {
    const { rule } = slot;
    const abort = new AbortController();
    // The trace's clock starts when the run does (a queued run waited).
    trace.startedAt = new Date(this.#clock.now()).toISOString();
    const run: ActiveRun = { trace, abort, done: Promise.resolve() };
    slot.running.add(run);
    this.#stats.runs++;
    const causedBy = [...trace.causedBy, { rule: rule.id, run: trace.runId }];
    void this.#ctx.bus.publish("automation.triggered", {
      rule: rule.id,
      runId: trace.runId,
      trigger: trace.trigger,
      causedBy,
    });
    run.done = executeActions(rule, trace, {
      ...this.#runEnv(),
      effects: this.#effects(),
      dryRun: false,
      signal: abort.signal,
    }).then(() => {
      slot.running.delete(run);
      this.#record(trace);
      if (trace.status === "failed") {
        this.#stats.failed++;
        this.#ctx.log.warn({ rule: rule.id, run: trace.runId, error: trace.error }, "automation run failed");
        void this.#ctx.bus.publish("automation.failed", {
          rule: rule.id,
          runId: trace.runId,
          error: trace.error,
          causedBy,
        });
      } else {
        void this.#ctx.bus.publish("automation.finished", {
          rule: rule.id,
          runId: trace.runId,
          status: trace.status,
          durationMs: trace.durationMs,
          causedBy,
        });
      }
      const next = slot.queue.shift();
      if (next !== undefined && !this.#stopping && this.#slots.get(rule.id) === slot)
        this.#start(slot, next.trace);
    });
  }

  #abortAll(slot: Slot, reason: string): void {
    for (const r of slot.running) {
      r.trace.reason = reason;
      r.abort.abort(reason);
    }
    for (const q of slot.queue.splice(0)) {
      q.trace.status = "dropped";
      q.trace.reason = reason;
      this.#record(this.#finish(q.trace));
    }
  }

  #finish(trace: Trace): Trace {
    const now = this.#clock.now();
    trace.finishedAt ??= new Date(now).toISOString();
    trace.durationMs ??= now - Date.parse(trace.startedAt);
    return trace;
  }

  #record(trace: Trace): void {
    const id = trace.rule;
    if (!this.#slots.has(id)) return;
    const list = this.#runs.get(id) ?? [];
    list.push(trace);
    if (list.length > RUNS_KEPT) list.splice(0, list.length - RUNS_KEPT);
    this.#runs.set(id, list);
    // Run history is re-derivable and written often: deferred, flushed with the other deferred data.
    void this.#ctx.storage
      .set(RUNS_NAMESPACE, id, { runs: list } as unknown as JsonObject, { deferred: true })
      .catch((err: unknown) => this.#ctx.log.warn({ rule: id, err: String(err) }, "run history not saved"));
  }

  // ---- wiring -----------------------------------------------------------------------------------

  #runEnv() {
    return { clock: this.#clock, timeZone: this.#timeZone, location: this.#location, state: this.#ctx.state };
  }

  triggerEnv(): TriggerEnv {
    return {
      bus: this.#ctx.bus,
      state: this.#ctx.state,
      clock: this.#clock,
      timeZone: this.#timeZone,
      location: this.#location,
      log: this.#ctx.log,
      causeOfChange: (p: StateChangedPayload) => this.#causes.causeOf(p, this.#clock.now()),
    };
  }

  #effects(): RunEffects {
    const { services, bus, state } = this.#ctx;
    const opts = { caller: "automation" };
    return {
      command: async (target, changes, chain) => {
        const now = this.#clock.now();
        if (target.device !== undefined) {
          this.#causes.commanded(target.device, changes, chain, now);
          await services.call("devices.command", { id: target.device, changes }, opts);
          return undefined;
        }
        for (const key of state.keys("devices/*")) {
          const view = state.get(key) as { id?: string; area?: unknown } | undefined;
          if (view !== undefined && view.area === target.area && typeof view.id === "string")
            this.#causes.commanded(view.id, changes, chain, now);
        }
        const result = (await services.call(
          "devices.command_area",
          { area: target.area, changes },
          opts,
        )) as {
          results: { id: string; ok: boolean; code?: string; message?: string }[];
        };
        const failed = result.results.filter((r) => !r.ok);
        if (failed.length > 0 && failed.length === result.results.length) {
          throw new HearthError(
            "AUTOMATION_ACTION_FAILED",
            `Every device in area "${target.area}" refused the command`,
            {
              data: result,
            },
          );
        }
        return result;
      },
      call: (service, params) => services.call(service, params, opts),
      publish: (event, payload) => bus.publish(event, payload),
      waitFor: (action, timeoutMs, signal) =>
        new Promise<TriggerData | undefined>((resolve, reject) => {
          const disarms: (() => void)[] = [];
          let timer: ReturnType<Clock["setTimeout"]> | undefined;
          const done = (value: TriggerData | undefined) => {
            for (const d of disarms) d();
            this.#clock.clearTimeout(timer);
            signal.removeEventListener("abort", onAbort);
            resolve(value);
          };
          const onAbort = () => done(undefined);
          signal.addEventListener("abort", onAbort, { once: true });
          try {
            action.triggers.forEach((t: Trigger, i: number) => {
              disarms.push(armTrigger(t, i, this.triggerEnv(), (data) => done(data)));
            });
          } catch (err) {
            // What was armed before the failure is disarmed; the step fails with the reason.
            for (const d of disarms) d();
            signal.removeEventListener("abort", onAbort);
            reject(err);
            return;
          }
          if (timeoutMs !== undefined) timer = this.#clock.setTimeout(() => done(undefined), timeoutMs);
        }),
    };
  }

  #armSlot(slot: Slot): void {
    if (!slot.rule.enabled || slot.disarm.length > 0) return;
    const env = this.triggerEnv();
    slot.rule.triggers.forEach((t, i) => {
      try {
        slot.disarm.push(armTrigger(t, i, env, (data, chain) => this.#fire(slot, data, chain)));
      } catch (err) {
        this.#ctx.log.warn({ rule: slot.rule.id, trigger: i, err: String(err) }, "trigger not armed");
      }
    });
  }

  #fire(slot: Slot, data: TriggerData, chain: CauseLink[]): void {
    if (this.#stopping || this.#slots.get(slot.rule.id) !== slot || !slot.rule.enabled) return;
    try {
      this.#onTrigger(slot, data, chain);
    } catch (err) {
      // A broken rule never affects the others or the publisher.
      this.#ctx.log.error({ rule: slot.rule.id, err: String(err) }, "automation trigger failed");
    }
  }

  #disarmSlot(slot: Slot): void {
    for (const d of slot.disarm.splice(0)) d();
  }

  #slot(id: string): Slot {
    const slot = this.#slots.get(id);
    if (slot === undefined) throw new HearthError("NOT_FOUND", `No automation "${id}"`, { data: { id } });
    return slot;
  }

  #newId(name: string): string {
    const base = name
      .toLowerCase()
      .normalize("NFKD")
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 48);
    let id = base === "" ? "rule" : base;
    if (!/^[a-z0-9]/.test(id)) id = `r${id}`;
    // An id made from a name never lands on a rule skipped at start (it would overwrite it).
    const taken = (candidate: string) =>
      this.#slots.has(candidate) || this.#skipped.has(RULES_NAMESPACE, candidate);
    for (let n = 2; taken(id); n++) id = `${base || "rule"}-${n}`;
    return id;
  }

  stats() {
    let enabled = 0;
    let running = 0;
    const withProblems: string[] = [];
    const refs = referencesOf(this.#ctx, this.#location);
    for (const s of this.#slots.values()) {
      if (s.rule.enabled) enabled++;
      running += s.running.size;
      if (s.rule.enabled && problemsOf(s.rule, this.#ctx, this.#location, refs).length > 0)
        withProblems.push(s.rule.id);
    }
    return {
      rules: this.#slots.size,
      enabled,
      running,
      withProblems,
      ...this.#stats,
      skipped: this.#skipped.describe(),
    };
  }
}

const DRY_EFFECTS: RunEffects = {
  command: async () => undefined,
  call: async () => undefined,
  publish: async () => undefined,
  waitFor: async () => undefined,
};
