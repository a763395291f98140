/**
 * Conditions: evaluated against the current state (device views and presence keys in the state
 * engine), the clock, and the run's template scope. Each evaluation records what it saw, so a trace
 * shows why a rule did or did not go on.
 */
import type { StateEngine } from "../../kernel/state/types.ts";
import {
  type Location,
  parseDuration,
  previousWeekday,
  secondOfDay,
  sunToday,
  wallClock,
} from "./schedule.ts";
import type { Condition } from "./schema.ts";
import { renderTemplate, type TemplateScope, templateTruthy } from "./template.ts";

export interface ConditionEnv {
  state: Pick<StateEngine, "get">;
  now: number;
  timeZone: string;
  location: Location | undefined;
  scope: TemplateScope;
  /** The id of the trigger that started the run. */
  triggerId: string | undefined;
}

export interface ConditionResult {
  path: string;
  type: Condition["type"];
  result: boolean;
  /** What was compared: the value read, the window, the error. */
  detail?: Record<string, unknown>;
}

/** Evaluates all of `conditions` (AND); records one result per condition, nested ones included. */
export function checkAll(
  conditions: Condition[],
  env: ConditionEnv,
  path: string,
  out: ConditionResult[],
): boolean {
  let all = true;
  conditions.forEach((c, i) => {
    // Later conditions are still evaluated after a false one: the trace shows each.
    if (!checkOne(c, env, `${path}[${i}]`, out)) all = false;
  });
  return all;
}

export function compareValue(value: unknown, c: { is?: unknown; above?: number; below?: number }): boolean {
  if (c.is !== undefined && !sameJson(value, c.is)) return false;
  if (c.above !== undefined && !(typeof value === "number" && value > c.above)) return false;
  if (c.below !== undefined && !(typeof value === "number" && value < c.below)) return false;
  return true;
}

export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A value at a dot path inside an object (own properties only). */
export function atPath(value: unknown, path: string | undefined): unknown {
  if (path === undefined) return value;
  let cur = value;
  for (const seg of path.split(".")) {
    if (cur === null || typeof cur !== "object" || !Object.hasOwn(cur, seg)) return undefined;
    cur = (cur as Record<string, unknown>)[seg];
  }
  return cur;
}

function checkOne(c: Condition, env: ConditionEnv, path: string, out: ConditionResult[]): boolean {
  const record = (result: boolean, detail?: Record<string, unknown>) => {
    out.push(detail === undefined ? { path, type: c.type, result } : { path, type: c.type, result, detail });
    return result;
  };
  switch (c.type) {
    case "device": {
      const view = env.state.get(`devices/${c.device}`) as
        | { available?: boolean; state?: { reported?: Record<string, unknown> } }
        | undefined;
      if (view === undefined) return record(false, { error: `no device "${c.device}"` });
      const value = view.state?.reported?.[c.capability];
      const ok = compareValue(value, c) && (c.available === undefined || view.available === c.available);
      return record(ok, { value: value ?? null, available: view.available ?? null });
    }
    case "state": {
      const value = atPath(env.state.get(c.key), c.path);
      return record(value !== undefined && compareValue(value, c), { value: value ?? null });
    }
    case "time": {
      const w = wallClock(env.now, env.timeZone);
      const now = w.secondOfDay;
      const after = c.after === undefined ? undefined : secondOfDay(c.after);
      const before = c.before === undefined ? undefined : secondOfDay(c.before);
      let inWindow = true;
      // The weekday that counts is the one the window opened on (22:00-06:00 on fri covers sat 02:00).
      let day = w.weekday;
      if (after !== undefined && before !== undefined && after > before) {
        inWindow = now >= after || now < before;
        if (now < before) day = previousWeekday(day);
      } else {
        if (after !== undefined && now < after) inWindow = false;
        if (before !== undefined && now >= before) inWindow = false;
      }
      const dayOk = c.weekdays === undefined || c.weekdays.includes(day);
      return record(inWindow && dayOk, { time: hhmmss(now), weekday: day });
    }
    case "sun": {
      if (env.location === undefined) {
        return record(false, { error: "location.latitude/longitude are not configured" });
      }
      const sun = sunToday(env.now, env.location);
      const edge = (event: "sunrise" | "sunset" | undefined, offset: number | string | undefined) => {
        if (event === undefined) return undefined;
        const t = sun[event];
        return t === undefined ? Number.NaN : t + (parseDuration(offset ?? 0) ?? 0);
      };
      const after = edge(c.after, c.afterOffset);
      const before = edge(c.before, c.beforeOffset);
      let ok: boolean;
      if (after !== undefined && before !== undefined && after > before) {
        // after sunset, before sunrise: the night, across midnight.
        ok = env.now >= after || env.now < before;
      } else {
        ok = (after === undefined || env.now >= after) && (before === undefined || env.now < before);
      }
      return record(ok, {
        sunrise: iso(sun.sunrise),
        sunset: iso(sun.sunset),
        now: new Date(env.now).toISOString(),
      });
    }
    case "presence": {
      if (c.anyoneHome !== undefined) {
        const v = env.state.get("presence/anyone_home");
        if (typeof v !== "boolean")
          return record(false, { error: "no presence data (presence/anyone_home)" });
        return record(v === c.anyoneHome, { anyoneHome: v });
      }
      const p = env.state.get(`presence/${c.person}`) as { home?: unknown } | undefined;
      if (p === undefined || typeof p.home !== "boolean") {
        return record(false, { error: `no presence data for "${c.person}"` });
      }
      return record(p.home === c.home, { home: p.home });
    }
    case "trigger": {
      const ids = Array.isArray(c.id) ? c.id : [c.id];
      return record(env.triggerId !== undefined && ids.includes(env.triggerId), {
        trigger: env.triggerId ?? null,
      });
    }
    case "template": {
      try {
        const v = renderTemplate(c.value, env.scope);
        return record(templateTruthy(v), { value: v as never });
      } catch (err) {
        return record(false, { error: (err as Error).message });
      }
    }
    case "and":
      return record(checkAll(c.conditions, env, `${path}.conditions`, out));
    case "or": {
      let any = false;
      c.conditions.forEach((x, i) => {
        if (checkOne(x, env, `${path}.conditions[${i}]`, out)) any = true;
      });
      return record(any);
    }
    case "not": {
      let any = false;
      c.conditions.forEach((x, i) => {
        if (checkOne(x, env, `${path}.conditions[${i}]`, out)) any = true;
      });
      return record(!any);
    }
  }
}

function hhmmss(s: number): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(Math.floor(s / 3600))}:${p(Math.floor((s % 3600) / 60))}:${p(s % 60)}`;
}

function iso(ms: number | undefined): string | null {
  return ms === undefined ? null : new Date(ms).toISOString();
}
