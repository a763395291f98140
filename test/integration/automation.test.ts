/**
 * The automation module end to end (issue 13): the demo house, the HTTP API and a ManualClock, so no
 * test waits in real time for a delay, a `for`, a cron time or the sunset.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { removeDataDirs } from "../helpers/runtime.ts";
import { bootHouse, type House, type Json, of, settle, until } from "./automation-harness.ts";

const running: House[] = [];
afterAll(async () => {
  for (const h of running) await h.stop();
  removeDataDirs();
});
async function house(options: Parameters<typeof bootHouse>[0] = {}): Promise<House> {
  const h = await bootHouse(options);
  running.push(h);
  return h;
}

const HALL_LIGHT = {
  id: "hall-light",
  name: "Hall light on motion",
  mode: "restart",
  triggers: [{ type: "device", device: "demo-motion", capability: "motion", to: true }],
  conditions: [
    { type: "sun", after: "sunset", before: "sunrise" },
    { type: "presence", anyoneHome: false },
  ],
  actions: [
    { type: "device_command", device: "demo-light", changes: { on_off: true } },
    { type: "delay", ms: 120_000 },
    { type: "device_command", device: "demo-light", changes: { on_off: false } },
  ],
};

describe("the hall light rule", () => {
  it("turns the light on for motion after sunset while nobody is home, and off 2 minutes after the last motion", async () => {
    const h = await house();
    h.kernel.state.set("presence/anyone_home", false);
    await h.create(HALL_LIGHT);
    const motion = async () => {
      await h.report("motion", { motion: true });
      await h.report("motion", { motion: false });
    };

    // 13:00 in Berlin: the sun is up, nothing happens (and the trace says why).
    await motion();
    expect(h.reported("demo-light").on_off).toBe(false);
    let runs = await h.runs("hall-light");
    expect(runs[0].status).toBe("condition_failed");
    expect(runs[0].conditions[0]).toMatchObject({ type: "sun", result: false });

    // Someone is home after dark: still nothing.
    await h.clock.set(Date.UTC(2026, 0, 15, 18, 0, 0));
    h.kernel.state.set("presence/anyone_home", true);
    await motion();
    expect(h.reported("demo-light").on_off).toBe(false);
    runs = await h.runs("hall-light");
    expect(runs[0].conditions.map((c: Json) => c.result)).toEqual([true, false]);

    // Nobody home, after sunset: on.
    h.kernel.state.set("presence/anyone_home", false);
    await motion();
    await until(() => h.reported("demo-light").on_off === true, "the hall light on");

    // More motion 90 s later restarts the run: the light stays on past the first 2 minutes...
    await h.clock.advance(90_000);
    await motion();
    await h.clock.advance(60_000);
    await settle();
    expect(h.reported("demo-light").on_off).toBe(true);
    // ...and goes off 2 minutes after the last motion.
    await h.clock.advance(60_000);
    await until(() => h.reported("demo-light").on_off === false, "the hall light off");

    runs = await h.runs("hall-light");
    expect(runs.slice(0, 2).map((r: Json) => r.status)).toEqual(["finished", "aborted"]);
    expect(runs[1].reason).toBe("restarted by a new trigger");
    const done = runs[0];
    expect(done.steps.map((s: Json) => [s.path, s.type, s.outcome])).toEqual([
      ["actions[0]", "device_command", "ok"],
      ["actions[1]", "delay", "ok"],
      ["actions[2]", "device_command", "ok"],
    ]);
    expect(done.steps[1].durationMs).toBe(120_000);
    expect(done.trigger).toMatchObject({
      type: "device",
      capability: "motion",
      to: true,
      device: { id: "demo-motion" },
    });
    expect(
      of(h.events, "automation.finished").some((p) => p.runId === done.runId && p.status === "finished"),
    ).toBe(true);
    expect(of(h.events, "automation.triggered").filter((p) => p.rule === "hall-light")).toHaveLength(2);
  });
});

describe("device triggers with for", () => {
  it("fire only when the state has held for the whole duration", async () => {
    const h = await house();
    await h.create({
      id: "door-open",
      name: "Door left open",
      triggers: [{ type: "device", device: "demo-door", capability: "contact", to: false, for: "5m" }],
      actions: [{ type: "publish", event: "house.door_left_open", payload: { since: "{{ trigger.for }}" } }],
    });
    await h.report("door", { contact: false });
    await h.clock.advance(4 * 60_000);
    await h.report("door", { contact: true }); // closed before 5 minutes: nothing
    await h.clock.advance(10 * 60_000);
    expect(of(h.events, "house.door_left_open")).toHaveLength(0);

    await h.report("door", { contact: false });
    await h.report("door", { battery: 50 }); // another capability: the hold goes on
    await h.clock.advance(5 * 60_000 - 1);
    expect(of(h.events, "house.door_left_open")).toHaveLength(0);
    await h.clock.advance(1);
    await until(() => of(h.events, "house.door_left_open").length === 1, "the door event");
    expect(of(h.events, "house.door_left_open")[0]).toMatchObject({ since: 300_000 });
  });

  it("drop a hold when the device is removed", async () => {
    const h = await house();
    await h.create({
      id: "door-open",
      name: "Door left open",
      triggers: [{ type: "device", device: "demo-door", capability: "contact", to: false, for: "5m" }],
      actions: [{ type: "publish", event: "house.door_left_open" }],
    });
    await h.report("door", { contact: false });
    await h.clock.advance(60_000);
    expect((await h.request("/api/v1/devices/demo-door", { method: "DELETE" })).status).toBe(204);
    await h.clock.advance(10 * 60_000);
    expect(of(h.events, "house.door_left_open")).toHaveLength(0);
  });

  it("above fires when a value crosses into the range, not on every report inside it", async () => {
    const h = await house();
    await h.create({
      id: "too-warm",
      name: "Too warm",
      triggers: [{ type: "device", device: "demo-climate", capability: "temperature", above: 25 }],
      actions: [
        { type: "publish", event: "house.too_warm", payload: { t: "{{ trigger.device.new.temperature }}" } },
      ],
    });
    await h.report("climate", { temperature: 26 });
    await h.report("climate", { temperature: 27 });
    await h.report("climate", { temperature: 20 });
    await h.report("climate", { temperature: 25.5 });
    await until(() => of(h.events, "house.too_warm").length === 2, "two crossings");
    expect(of(h.events, "house.too_warm").map((p) => p.t)).toEqual([26, 25.5]);
  });
});

describe("time triggers", () => {
  it("run at 02:30 Berlin time across both DST changes: at 03:00 on the spring day, once on the autumn day", async () => {
    const h = await house({ start: Date.UTC(2026, 2, 28, 12, 0, 0) });
    await h.create({
      id: "nightly",
      name: "Nightly",
      triggers: [{ type: "time", at: "02:30" }],
      actions: [{ type: "publish", event: "house.nightly" }],
    });
    await h.clock.set(Date.UTC(2026, 2, 30, 12, 0, 0));
    await h.json("/api/v1/automations/nightly/disable", { method: "POST" });
    await h.clock.set(Date.UTC(2026, 9, 24, 12, 0, 0));
    await h.json("/api/v1/automations/nightly/enable", { method: "POST" });
    await h.clock.set(Date.UTC(2026, 9, 26, 12, 0, 0));
    await settle();
    const at = (await h.runs("nightly")).map((r: Json) => r.trigger.at).reverse();
    expect(at).toEqual([
      "2026-03-29T01:00:00.000Z", // 02:30 does not exist: 03:00 CEST
      "2026-03-30T00:30:00.000Z", // 02:30 CEST
      "2026-10-25T00:30:00.000Z", // 02:30 CEST, the first of the two; not again an hour later
      "2026-10-26T01:30:00.000Z", // 02:30 CET
    ]);
  });

  it("sunset with an offset is scheduled on the clock", async () => {
    const h = await house();
    await h.create({
      id: "dusk",
      name: "Dusk",
      triggers: [{ type: "sun", id: "sun", event: "sunset", offset: "-30m" }],
      actions: [{ type: "publish", event: "house.dusk", payload: { at: "{{ trigger.at }}" } }],
    });
    await h.clock.set(Date.UTC(2026, 0, 15, 16, 0, 0));
    await until(() => of(h.events, "house.dusk").length === 1, "dusk");
    // Sunset in Berlin on 15 January 2026 is 15:22 UTC; 30 minutes before.
    expect(of(h.events, "house.dusk")[0].at).toMatch(/^2026-01-15T14:5[12]:/);
  });
});

describe("loop protection", () => {
  it("stops a rule re-triggered by its own commands and names the chain", async () => {
    const h = await house();
    await h.create({
      id: "toggle",
      name: "Toggle forever",
      mode: "parallel",
      triggers: [{ type: "device", device: "demo-light", capability: "on_off" }],
      actions: [
        {
          type: "device_command",
          device: "demo-light",
          changes: { on_off: "{{ not trigger.device.new.on_off }}" },
        },
      ],
    });
    await h.json("/api/v1/devices/demo-light/command", {
      method: "POST",
      body: JSON.stringify({ on_off: true }),
    });
    await until(() => of(h.events, "automation.loop_detected").length === 1, "the loop detected");
    await settle(10);
    const [loop] = of(h.events, "automation.loop_detected");
    expect(loop.rule).toBe("toggle");
    expect(loop.chain).toHaveLength(5);
    expect(loop.chain.every((l: Json) => l.rule === "toggle")).toBe(true);
    expect(of(h.events, "automation.triggered").filter((p) => p.rule === "toggle")).toHaveLength(5);
    const line = h.log.lines.find((l) => String(l.msg).startsWith("automation loop detected"));
    expect(String(line?.msg)).toMatch(
      /toggle#\w+ → toggle#\w+ → toggle#\w+ → toggle#\w+ → toggle#\w+ → toggle$/,
    );
    const runs = await h.runs("toggle");
    expect(runs[0].status).toBe("loop_detected");
    // The chain is the runs themselves, oldest first: each run was caused by the one before.
    const started = runs.filter((r: Json) => r.status === "finished").reverse();
    expect(started[3].causedBy.map((l: Json) => l.run)).toEqual(
      started.slice(0, 3).map((r: Json) => r.runId),
    );
  });

  it("caps the runs of a rule per minute", async () => {
    const h = await house();
    await h.create({
      id: "chatty",
      name: "Chatty",
      maxRunsPerMinute: 2,
      mode: "parallel",
      triggers: [{ type: "event", event: "test.go" }],
      actions: [{ type: "publish", event: "test.done" }],
    });
    for (let i = 0; i < 3; i++) await h.kernel.bus.publish("test.go", {});
    await settle();
    expect((await h.runs("chatty")).map((r: Json) => r.status).sort()).toEqual([
      "finished",
      "finished",
      "rate_limited",
    ]);
    await h.clock.advance(60_000);
    await h.kernel.bus.publish("test.go", {});
    await settle();
    expect((await h.runs("chatty"))[0].status).toBe("finished");
  });
});

describe("modes", () => {
  const rule = (mode: string, extra: Json = {}) => ({
    id: mode,
    name: `Mode ${mode}`,
    mode,
    ...extra,
    triggers: [{ type: "event", event: "test.go", match: { mode } }],
    actions: [
      { type: "delay", ms: 1000 },
      { type: "publish", event: "test.done", payload: { mode, n: "{{ trigger.event.payload.n }}" } },
    ],
  });
  const go = async (h: House, mode: string, n: number) => {
    await h.kernel.bus.publish("test.go", { mode, n });
  };
  const done = (h: House, mode: string) =>
    of(h.events, "test.done")
      .filter((p) => p.mode === mode)
      .map((p) => p.n);

  it("single drops a trigger while a run is in progress, and notes it", async () => {
    const h = await house();
    await h.create(rule("single"));
    await go(h, "single", 1);
    await go(h, "single", 2);
    await h.clock.advance(1000);
    await until(() => done(h, "single").length === 1, "the first run");
    expect(done(h, "single")).toEqual([1]);
    const runs = await h.runs("single");
    expect(runs.map((r: Json) => r.status)).toEqual(["finished", "dropped"]);
    expect(runs[1].reason).toMatch(/in progress/);
  });

  it("restart aborts the running run and starts again", async () => {
    const h = await house();
    await h.create(rule("restart"));
    await go(h, "restart", 1);
    await go(h, "restart", 2);
    await h.clock.advance(1000);
    await until(() => done(h, "restart").length === 1, "the second run");
    expect(done(h, "restart")).toEqual([2]);
  });

  it("queued runs one after the other, up to max waiting", async () => {
    const h = await house();
    await h.create(rule("queued", { max: 1 }));
    for (const n of [1, 2, 3]) await go(h, "queued", n);
    await h.clock.advance(1000);
    await until(() => done(h, "queued").length === 1, "the first run");
    await h.clock.advance(1000);
    await until(() => done(h, "queued").length === 2, "the queued run");
    expect(done(h, "queued")).toEqual([1, 2]);
    expect((await h.runs("queued")).map((r: Json) => r.status)).toEqual(["finished", "finished", "dropped"]);
  });

  it("parallel runs at most max at once", async () => {
    const h = await house();
    await h.create(rule("parallel", { max: 2 }));
    for (const n of [1, 2, 3]) await go(h, "parallel", n);
    await h.clock.advance(1000);
    await until(() => done(h, "parallel").length === 2, "two runs");
    expect(done(h, "parallel").sort()).toEqual([1, 2]);
  });
});

describe("the dry run", () => {
  const RULE = {
    id: "evening",
    name: "Evening",
    triggers: [{ type: "event", event: "test.evening" }],
    variables: { level: "{{ trigger.level * 10 }}" },
    actions: [
      { type: "device_command", device: "demo-light", changes: { on_off: true, brightness: "{{ level }}" } },
      { type: "delay", ms: 60_000 },
      { type: "service_call", service: "demo.ping" },
      {
        type: "if",
        if: [{ type: "template", value: "{{ level > 50 }}" }],
        // biome-ignore lint/suspicious/noThenProperty: if/then/else is the rule format
        then: [{ type: "publish", event: "house.bright", payload: { level: "{{ level }}" } }],
        else: [{ type: "publish", event: "house.dim", payload: { level: "{{ level }}" } }],
      },
    ],
  };

  it("changes nothing and returns the trace a real run then matches", async () => {
    const h = await house();
    await h.create(RULE);
    const before = h.kernel.state.get("devices/demo-light");
    const seen = h.events.length;
    const dry = await h.json<Json>("/api/v1/automations/evening/test", {
      method: "POST",
      body: JSON.stringify({ trigger: { level: 7 } }),
    });
    await settle();
    expect(dry.dryRun).toBe(true);
    expect(dry.status).toBe("finished");
    expect(dry.steps.map((s: Json) => [s.path, s.outcome])).toEqual([
      ["actions[0]", "simulated"],
      ["actions[1]", "skipped"],
      ["actions[2]", "simulated"],
      ["actions[3]", "ok"],
      ["actions[3].then[0]", "simulated"],
    ]);
    expect(dry.steps[0].input).toEqual({ device: "demo-light", changes: { on_off: true, brightness: 70 } });
    // Nothing happened: no command, no publish, no run recorded, no automation event.
    expect(h.kernel.state.get("devices/demo-light")).toEqual(before);
    expect(h.events.slice(seen).map((e) => e.type)).toEqual([]);
    expect(await h.runs("evening")).toEqual([]);

    // The real run does what the dry run said.
    const started = await h.json<Json>("/api/v1/automations/evening/run", {
      method: "POST",
      body: JSON.stringify({ trigger: { level: 7 } }),
    });
    expect(started.status).toBe("started");
    await until(() => h.reported("demo-light").brightness === 70, "the light at 70");
    await h.clock.advance(60_000);
    await until(() => of(h.events, "house.bright").length === 1, "the publish");
    const [real] = await h.runs("evening");
    const shape = (t: Json) => t.steps.map((s: Json) => ({ path: s.path, type: s.type, input: s.input }));
    expect(shape(real)).toEqual(shape(dry));
    expect(real.steps.map((s: Json) => s.outcome)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(of(h.events, "house.bright")[0]).toMatchObject({
      level: 70,
      causedBy: [{ rule: "evening", run: real.runId }],
    });
  });

  it("takes an unsaved rule body and stores nothing", async () => {
    const h = await house();
    const { id: _id, ...unsaved } = RULE;
    const dry = await h.json<Json>("/api/v1/automations/test", {
      method: "POST",
      body: JSON.stringify({ rule: unsaved, trigger: { level: 2 } }),
    });
    expect(dry.steps.at(-1)).toMatchObject({
      path: "actions[3].else[0]",
      input: { event: "house.dim", payload: { level: 20 } },
    });
    expect((await h.json<Json>("/api/v1/automations")).automations).toEqual([]);
    expect(await h.kernel.storage.listKeys("automation")).toEqual([]);
  });
});

describe("validation, problems and scopes", () => {
  it("refuses invalid rules with 422 naming the path, and stores nothing", async () => {
    const h = await house();
    const cases: [Json, (string | number)[]][] = [
      [{ ...HALL_LIGHT, triggers: [{ type: "device", capability: "motion" }] }, ["triggers", 0, "device"]],
      [{ ...HALL_LIGHT, actions: [{ type: "teleport" }] }, ["actions", 0, "type"]],
      [{ ...HALL_LIGHT, actions: [{ type: "delay", ms: "{{ 1 + }}" }] }, ["actions", 0, "ms"]],
      [{ ...HALL_LIGHT, conditions: [{ type: "time", after: "25:00" }] }, ["conditions", 0, "after"]],
      [{ ...HALL_LIGHT, triggers: [{ type: "time", cron: "not a cron" }] }, ["triggers", 0, "cron"]],
      [{ ...HALL_LIGHT, mode: "sometimes" }, ["mode"]],
      [
        { ...HALL_LIGHT, triggers: [{ type: "device", device: "demo-door", to: true }] },
        ["triggers", 0, "to"],
      ],
      [
        { ...HALL_LIGHT, actions: [{ type: "publish", event: "device.state_changed" }] },
        ["actions", 0, "event"],
      ],
    ];
    for (const [body, path] of cases) {
      const res = await h.request("/api/v1/automations", { method: "POST", body: JSON.stringify(body) });
      expect(res.status).toBe(422);
      const err = ((await res.json()) as Json).error;
      expect(err.code).toBe("VALIDATION_FAILED");
      expect(err.data.issues.map((i: Json) => i.path)).toContainEqual(path);
    }
    // The service refuses the same way (a rule written by another tool, not through HTTP).
    await expect(
      h.kernel.services.call("automation.create", { name: "x", triggers: [], actions: [] }),
    ).rejects.toMatchObject({
      code: "VALIDATION_FAILED",
    });
    expect(await h.kernel.storage.listKeys("automation")).toEqual([]);
  });

  it("accepts rules with missing devices or services but shows problems and degrades health", async () => {
    const h = await house();
    expect(h.kernel.modules.health().modules.automation?.status).toBe("healthy");
    const view = await h.create({
      id: "ghost",
      name: "Ghost",
      triggers: [{ type: "device", device: "no-such-sensor", capability: "motion", to: true }],
      actions: [
        { type: "device_command", area: "attic", changes: { on_off: true } },
        { type: "service_call", service: "nowhere.nothing" },
      ],
    });
    expect(view.problems).toEqual([
      'triggers[0]: no device "no-such-sensor"',
      'actions[0]: no device in area "attic"',
      'actions[1]: no service "nowhere.nothing"',
    ]);
    expect(h.kernel.modules.health().modules.automation).toMatchObject({ status: "degraded" });
    expect(h.kernel.modules.health().modules.automation?.detail).toContain("ghost");
    await h.json("/api/v1/automations/ghost/disable", { method: "POST" });
    expect(h.kernel.modules.health().modules.automation?.status).toBe("healthy");
  });

  it("reads with read, runs and tests with control, changes rules with admin", async () => {
    const h = await house();
    await h.create({ ...HALL_LIGHT, conditions: [] });
    const read = (await h.tokens.create({ name: "r", scopes: ["read"] })).token;
    const control = (await h.tokens.create({ name: "c", scopes: ["control"] })).token;
    expect((await h.request("/api/v1/automations", { token: read })).status).toBe(200);
    expect((await h.request("/api/v1/automations/hall-light/runs", { token: read })).status).toBe(200);
    expect(
      (await h.request("/api/v1/automations/hall-light/test", { method: "POST", token: read, body: "{}" }))
        .status,
    ).toBe(403);
    expect(
      (await h.request("/api/v1/automations/hall-light/test", { method: "POST", token: control, body: "{}" }))
        .status,
    ).toBe(200);
    expect(
      (await h.request("/api/v1/automations/hall-light/disable", { method: "POST", token: control })).status,
    ).toBe(403);
    expect(
      (
        await h.request("/api/v1/automations", {
          method: "POST",
          token: control,
          body: JSON.stringify(HALL_LIGHT),
        })
      ).status,
    ).toBe(403);
    expect(
      (await h.request("/api/v1/automations/hall-light", { method: "DELETE", token: control })).status,
    ).toBe(403);
    expect((await h.request("/api/v1/automations/hall-light", { method: "DELETE" })).status).toBe(204);
    expect((await h.request("/api/v1/automations/hall-light")).status).toBe(404);
  });
});

describe("persistence", () => {
  it("keeps rules, enabled flags and run history across a restart", async () => {
    const first = await bootHouse();
    await first.create({
      id: "ping",
      name: "Ping",
      triggers: [{ type: "event", event: "test.ping" }],
      actions: [{ type: "publish", event: "test.pong" }],
    });
    await first.create({ ...HALL_LIGHT, id: "off-rule" });
    await first.create({
      id: "boot",
      name: "On start",
      triggers: [{ type: "runtime_started" }],
      actions: [{ type: "publish", event: "test.booted" }],
    });
    await first.json("/api/v1/automations/off-rule/disable", { method: "POST" });
    await first.kernel.bus.publish("test.ping", {});
    await until(() => of(first.events, "test.pong").length === 1, "the first pong");
    await settle();
    const before = await first.runs("ping");
    await first.stop();

    const second = await house({ dir: first.dir });
    const list = (await second.json<Json>("/api/v1/automations")).automations;
    expect(list.map((r: Json) => [r.id, r.enabled])).toEqual([
      ["boot", true],
      ["off-rule", false],
      ["ping", true],
    ]);
    expect(await second.runs("ping")).toEqual(before);
    // The runtime_started trigger ran once, on this start.
    const boots = await second.runs("boot");
    expect(boots.map((r: Json) => [r.trigger.type, r.status])).toEqual([["runtime_started", "finished"]]);
    // Armed again after the restart.
    await second.kernel.bus.publish("test.ping", {});
    await until(() => of(second.events, "test.pong").length === 1, "a pong after the restart");
    const replaced = await second.json<Json>("/api/v1/automations/ping", {
      method: "PUT",
      body: JSON.stringify({
        name: "Ping 2",
        triggers: [{ type: "event", event: "test.ping" }],
        actions: [{ type: "stop" }],
      }),
    });
    expect(replaced).toMatchObject({ id: "ping", name: "Ping 2" });
  });
});

describe("actions", () => {
  it("repeat, choose, variables, wait_for_trigger with a timeout and continueOnError", async () => {
    const h = await house();
    await h.create({
      id: "script",
      name: "Script",
      triggers: [{ type: "event", event: "test.script" }],
      actions: [
        { type: "variables", variables: { total: 0 } },
        {
          type: "repeat",
          count: 3,
          actions: [{ type: "variables", variables: { total: "{{ total + repeat.index }}" } }],
        },
        { type: "service_call", service: "nowhere.nothing", continueOnError: true },
        {
          type: "wait_for_trigger",
          triggers: [{ type: "event", event: "test.answer" }],
          timeout: "30s",
          onTimeout: "continue",
        },
        {
          type: "choose",
          choose: [
            {
              conditions: [{ type: "template", value: "{{ wait.completed }}" }],
              actions: [
                { type: "publish", event: "test.result", payload: { total: "{{ total }}", answered: true } },
              ],
            },
          ],
          default: [
            { type: "publish", event: "test.result", payload: { total: "{{ total }}", answered: false } },
          ],
        },
        { type: "stop", reason: "done" },
        { type: "publish", event: "test.never" },
      ],
    });
    await h.kernel.bus.publish("test.script", {});
    await settle();
    await h.clock.advance(30_000);
    await until(() => of(h.events, "test.result").length === 1, "the first result");
    await h.kernel.bus.publish("test.script", {});
    await settle();
    await h.kernel.bus.publish("test.answer", {});
    await until(() => of(h.events, "test.result").length === 2, "the second result");
    expect(of(h.events, "test.result").map((p) => [p.total, p.answered])).toEqual([
      [6, false],
      [6, true],
    ]);
    expect(of(h.events, "test.never")).toEqual([]);
    const [run] = await h.runs("script");
    expect(run.status).toBe("stopped");
    expect(run.reason).toBe("done");
    expect(run.steps.find((s: Json) => s.type === "service_call")).toMatchObject({
      outcome: "failed",
      error: { code: "SERVICE_NOT_FOUND" },
    });
  });

  it("a failing step ends its run with automation.failed and never affects other rules", async () => {
    const h = await house();
    await h.create({
      id: "broken",
      name: "Broken",
      triggers: [{ type: "event", event: "test.go" }],
      actions: [
        { type: "device_command", device: "demo-light", changes: { brightness: 500 } },
        { type: "publish", event: "test.after_failure" },
      ],
    });
    await h.create({
      id: "fine",
      name: "Fine",
      triggers: [{ type: "event", event: "test.go" }],
      actions: [{ type: "publish", event: "test.fine" }],
    });
    await h.kernel.bus.publish("test.go", {});
    await until(
      () => of(h.events, "automation.failed").length === 1 && of(h.events, "test.fine").length === 1,
      "both runs",
    );
    expect(of(h.events, "automation.failed")[0]).toMatchObject({
      rule: "broken",
      error: { code: "VALIDATION_FAILED" },
    });
    expect(of(h.events, "test.after_failure")).toEqual([]);
  });

  it("templates see only their inputs", async () => {
    const h = await house();
    const dry = await h.json<Json>("/api/v1/automations/test", {
      method: "POST",
      body: JSON.stringify({
        rule: {
          name: "Probe",
          triggers: [{ type: "event", event: "test.go" }],
          actions: [
            {
              type: "publish",
              event: "test.probe",
              payload: {
                proto: "{{ trigger.__proto__ }}",
                ctor: "{{ trigger.constructor }}",
                str: "{{ 'x'.constructor }}",
                global: "{{ process }}",
                bun: "{{ Bun }}",
                value: "{{ trigger.n * 2 }}",
              },
            },
          ],
        },
        trigger: { n: 21 },
      }),
    });
    expect(dry.steps[0].input.payload).toEqual({
      proto: null,
      ctor: null,
      str: null,
      global: null,
      bun: null,
      value: 42,
    });
  });
});
