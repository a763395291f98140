/**
 * A stored document that does not fit (edited by hand, damaged, written by another Hearth version)
 * does not stop a required module from starting: it is skipped and kept for repair, the warn line
 * names its namespace, key and path but not its value, the module says degraded with the count, the
 * rest loads, and once repaired in storage it loads after a restart and the module is healthy again.
 */
import { afterAll, describe, expect, it } from "bun:test";
import type { JsonObject } from "../../src/kernel/storage/types.ts";
import { type Booted, bootRuntime, dataDir, removeDataDirs } from "../helpers/runtime.ts";

const running: Booted[] = [];
afterAll(async () => {
  for (const r of running) await r.stop();
  removeDataDirs();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const NOW = "2024-05-01T12:00:00.000Z";
/** Put into every bad value: the log must never show it. */
const SECRET = "SECRET-d4c3b2a1";

async function boot(dir: string): Promise<Booted> {
  const b = await bootRuntime({ dir });
  running.push(b);
  return b;
}

/** Writes documents straight into storage on a runtime that is then stopped (as a hand edit would). */
async function writeStored(dir: string, docs: [namespace: string, key: string, value: JsonObject][]) {
  const b = await boot(dir);
  for (const [namespace, key, value] of docs) await b.kernel.storage.set(namespace, key, value);
  await b.stop();
}

async function moduleHealth(b: Booted, name: string): Promise<{ status: string; detail?: string }> {
  const ready: Json = await b.json("/health/ready");
  return ready.checks.modules.modules[name];
}

function skippedLines(b: Booted): Record<string, unknown>[] {
  return b.log.lines.filter((l) => String(l.msg).startsWith("stored record skipped"));
}

const device = (id: string, externalId: string, type: string): JsonObject => ({
  id,
  name: `Device ${externalId}`,
  type,
  capabilities: [{ name: "on_off", kind: "boolean", commandable: true }],
  owner: "bulbs",
  externalId,
  area: "hall",
  attributes: {},
  availableTimeoutMs: null,
  userSet: {},
  createdAt: NOW,
  updatedAt: NOW,
});

describe("devices: a stored record that does not fit", () => {
  const dir = dataDir();
  let b: Booted;

  it("is skipped at start while the runtime starts and the good device loads", async () => {
    await writeStored(dir, [
      ["devices", "bulbs-good", device("bulbs-good", "good", "light")],
      ["devices", "bulbs-bad", device("bulbs-bad", "bad", SECRET)],
      [
        "devices.state",
        "bulbs-good",
        { reported: { on_off: true }, desired: { on_off: true }, available: false, lastSeen: NOW },
      ],
    ]);
    b = await boot(dir);
    expect(b.runtime.kernel.modules.get("devices")?.state).toBe("started");
    const list: Json = await b.json("/api/v1/devices");
    expect(list.devices.map((d: Json) => d.id)).toEqual(["bulbs-good"]);
    expect(list.devices[0].state.reported).toEqual({ on_off: true });
    expect((await b.request("/api/v1/devices/bulbs-bad")).status).toBe(404);
  });

  it("is logged once at warn with namespace, key and path, never the value", () => {
    const lines = skippedLines(b);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: "warn", namespace: "devices", key: "bulbs-bad", path: "type" });
    expect(b.log.text()).not.toContain(SECRET);
  });

  it("makes the module degraded, naming how many records were skipped", async () => {
    const health = await moduleHealth(b, "devices");
    expect(health.status).toBe("degraded");
    expect(health.detail).toContain("1 stored record skipped as invalid (devices/bulbs-bad");
  });

  it("is kept in storage, and loads after a repair and a restart (healthy again)", async () => {
    expect(await b.kernel.storage.get("devices", "bulbs-bad")).toMatchObject({ type: SECRET });
    await b.kernel.storage.set("devices", "bulbs-bad", device("bulbs-bad", "bad", "switch"));
    await b.stop();
    b = await boot(dir);
    const list: Json = await b.json("/api/v1/devices");
    expect(list.devices.map((d: Json) => [d.id, d.type])).toEqual([
      ["bulbs-bad", "switch"],
      ["bulbs-good", "light"],
    ]);
    expect((await moduleHealth(b, "devices")).status).toBe("healthy");
    expect(skippedLines(b)).toEqual([]);
  });

  it("drops a state row that does not fit: the device loads with empty state", async () => {
    await b.kernel.storage.set("devices.state", "bulbs-good", {
      reported: SECRET,
      desired: {},
      available: true,
      lastSeen: null,
    });
    await b.stop();
    b = await boot(dir);
    const good: Json = await b.json("/api/v1/devices/bulbs-good");
    expect(good.state).toEqual({ desired: {}, reported: {}, pending: [] });
    expect(skippedLines(b)).toMatchObject([
      { namespace: "devices.state", key: "bulbs-good", path: "reported" },
    ]);
    expect((await moduleHealth(b, "devices")).detail).toContain("devices.state/bulbs-good");
    expect(b.log.text()).not.toContain(SECRET);
  });
});

const person = (id: string, awayDelayMs: unknown): JsonObject =>
  ({
    id,
    name: id.toUpperCase(),
    trackers: [{ type: "source", name: `${id}-phone` }],
    awayDelayMs,
    createdAt: NOW,
    updatedAt: NOW,
  }) as JsonObject;

describe("presence: a stored person that does not fit", () => {
  const dir = dataDir();
  let b: Booted;

  it("is skipped at start while the runtime starts and the good person loads", async () => {
    await writeStored(dir, [
      ["presence", "anna", person("anna", null)],
      ["presence", "bob", person("bob", SECRET)],
    ]);
    b = await boot(dir);
    const people: Json = await b.json("/api/v1/people");
    expect(people.people.map((p: Json) => p.id)).toEqual(["anna"]);
  });

  it("is logged once at warn with namespace, key and path, never the value", () => {
    expect(skippedLines(b)).toMatchObject([
      { level: "warn", namespace: "presence", key: "bob", path: "awayDelayMs" },
    ]);
    expect(b.log.text()).not.toContain(SECRET);
  });

  it("makes the module degraded, naming how many records were skipped", async () => {
    const health = await moduleHealth(b, "presence");
    expect(health.status).toBe("degraded");
    expect(health.detail).toContain("1 stored record skipped as invalid (presence/bob");
  });

  it("loads after a repair and a restart (healthy again)", async () => {
    await b.kernel.storage.set("presence", "bob", person("bob", 5000));
    await b.stop();
    b = await boot(dir);
    const people: Json = await b.json("/api/v1/people");
    expect(people.people.map((p: Json) => [p.id, p.awayDelayMs])).toEqual([
      ["anna", null],
      ["bob", 5000],
    ]);
    expect((await moduleHealth(b, "presence")).status).toBe("healthy");
  });
});

const rule = (id: string, mode: string): JsonObject => ({
  id,
  name: `Rule ${id}`,
  enabled: true,
  mode,
  max: 10,
  maxRunsPerMinute: 60,
  triggers: [{ type: "event", event: "test.fired" }],
  conditions: [],
  actions: [{ type: "publish", event: "test.done" }],
  createdAt: NOW,
  updatedAt: NOW,
});

describe("automation: a stored rule that does not fit", () => {
  const dir = dataDir();
  let b: Booted;

  it("is skipped at start while the runtime starts and the good rule loads", async () => {
    await writeStored(dir, [
      ["automation", "good-rule", rule("good-rule", "single")],
      ["automation", "bad-rule", rule("bad-rule", SECRET)],
    ]);
    b = await boot(dir);
    const list: Json = await b.json("/api/v1/automations");
    expect(list.automations.map((r: Json) => r.id)).toEqual(["good-rule"]);
    expect((await b.request("/api/v1/automations/bad-rule")).status).toBe(404);
  });

  it("is logged once at warn with namespace, key and path, never the value", () => {
    expect(skippedLines(b)).toMatchObject([
      { level: "warn", namespace: "automation", key: "bad-rule", path: "mode" },
    ]);
    expect(b.log.text()).not.toContain(SECRET);
  });

  it("makes the module degraded, naming how many records were skipped", async () => {
    const health = await moduleHealth(b, "automation");
    expect(health.status).toBe("degraded");
    expect(health.detail).toContain("1 stored record skipped as invalid (automation/bad-rule");
  });

  it("loads after a repair and a restart (healthy again)", async () => {
    await b.kernel.storage.set("automation", "bad-rule", rule("bad-rule", "queued"));
    await b.stop();
    b = await boot(dir);
    const list: Json = await b.json("/api/v1/automations");
    expect(list.automations.map((r: Json) => [r.id, r.mode])).toEqual([
      ["bad-rule", "queued"],
      ["good-rule", "single"],
    ]);
    expect((await moduleHealth(b, "automation")).status).toBe("healthy");
  });

  it("drops a run history that does not fit from memory: the rule loads with no runs", async () => {
    await b.kernel.storage.set("automation.runs", "good-rule", { runs: [{ runId: SECRET }] });
    await b.stop();
    b = await boot(dir);
    expect((await b.json<Json>("/api/v1/automations/good-rule/runs")).runs).toEqual([]);
    expect(skippedLines(b)).toMatchObject([{ namespace: "automation.runs", key: "good-rule" }]);
    expect(b.log.text()).not.toContain(SECRET);
  });
});
