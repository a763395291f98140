/**
 * Arming triggers: each trigger becomes bus subscriptions or clock timers that call `fire` with the
 * trigger data (what templates see as `trigger`) and the causal chain behind it. Arming returns the
 * function that disarms it. Used for a rule's triggers and for `wait_for_trigger`.
 */
import type { EventBus } from "../../kernel/bus/types.ts";
import type { Logger } from "../../kernel/log/types.ts";
import type { StateEngine } from "../../kernel/state/types.ts";
import type { CauseLink } from "./causality.ts";
import type { Clock, ClockTimer } from "./clock.ts";
import { atPath, compareValue, sameJson } from "./conditions.ts";
import { cronOfTime, type Location, nextCron, nextSun, parseDuration } from "./schedule.ts";
import type { Trigger } from "./schema.ts";

export type TriggerData = { id: string; type: string } & Record<string, unknown>;
export type Fire = (data: TriggerData, chain: CauseLink[]) => void;

export interface TriggerEnv {
  bus: EventBus;
  state: Pick<StateEngine, "get">;
  clock: Clock;
  timeZone: string;
  location: Location | undefined;
  log: Logger;
  /** The causal chain behind a device change (a run's command), or none. */
  causeOfChange(payload: StateChangedPayload): CauseLink[];
}

export interface StateChangedPayload {
  id: string;
  old: Record<string, unknown>;
  new: Record<string, unknown>;
  changed: string[];
  source: string;
}

const OWNER = "automation";

/** The chain an event carries in `causedBy` (events rules and this module publish), or none. */
export function chainOf(payload: unknown): CauseLink[] {
  const c = (payload as { causedBy?: unknown } | null)?.causedBy;
  if (!Array.isArray(c) || c.length > 64) return [];
  return c.filter(
    (l): l is CauseLink =>
      typeof l === "object" && l !== null && typeof l.rule === "string" && typeof l.run === "string",
  );
}

export function armTrigger(t: Trigger, index: number, env: TriggerEnv, fire: Fire): () => void {
  const id = t.id ?? String(index);
  switch (t.type) {
    case "event":
      return env.bus.subscribe(
        t.event,
        (e) => {
          if (t.match !== undefined) {
            for (const [path, want] of Object.entries(t.match)) {
              if (!sameJson(atPath(e.payload, path), want)) return;
            }
          }
          fire(
            { id, type: "event", event: { type: e.type, payload: e.payload, seq: e.seq } },
            chainOf(e.payload),
          );
        },
        { owner: OWNER },
      );
    case "device":
      return armDevice(t, id, env, fire);
    case "time":
      return armSchedule(
        env,
        (from) => nextCron(t.cron ?? cronOfTime(t.at as string), env.timeZone, from),
        (at) => fire({ id, type: "time", at: new Date(at).toISOString() }, []),
      );
    case "interval": {
      const every = parseDuration(t.every) as number;
      let due = env.clock.now();
      return armSchedule(
        env,
        (from) => {
          due += every;
          while (due <= from) due += every;
          return due;
        },
        (at) => fire({ id, type: "interval", at: new Date(at).toISOString() }, []),
      );
    }
    case "sun": {
      const location = env.location;
      if (location === undefined) return () => {}; // shown as a problem of the rule
      const offset = parseDuration(t.offset ?? 0) ?? 0;
      return armSchedule(
        env,
        (from) => nextSun(t.event, offset, location, from),
        (at) => fire({ id, type: "sun", event: t.event, offset, at: new Date(at).toISOString() }, []),
      );
    }
    case "presence": {
      if (t.event === "occupied" || t.event === "empty") {
        const type = t.event === "occupied" ? "presence.home_occupied" : "presence.home_empty";
        return env.bus.subscribe(
          type,
          (e) => fire({ id, type: "presence", event: t.event }, chainOf(e.payload)),
          {
            owner: OWNER,
          },
        );
      }
      const home = t.event === "arrives";
      return env.bus.subscribe(
        "presence.changed",
        (e) => {
          const p = e.payload as { personId?: unknown; home?: unknown };
          if (p?.home !== home) return;
          if (t.person !== undefined && p.personId !== t.person) return;
          fire(
            { id, type: "presence", event: t.event, personId: p.personId ?? null, home },
            chainOf(e.payload),
          );
        },
        { owner: OWNER },
      );
    }
    case "runtime_started":
      return env.bus.subscribe("$runtime.started", () => fire({ id, type: "runtime_started" }, []), {
        owner: OWNER,
      });
  }
}

/** Fires at each instant `next(from)` names; re-computed after every firing (DST-proof: croner decides). */
function armSchedule(
  env: TriggerEnv,
  next: (fromMs: number) => number | undefined,
  fire: (at: number) => void,
) {
  let timer: ClockTimer | undefined;
  let stopped = false;
  const schedule = (from: number) => {
    if (stopped) return;
    const at = next(from);
    if (at === undefined) return;
    timer = env.clock.setTimeout(() => {
      // A real timer may wake a little early: never compute the next time from before this one.
      schedule(Math.max(env.clock.now(), at));
      fire(at);
    }, at - env.clock.now());
  };
  schedule(env.clock.now());
  return () => {
    stopped = true;
    env.clock.clearTimeout(timer);
  };
}

function deviceMatches(t: Extract<Trigger, { type: "device" }>, deviceId: string, env: TriggerEnv): boolean {
  if (t.device !== undefined) return deviceId === t.device;
  const view = env.state.get(`devices/${deviceId}`) as { area?: unknown } | undefined;
  return view?.area === t.area;
}

function armDevice(t: Extract<Trigger, { type: "device" }>, id: string, env: TriggerEnv, fire: Fire) {
  const cap = t.capability;
  if (cap === "action") {
    return env.bus.subscribe(
      "device.action",
      (e) => {
        const p = e.payload as { id: string; action: string };
        if (!deviceMatches(t, p.id, env)) return;
        if (t.to !== undefined && !sameJson(p.action, t.to)) return;
        fire(
          { id, type: "device", device: { id: p.id, action: p.action }, capability: cap, to: p.action },
          [],
        );
      },
      { owner: OWNER },
    );
  }
  const forMs = t.for === undefined ? 0 : (parseDuration(t.for) as number);
  const holding = new Map<string, ClockTimer>();
  const target = { is: t.to, above: t.above, below: t.below };
  const unsubscribe = env.bus.subscribe(
    "device.state_changed",
    (e) => {
      const p = e.payload as StateChangedPayload;
      if (!deviceMatches(t, p.id, env)) return;
      let data: TriggerData;
      if (cap === undefined) {
        data = { id, type: "device", device: p };
      } else {
        if (!p.changed.includes(cap)) return;
        const from = p.old[cap];
        const to = p.new[cap];
        const now = compareValue(to, target);
        if (!now) {
          // The state left the target: a pending `for` is off.
          env.clock.clearTimeout(holding.get(p.id));
          holding.delete(p.id);
          return;
        }
        if (t.from !== undefined && !sameJson(from, t.from)) return;
        // above/below fire when the value crosses into the range, not on every report inside it.
        if ((t.above !== undefined || t.below !== undefined) && compareValue(from, target)) return;
        data = { id, type: "device", device: p, capability: cap, from: from ?? null, to: to ?? null };
      }
      const chain = env.causeOfChange(p);
      if (forMs === 0) return fire(data, chain);
      if (holding.has(p.id)) return; // already holding since an earlier change
      holding.set(
        p.id,
        env.clock.setTimeout(() => {
          holding.delete(p.id);
          fire({ ...data, for: forMs }, chain);
        }, forMs),
      );
    },
    { owner: OWNER },
  );
  // A hold is about a device that is there and answering: it ends when the device goes away.
  const release = (e: { payload: unknown }) => {
    const p = e.payload as { id?: unknown; available?: unknown };
    if (typeof p.id !== "string" || !holding.has(p.id)) return;
    if (e.payload !== null && "available" in (e.payload as object) && p.available !== false) return;
    env.clock.clearTimeout(holding.get(p.id));
    holding.delete(p.id);
  };
  const unsubscribeGone =
    forMs === 0
      ? []
      : [
          env.bus.subscribe("device.removed", release, { owner: OWNER }),
          env.bus.subscribe("device.availability_changed", release, { owner: OWNER }),
        ];
  return () => {
    unsubscribe();
    for (const u of unsubscribeGone) u();
    for (const timer of holding.values()) env.clock.clearTimeout(timer);
    holding.clear();
  };
}
