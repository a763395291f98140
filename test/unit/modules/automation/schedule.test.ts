import { describe, expect, it } from "bun:test";
import { createEventBus } from "../../../../src/kernel/bus/index.ts";
import { ManualClock } from "../../../../src/modules/automation/clock.ts";
import { type ConditionResult, checkAll } from "../../../../src/modules/automation/conditions.ts";
import { nextCron, parseDuration } from "../../../../src/modules/automation/schedule.ts";
import type { Condition } from "../../../../src/modules/automation/schema.ts";
import { armTrigger } from "../../../../src/modules/automation/triggers.ts";
import { captureLog } from "../../../helpers/log.ts";

const BERLIN = "Europe/Berlin";
const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

describe("durations", () => {
  it("reads ms, unit strings and clock strings, signed", () => {
    expect(parseDuration(1500)).toBe(1500);
    expect(parseDuration("90s")).toBe(90_000);
    expect(parseDuration("1h30m")).toBe(5_400_000);
    expect(parseDuration("-30m")).toBe(-1_800_000);
    expect(parseDuration("01:02:03")).toBe(3_723_000);
    expect(parseDuration("2 minutes")).toBeUndefined();
  });
});

describe("cron in a time zone across DST", () => {
  it("moves a time skipped by spring-forward to the first valid instant", () => {
    expect(iso(nextCron("0 30 2 * * *", BERLIN, Date.UTC(2026, 2, 28, 12)))).toBe("2026-03-29T01:00:00.000Z");
  });
  it("runs a time repeated by fall-back once", () => {
    const first = nextCron("0 30 2 * * *", BERLIN, Date.UTC(2026, 9, 24, 12)) as number;
    expect(iso(first)).toBe("2026-10-25T00:30:00.000Z");
    expect(iso(nextCron("0 30 2 * * *", BERLIN, first))).toBe("2026-10-26T01:30:00.000Z");
  });
  it("fires a time trigger on the injected clock only, at each local 07:00 across the change", async () => {
    const clock = new ManualClock(Date.UTC(2026, 2, 27, 12));
    const fired: string[] = [];
    const env = {
      bus: createEventBus({ logger: captureLog().logger }),
      state: { get: () => undefined },
      clock,
      timeZone: BERLIN,
      location: undefined,
      log: captureLog().logger,
      causeOfChange: () => [],
    };
    const disarm = armTrigger({ type: "time", at: "07:00" }, 0, env, (d) => fired.push(String(d.at)));
    await clock.set(Date.UTC(2026, 2, 30, 12));
    disarm();
    await clock.advance(86_400_000);
    expect(fired).toEqual([
      "2026-03-28T06:00:00.000Z",
      "2026-03-29T05:00:00.000Z",
      "2026-03-30T05:00:00.000Z",
    ]);
    expect(clock.pending).toBe(0);
  });
});

describe("time and sun conditions", () => {
  const check = (c: Condition, now: number, state: Record<string, unknown> = {}) => {
    const out: ConditionResult[] = [];
    const ok = checkAll(
      [c],
      {
        state: { get: <T>(k: string) => state[k] as T | undefined },
        now,
        timeZone: BERLIN,
        location: { latitude: 52.52, longitude: 13.405 },
        scope: {},
        triggerId: undefined,
      },
      "conditions",
      out,
    );
    return ok;
  };
  // Friday 16 January 2026, 23:00 Berlin = 22:00 UTC; Saturday 02:00 Berlin = 01:00 UTC.
  const friLate = Date.UTC(2026, 0, 16, 22);
  const satEarly = Date.UTC(2026, 0, 17, 1);
  const satNoon = Date.UTC(2026, 0, 17, 11);

  it("a window across midnight counts on the weekday it opened", () => {
    const night: Condition = { type: "time", after: "22:00", before: "06:00", weekdays: ["fri"] };
    expect(check(night, friLate)).toBe(true);
    expect(check(night, satEarly)).toBe(true);
    expect(check(night, satNoon)).toBe(false);
    expect(check({ ...night, weekdays: ["sat"] }, satEarly)).toBe(false);
  });

  it("after sunset before sunrise is the night", () => {
    const night: Condition = { type: "sun", after: "sunset", before: "sunrise" };
    expect(check(night, friLate)).toBe(true);
    expect(check(night, satEarly)).toBe(true);
    expect(check(night, satNoon)).toBe(false);
    expect(check({ type: "sun", after: "sunrise", before: "sunset" }, satNoon)).toBe(true);
    // Sunset is ~15:24 UTC: an hour's offset moves the edge.
    expect(check({ type: "sun", after: "sunset", afterOffset: "1h" }, Date.UTC(2026, 0, 17, 16))).toBe(false);
    expect(check({ type: "sun", after: "sunset" }, Date.UTC(2026, 0, 17, 16))).toBe(true);
  });

  it("presence and and/or/not read the presence keys", () => {
    const state = { "presence/anyone_home": false, "presence/ann": { home: true } };
    expect(check({ type: "presence", anyoneHome: false }, satNoon, state)).toBe(true);
    expect(check({ type: "presence", person: "ann", home: true }, satNoon, state)).toBe(true);
    expect(check({ type: "presence", person: "bob", home: false }, satNoon, state)).toBe(false);
    expect(
      check(
        {
          type: "or",
          conditions: [
            { type: "presence", anyoneHome: true },
            { type: "not", conditions: [{ type: "presence", person: "ann", home: false }] },
          ],
        },
        satNoon,
        state,
      ),
    ).toBe(true);
  });
});
