/**
 * The presence module on a real runtime (issue 13): people with device and source trackers, the away
 * delay, overrides with an expiry, events and state keys, the HTTP API with its scopes and 422s, and a
 * restart. Time for the away delay and overrides is a manual clock; source TTLs are the state engine's
 * (real, kept tiny).
 */
import { afterAll, beforeEach, describe, expect, it } from "bun:test";
import type { BusEvent } from "../../src/kernel/bus/types.ts";
import type { PluginContext } from "../../src/sdk/index.ts";
import { type ManualClock, manualClock } from "../helpers/clock.ts";
import { type Booted, bootRuntime, dataDir, plugin, removeDataDirs } from "../helpers/runtime.ts";

const running: Booted[] = [];
afterAll(async () => {
  for (const r of running) await r.stop();
  removeDataDirs();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const AWAY_DELAY = 60_000;
const HALL = "sensors-hall";
const MOTION = "sensors-motion";

/** A plugin with an occupancy sensor, a motion sensor and a light; `sensors.ctx` reports for them. */
function sensors(holder: { ctx?: PluginContext<unknown> }) {
  return plugin("sensors", {
    async onStart(ctx) {
      holder.ctx = ctx;
      ctx.services.register("command", async () => ({ ok: true }));
      const announce = (externalId: string, name: string, type: string, capabilities: string[]) =>
        ctx.services.call("devices.announce", { externalId, name, type, capabilities });
      await announce("hall", "Hall presence", "sensor", ["occupancy"]);
      await announce("motion", "Hall motion", "sensor", ["motion"]);
      await announce("lamp", "Lamp", "light", ["on_off"]);
    },
  });
}

let b: Booted;
let clock: ManualClock;
let events: BusEvent[];
let dev: { ctx?: PluginContext<unknown> };
let control: string;
let reader: string;

async function boot(dir?: string, start?: number): Promise<Booted> {
  clock = manualClock(start);
  dev = {};
  const booted = await bootRuntime({
    dir,
    clock,
    plugins: [sensors(dev)],
    overrides: { "presence.awayDelayMs": AWAY_DELAY },
  });
  running.push(booted);
  events = [];
  booted.kernel.bus.subscribe("presence.*", (e) => {
    events.push(e);
  });
  control = (await booted.tokens.create({ name: "phone", scopes: ["control"] })).token;
  reader = (await booted.tokens.create({ name: "screen", scopes: ["read"] })).token;
  return booted;
}

const waitFor = async (cond: () => boolean, what: string, ms = 3000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
};
const of = (type: string) => events.filter((e) => e.type === type).map((e) => e.payload as Json);
const state = (key: string): Json => b.kernel.state.get(key);
const occupancy = (value: boolean) =>
  dev.ctx?.services.call("devices.report", { externalId: "hall", state: { occupancy: value } });
const post = (path: string, body: unknown, token?: string) =>
  b.request(path, { method: "POST", body: JSON.stringify(body), token });
const report = (tracker: string, home: boolean, token = control) =>
  post("/api/v1/presence/report", { tracker, home }, token);
const createPerson = async (body: unknown): Promise<Json> => {
  const res = await post("/api/v1/people", body);
  expect(res.status).toBe(201);
  return res.json();
};
const anna = (extra: Json = {}) =>
  createPerson({
    name: "Anna",
    trackers: [
      { type: "device", device: HALL },
      { type: "source", name: "anna-phone" },
    ],
    ...extra,
  });

describe("presence", () => {
  beforeEach(async () => {
    b = await boot();
  });

  it("creates, lists, reads, updates and deletes people with the scopes the issue names", async () => {
    const created = await anna();
    expect(created).toMatchObject({
      id: "anna",
      name: "Anna",
      home: false,
      awayDelayMs: null,
      override: null,
      trackers: {
        [`device:${HALL}`]: { type: "device", device: HALL, home: false, available: true },
        "source:anna-phone": { type: "source", name: "anna-phone", home: false, at: null },
      },
    });
    const listed: Json = await b.json("/api/v1/people", { token: reader });
    expect(listed.people.map((p: Json) => p.id)).toEqual(["anna"]);
    expect(await b.json("/api/v1/people/anna", { token: reader })).toMatchObject({ id: "anna" });
    expect((await post("/api/v1/people", { name: "Ben" }, control)).status).toBe(403);

    const patched: Json = await b.json("/api/v1/people/anna", {
      method: "PATCH",
      body: JSON.stringify({
        name: "Anna K",
        trackers: [{ type: "source", name: "anna-phone" }],
        awayDelayMs: 0,
      }),
    });
    expect(patched).toMatchObject({ name: "Anna K", awayDelayMs: 0 });
    expect(Object.keys(patched.trackers)).toEqual(["source:anna-phone"]);
    expect(state("presence/anna")).toMatchObject({ name: "Anna K" });

    expect((await b.request("/api/v1/people/anna", { method: "DELETE", token: control })).status).toBe(403);
    expect((await b.request("/api/v1/people/anna", { method: "DELETE" })).status).toBe(204);
    expect((await b.request("/api/v1/people/anna")).status).toBe(404);
    expect(state("presence/anna")).toBeUndefined();
    expect(await b.kernel.storage.listKeys("presence")).toEqual([]);
  });

  it("refuses invalid people with 422 naming the path, and a taken id with 409, storing nothing", async () => {
    const cases: [unknown, string][] = [
      [{ trackers: [] }, "name"],
      [{ name: "X", id: "Not A Slug" }, "id"],
      [{ name: "X", trackers: [{ type: "wifi", name: "x" }] }, "trackers.0.type"],
      [{ name: "X", trackers: [{ type: "source", name: "Bad Name!" }] }, "trackers.0.name"],
      [{ name: "X", trackers: [{ type: "device", device: MOTION }] }, "trackers.0.device"],
      [{ name: "X", trackers: [{ type: "device", device: "sensors-lamp" }] }, "trackers.0.device"],
      [{ name: "X", trackers: [{ type: "device", device: "nope" }] }, "trackers.0.device"],
      [
        {
          name: "X",
          trackers: [
            { type: "source", name: "p" },
            { type: "source", name: "p" },
          ],
        },
        "trackers.1",
      ],
      [{ name: "X", awayDelayMs: -1 }, "awayDelayMs"],
    ];
    for (const [body, path] of cases) {
      const res = await post("/api/v1/people", body);
      const err: Json = await res.json();
      expect({ path, status: res.status }).toEqual({ path, status: 422 });
      expect(err.error.data.issues.map((i: Json) => i.path.join("."))).toContain(path);
    }
    expect(await b.kernel.storage.listKeys("presence")).toEqual([]);
    expect(b.kernel.state.keys("presence/*")).toEqual(["presence/anyone_home"]);

    await anna();
    const dup = await post("/api/v1/people", { id: "anna", name: "Another Anna" });
    expect(dup.status).toBe(409);
    expect(((await dup.json()) as Json).error.code).toBe("PRESENCE_PERSON_EXISTS");
    // Without an id, the slug of the name gets a free suffix.
    expect((await createPerson({ name: "Anna" })).id).toBe("anna-2");
    const bad = await b.request("/api/v1/people/anna", {
      method: "PATCH",
      body: JSON.stringify({ trackers: [{ type: "device", device: MOTION }] }),
    });
    expect(bad.status).toBe(422);
    expect((await b.json<Json>("/api/v1/people/anna")).trackers).toHaveProperty(`device:${HALL}`);
  });

  it("is home at once through an occupancy device and away only after the away delay", async () => {
    await anna();
    expect(state("presence/anyone_home")).toBe(false);
    await occupancy(true);
    expect(state("presence/anna")).toMatchObject({ home: true, since: clock.now() });
    expect(state("presence/anyone_home")).toBe(true);
    await waitFor(() => of("presence.home_occupied").length === 1, "home_occupied");
    expect(of("presence.changed")).toEqual([
      { personId: "anna", name: "Anna", home: true, since: clock.now(), reason: "tracker" },
    ]);
    expect(of("presence.home_occupied")).toEqual([{ personId: "anna", people: ["anna"] }]);

    await occupancy(false);
    const leaving = state("presence/anna");
    expect(leaving.home).toBe(true);
    expect(leaving.awayAt).toBe(clock.now() + AWAY_DELAY);
    expect(leaving.trackers[`device:${HALL}`].home).toBe(false);
    clock.advance(AWAY_DELAY - 1);
    expect(state("presence/anna").home).toBe(true);
    clock.advance(1);
    expect(state("presence/anna")).toMatchObject({ home: false, awayAt: null, since: clock.now() });
    expect(state("presence/anyone_home")).toBe(false);
    await waitFor(() => of("presence.home_empty").length === 1, "home_empty");
    expect(of("presence.changed").map((p) => [p.home, p.reason])).toEqual([
      [true, "tracker"],
      [false, "away_delay"],
    ]);
    expect(of("presence.home_empty")).toEqual([{ personId: "anna", people: [] }]);
  });

  it("does not flap at the door: back within the away delay is never away", async () => {
    await anna();
    await occupancy(true);
    await occupancy(false);
    clock.advance(AWAY_DELAY / 2);
    await occupancy(true);
    expect(state("presence/anna").awayAt).toBeNull();
    clock.advance(AWAY_DELAY * 2);
    expect(state("presence/anna").home).toBe(true);
    await Bun.sleep(20);
    expect(of("presence.changed").map((p) => p.home)).toEqual([true]);
    expect(of("presence.home_empty")).toEqual([]);
  });

  it("takes source reports over HTTP with a control token; a report counts only within its TTL", async () => {
    await createPerson({ name: "Ben", trackers: [{ type: "source", name: "ben-phone", ttlMs: 40 }] });
    expect((await report("ben-phone", true, reader)).status).toBe(403);
    expect(
      (await b.request("/api/v1/presence/report", { method: "POST", body: "{}", token: null })).status,
    ).toBe(401);
    const unknown = await report("carl-phone", true);
    expect(unknown.status).toBe(404);
    const invalid = await post("/api/v1/presence/report", { tracker: "ben-phone", home: "yes" }, control);
    expect(invalid.status).toBe(422);
    expect(((await invalid.json()) as Json).error.data.issues[0].path).toEqual(["home"]);

    const res = await report("ben-phone", true);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      tracker: "ben-phone",
      home: true,
      expiresAt: clock.now() + 40,
      people: [{ id: "ben", home: true }],
    });
    expect(state("presence/ben").trackers["source:ben-phone"]).toMatchObject({ home: true, at: clock.now() });
    // Not renewed: the state engine expires it, and the away delay starts from there.
    await waitFor(() => state("presence/ben").awayAt !== null, "the report to expire");
    expect(state("presence/ben")).toMatchObject({
      home: true,
      trackers: { "source:ben-phone": { home: false } },
    });
    clock.advance(AWAY_DELAY);
    expect(state("presence/ben").home).toBe(false);
    expect(await b.kernel.storage.listKeys("presence.sources")).toEqual([]);

    // An explicit away report starts the delay too; with awayDelayMs 0 on the person, away is at once.
    await b.json("/api/v1/people/ben", { method: "PATCH", body: JSON.stringify({ awayDelayMs: 0 }) });
    await report("ben-phone", true);
    expect(state("presence/ben").home).toBe(true);
    await report("ben-phone", false);
    expect(state("presence/ben").home).toBe(false);
  });

  it("serves everyone's status and anyone_home, which stays true while one of two is home", async () => {
    await anna();
    await createPerson({ name: "Ben", trackers: [{ type: "source", name: "ben-phone" }], awayDelayMs: 0 });
    await report("ben-phone", true);
    await occupancy(true);
    const status: Json = await b.json("/api/v1/presence", { token: reader });
    expect(status).toEqual({
      anyoneHome: true,
      people: [
        { id: "anna", name: "Anna", home: true, since: clock.now(), override: false },
        { id: "ben", name: "Ben", home: true, since: clock.now(), override: false },
      ],
    });
    await report("ben-phone", false);
    expect(state("presence/anyone_home")).toBe(true);
    await occupancy(false);
    clock.advance(AWAY_DELAY);
    expect(state("presence/anyone_home")).toBe(false);
    await waitFor(() => of("presence.home_empty").length === 1, "home_empty");
    expect(of("presence.home_occupied")).toEqual([{ personId: "ben", people: ["ben"] }]);
    expect(of("presence.home_empty")).toEqual([{ personId: "anna", people: [] }]);
    expect((await b.json<Json>("/api/v1/presence")).anyoneHome).toBe(false);
  });

  it("overrides the trackers until the expiry, then lets them decide again", async () => {
    await anna();
    await occupancy(true);
    expect((await post("/api/v1/people/anna/override", { home: false }, reader)).status).toBe(403);
    const past = await post(
      "/api/v1/people/anna/override",
      { home: false, untilMs: clock.now() - 1 },
      control,
    );
    expect(past.status).toBe(422);
    expect(((await past.json()) as Json).error.data.issues[0].path).toEqual(["untilMs"]);
    const both = await post("/api/v1/people/anna/override", { home: false, untilMs: 1, forMs: 1 }, control);
    expect(both.status).toBe(422);
    expect((await post("/api/v1/people/nobody/override", { home: false }, control)).status).toBe(404);

    const untilMs = clock.now() + 3_600_000;
    const res = await post("/api/v1/people/anna/override", { home: false, untilMs }, control);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ home: false, override: { home: false, untilMs } });
    expect(state("presence/anyone_home")).toBe(false);
    // The trackers still say home; the override wins.
    await occupancy(false);
    await occupancy(true);
    expect(state("presence/anna").home).toBe(false);
    clock.advance(3_600_000);
    expect(state("presence/anna")).toMatchObject({ home: true, override: null });
    await waitFor(() => of("presence.changed").length === 3, "three changes");
    expect(of("presence.changed").map((p) => [p.home, p.reason])).toEqual([
      [true, "tracker"],
      [false, "override"],
      [true, "override_expired"],
    ]);

    // forMs, and clearing by hand.
    await post("/api/v1/people/anna/override", { home: false, forMs: 1000 }, control);
    expect(state("presence/anna").override.untilMs).toBe(clock.now() + 1000);
    const cleared = await b.request("/api/v1/people/anna/override", { method: "DELETE", token: control });
    expect(cleared.status).toBe(200);
    expect(state("presence/anna")).toMatchObject({ home: true, override: null });

    // Through the service too, as the automation module would call it.
    await b.kernel.services.call("presence.override", { personId: "anna", home: false });
    expect(state("presence/anna")).toMatchObject({ home: false, override: { untilMs: null } });
  });

  it("keeps people, overrides with their expiry and live source reports across a restart", async () => {
    const dir = b.dir;
    const start = clock.now();
    await anna();
    await createPerson({ name: "Ben", trackers: [{ type: "source", name: "ben-phone", ttlMs: 3_600_000 }] });
    await createPerson({
      name: "Carl",
      trackers: [{ type: "source", name: "carl-phone", ttlMs: 3_600_000 }],
    });
    await report("ben-phone", true);
    await report("carl-phone", true);
    await post("/api/v1/people/carl/override", { home: false, untilMs: start + 600_000 }, control);
    await occupancy(true);
    const before = { anna: state("presence/anna"), ben: state("presence/ben"), carl: state("presence/carl") };
    await b.stop();

    b = await boot(dir, start + 1000);
    expect((await b.json<Json>("/api/v1/people")).people.map((p: Json) => p.id)).toEqual([
      "anna",
      "ben",
      "carl",
    ]);
    expect(state("presence/ben")).toMatchObject({
      home: true,
      since: before.ben.since,
      trackers: { "source:ben-phone": { home: true, expiresAt: start + 3_600_000 } },
    });
    expect(state("presence/carl")).toMatchObject({
      home: false,
      override: { home: false, untilMs: start + 600_000 },
    });
    // The hall sensor's occupancy came back with the device.
    expect(state("presence/anna")).toMatchObject({ home: true, since: before.anna.since });
    expect(state("presence/anyone_home")).toBe(true);
    await Bun.sleep(20);
    expect(of("presence.changed")).toEqual([]);

    clock.advance(600_000);
    expect(state("presence/carl")).toMatchObject({ home: true, override: null });
  });

  it("lets a person's home flag go when they are deleted, and empties the home", async () => {
    await anna();
    await occupancy(true);
    await b.request("/api/v1/people/anna", { method: "DELETE" });
    expect(state("presence/anyone_home")).toBe(false);
    await waitFor(() => of("presence.home_empty").length === 1, "home_empty");
    expect(of("presence.home_empty")).toEqual([{ personId: "anna", people: [] }]);
  });
});

describe("presence after an away delay across a restart", () => {
  it("keeps a person home who was leaving, and lets the delay run again from the start", async () => {
    b = await boot(dataDir());
    await anna();
    await occupancy(true);
    await occupancy(false);
    const dir = b.dir;
    await b.stop();
    b = await boot(dir);
    expect(state("presence/anna").home).toBe(true);
    // The device reports again when its plugin starts; nothing says home.
    expect(state("presence/anna").awayAt).toBe(clock.now() + AWAY_DELAY);
    clock.advance(AWAY_DELAY);
    expect(state("presence/anna").home).toBe(false);
  });

  it("ends at start an override whose time passed while Hearth was down", async () => {
    b = await boot(dataDir());
    const start = clock.now();
    await anna();
    await post("/api/v1/people/anna/override", { home: true, forMs: 60_000 }, control);
    expect(state("presence/anna").home).toBe(true);
    const dir = b.dir;
    await b.stop();
    b = await boot(dir, start + 120_000);
    // Ended when the module started (before this test could subscribe to the event).
    expect(state("presence/anna")).toMatchObject({ home: false, override: null, since: start + 120_000 });
    expect((await b.kernel.storage.get("presence.status", "anna"))?.override).toBeNull();
  });
});
