import { afterEach, beforeEach, describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { HearthError } from "../../../../src/errors.ts";
import {
  createIntegrationRegistry,
  INTEGRATIONS_NAMESPACE,
  type IntegrationRegistry,
} from "../../../../src/kernel/integrations/index.ts";
import { openStorage, type Storage } from "../../../../src/kernel/storage/index.ts";
import { hearthRejection } from "../../../helpers/errors.ts";

let dir: string;
let dbPath: string;
let storage: Storage;
let clock: number;
let registry: IntegrationRegistry;

const schema = { type: "object", properties: { port: { type: "string" } }, required: ["port"] };

function create(s: Storage = storage): IntegrationRegistry {
  return createIntegrationRegistry({ storage: s, now: () => clock });
}

/** Closes the database and opens it again, as a restart does. */
async function restart(): Promise<IntegrationRegistry> {
  await storage.close();
  storage = await openStorage({ path: dbPath });
  const next = create();
  await next.load();
  return next;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-integrations-"));
  dbPath = join(dir, "hearth.db");
  storage = await openStorage({ path: dbPath });
  clock = Date.UTC(2025, 0, 1);
  registry = create();
  await registry.load();
});

afterEach(async () => {
  await storage.close();
  rmSync(dir, { recursive: true, force: true });
});

describe("declare", () => {
  it("creates an enabled record with the declared fields", async () => {
    const record = await registry.declare({
      name: "zigbee",
      version: "1.0.0",
      description: "Zigbee",
      configSchema: schema,
    });
    expect(record).toEqual({
      name: "zigbee",
      version: "1.0.0",
      description: "Zigbee",
      configSchema: schema,
      status: "enabled",
      updatedAt: "2025-01-01T00:00:00.000Z",
    });
    expect(registry.get("zigbee")).toEqual(record);
  });

  it("persists the record in the integrations namespace under its name", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    expect(await storage.get(INTEGRATIONS_NAMESPACE, "zigbee")).toMatchObject({
      name: "zigbee",
      version: "1.0.0",
      status: "enabled",
    });
  });

  it("refreshes version, description and schema of a known integration", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0", configSchema: schema });
    const record = await registry.declare({ name: "zigbee", version: "1.1.0", description: "new" });
    expect(record).toMatchObject({ version: "1.1.0", description: "new" });
    expect(record.configSchema).toBeUndefined();
  });

  it("does not write again when nothing changed", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0", configSchema: schema });
    clock += 60_000;
    const writes = storage.stats().writes;
    const record = await registry.declare({ name: "zigbee", version: "1.0.0", configSchema: schema });
    expect(storage.stats().writes).toBe(writes);
    expect(record.updatedAt).toBe("2025-01-01T00:00:00.000Z");
  });

  it("brings an integration that was in error back to enabled", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    await registry.setStatus("zigbee", "error", new Error("no stick"));
    const record = await registry.declare({ name: "zigbee", version: "1.0.0" });
    expect(record.status).toBe("enabled");
    expect(record.error).toBeUndefined();
  });

  it.each([
    ["a missing name", { version: "1.0.0" }],
    ["an empty version", { name: "x", version: "" }],
    ["a schema that is not an object", { name: "x", version: "1", configSchema: [] }],
    ["a description that is not a string", { name: "x", version: "1", description: 3 }],
  ])("refuses %s with INVALID_ARGUMENT", async (_what, declaration) => {
    const bad = declaration as unknown as Parameters<IntegrationRegistry["declare"]>[0];
    expect((await hearthRejection(registry.declare(bad))).code).toBe("INVALID_ARGUMENT");
    expect(registry.list()).toEqual([]);
  });
});

describe("setStatus", () => {
  beforeEach(async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
  });

  it("changes the status and updatedAt", async () => {
    clock += 1000;
    const record = await registry.setStatus("zigbee", "disabled");
    expect(record).toMatchObject({ status: "disabled", updatedAt: "2025-01-01T00:00:01.000Z" });
    expect(registry.get("zigbee")?.status).toBe("disabled");
  });

  it("keeps the error's code and message with status error", async () => {
    const record = await registry.setStatus(
      "zigbee",
      "error",
      new HearthError("PLUGIN_HOOK_FAILED", "onStart threw"),
    );
    expect(record.error).toEqual({ code: "PLUGIN_HOOK_FAILED", message: "onStart threw" });
  });

  it("accepts a plain message as the error", async () => {
    expect((await registry.setStatus("zigbee", "error", "stick unplugged")).error).toEqual({
      message: "stick unplugged",
    });
  });

  it("drops the error when the status leaves error", async () => {
    await registry.setStatus("zigbee", "error", "broken");
    expect((await registry.setStatus("zigbee", "enabled")).error).toBeUndefined();
  });

  it("an unknown name is PLUGIN_NOT_FOUND", async () => {
    const err = await hearthRejection(registry.setStatus("nope", "disabled"));
    expect(err.code).toBe("PLUGIN_NOT_FOUND");
    expect(err.data).toEqual({ name: "nope" });
  });

  it("refuses an unknown status with INVALID_ARGUMENT", async () => {
    const bad = "paused" as unknown as "enabled";
    expect((await hearthRejection(registry.setStatus("zigbee", bad))).code).toBe("INVALID_ARGUMENT");
  });
});

describe("get, list and remove", () => {
  it("get returns undefined for an unknown name", () => {
    expect(registry.get("nope")).toBeUndefined();
  });

  it("lists records sorted by name", async () => {
    await registry.declare({ name: "zigbee", version: "1" });
    await registry.declare({ name: "hue", version: "1" });
    expect(registry.list().map((r) => r.name)).toEqual(["hue", "zigbee"]);
  });

  it("a record a caller changes does not change the registry", async () => {
    await registry.declare({ name: "zigbee", version: "1", configSchema: schema });
    const copy = registry.get("zigbee");
    if (copy?.configSchema) copy.configSchema.type = "string";
    expect(registry.get("zigbee")?.configSchema).toEqual(schema);
  });

  it("remove deletes the record from memory and storage", async () => {
    await registry.declare({ name: "zigbee", version: "1" });
    await registry.remove("zigbee");
    expect(registry.get("zigbee")).toBeUndefined();
    expect(await storage.has(INTEGRATIONS_NAMESPACE, "zigbee")).toBe(false);
  });

  it("remove of an unknown name is PLUGIN_NOT_FOUND", async () => {
    expect((await hearthRejection(registry.remove("nope"))).code).toBe("PLUGIN_NOT_FOUND");
  });
});

describe("persistence across restarts", () => {
  it("a reopened database loads the same records and statuses", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0", configSchema: schema });
    await registry.declare({ name: "hue", version: "2.0.0" });
    await registry.declare({ name: "gpio", version: "0.1.0" });
    await registry.setStatus("hue", "disabled");
    await registry.setStatus("gpio", "error", "no chip");
    const before = registry.list();
    const after = await restart();
    expect(after.list()).toEqual(before);
  });

  it("a disabled integration stays disabled when declared again after a restart", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    await registry.setStatus("zigbee", "disabled");
    const after = await restart();
    const record = await after.declare({ name: "zigbee", version: "1.1.0" });
    expect(record).toMatchObject({ status: "disabled", version: "1.1.0" });
  });

  it("declare keeps a persisted disabled status even before load", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    await registry.setStatus("zigbee", "disabled");
    const fresh = create();
    expect((await fresh.declare({ name: "zigbee", version: "1.0.0" })).status).toBe("disabled");
  });

  it("a removed integration is gone after a restart", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    await registry.remove("zigbee");
    expect((await restart()).list()).toEqual([]);
  });

  it("skips a persisted record that does not have the record's shape", async () => {
    await storage.set(INTEGRATIONS_NAMESPACE, "broken", { hello: "world" });
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    const after = await restart();
    expect(after.list().map((r) => r.name)).toEqual(["zigbee"]);
  });

  it("concurrent status changes are applied in call order", async () => {
    await registry.declare({ name: "zigbee", version: "1.0.0" });
    await Promise.all([
      registry.setStatus("zigbee", "disabled"),
      registry.setStatus("zigbee", "error", "x"),
      registry.setStatus("zigbee", "enabled"),
    ]);
    expect((await restart()).get("zigbee")?.status).toBe("enabled");
  });
});
