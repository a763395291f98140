/**
 * Time arithmetic for rules: durations, wall-clock times in the configured time zone, cron (croner,
 * which handles DST: a time skipped by spring-forward runs at the first valid instant after it, a
 * time repeated by fall-back runs once) and sunrise/sunset (suncalc). Everything takes "now" as an
 * argument: the module's clock decides what time it is.
 */
import { Cron } from "croner";
import { getTimes } from "suncalc";

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Milliseconds of a duration (a number, "90s", "1h30m", "-30m", "01:30:00"); undefined if malformed. */
export function parseDuration(value: number | string): number | undefined {
  if (typeof value === "number") return Number.isFinite(value) ? value : undefined;
  const s = value.trim();
  const sign = s.startsWith("-") ? -1 : 1;
  const body = s.replace(/^[+-]/, "");
  const clock = /^(\d{1,3}):([0-5]\d)(?::([0-5]\d))?$/.exec(body);
  if (clock) {
    const [, h, m, sec] = clock;
    return sign * (Number(h) * 3_600_000 + Number(m) * 60_000 + Number(sec ?? 0) * 1000);
  }
  if (!/^(\d+(ms|s|m|h|d))+$/.test(body)) return undefined;
  let total = 0;
  for (const [, n, unit] of body.matchAll(/(\d+)(ms|s|m|h|d)/g))
    total += Number(n) * (UNIT_MS[unit as string] as number);
  return sign * total;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** Wall-clock fields of an instant in a time zone. */
export function wallClock(
  ms: number,
  timeZone: string,
): { secondOfDay: number; weekday: Weekday; date: string } {
  let f = formatters.get(timeZone);
  if (f === undefined) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      weekday: "short",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formatters.set(timeZone, f);
  }
  const parts: Record<string, string> = {};
  for (const p of f.formatToParts(new Date(ms))) parts[p.type] = p.value;
  const weekday = (parts.weekday ?? "Sun").toLowerCase().slice(0, 3) as Weekday;
  return {
    secondOfDay: Number(parts.hour) * 3600 + Number(parts.minute) * 60 + Number(parts.second),
    weekday,
    date: `${parts.year}-${parts.month}-${parts.day}`,
  };
}

/** Seconds since midnight of "HH:MM[:SS]". */
export function secondOfDay(hhmm: string): number {
  const [h, m, s] = hhmm.split(":").map(Number);
  return (h ?? 0) * 3600 + (m ?? 0) * 60 + (s ?? 0);
}

export function previousWeekday(d: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(d) + 6) % 7] as Weekday;
}

/** The cron expression of a daily "HH:MM[:SS]". */
export function cronOfTime(at: string): string {
  const [h, m, s] = at.split(":").map(Number);
  return `${s ?? 0} ${m} ${h} * * *`;
}

const crons = new Map<string, Cron>();

/** The first instant strictly after `fromMs` that the cron expression names, in the time zone. */
export function nextCron(expression: string, timeZone: string, fromMs: number): number | undefined {
  const key = `${timeZone}\u0000${expression}`;
  let c = crons.get(key);
  if (c === undefined) {
    c = new Cron(expression, { timezone: timeZone, paused: true });
    if (crons.size > 4096) crons.clear();
    crons.set(key, c);
  }
  return c.nextRun(new Date(fromMs))?.getTime();
}

export interface Location {
  latitude: number;
  longitude: number;
}

/** Sunrise or sunset of the solar day around `dayMs`; undefined where it does not happen (polar). */
export function sunTime(event: "sunrise" | "sunset", dayMs: number, at: Location): number | undefined {
  const t = getTimes(new Date(dayMs), at.latitude, at.longitude)[event];
  return t instanceof Date && !Number.isNaN(t.getTime()) ? t.getTime() : undefined;
}

/** The next sunrise/sunset (plus offset) strictly after `fromMs`, within the next few days. */
export function nextSun(
  event: "sunrise" | "sunset",
  offsetMs: number,
  at: Location,
  fromMs: number,
): number | undefined {
  for (let day = -1; day <= 3; day++) {
    const t = sunTime(event, fromMs + day * 86_400_000, at);
    if (t !== undefined && t + offsetMs > fromMs) return t + offsetMs;
  }
  return undefined;
}

/** Sunrise and sunset of the local solar day that contains `nowMs`. */
export function sunToday(nowMs: number, at: Location): { sunrise?: number; sunset?: number } {
  // suncalc's day is the solar day nearest the instant given: noon at the location's longitude.
  const solarNoonOffset = -(at.longitude / 360) * 86_400_000;
  const dayStart = Math.floor((nowMs - solarNoonOffset) / 86_400_000) * 86_400_000;
  const noon = dayStart + 43_200_000 + solarNoonOffset;
  return { sunrise: sunTime("sunrise", noon, at), sunset: sunTime("sunset", noon, at) };
}
