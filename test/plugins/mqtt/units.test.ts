/** The mqtt plugin's pure parts: the offline queue, `set` payload parsing, config and topics. */
import { describe, expect, it } from "bun:test";
import { z } from "zod";
import { parseSet, RecentResults } from "../../../plugins/mqtt/commands.ts";
import { configSchema, safeUrl, topicsOf } from "../../../plugins/mqtt/config.ts";
import { nextDelay } from "../../../plugins/mqtt/connection.ts";
import { stateFromPayload, statePayload } from "../../../plugins/mqtt/device.ts";
import { OfflineQueue } from "../../../plugins/mqtt/queue.ts";

const bytes = (s: string) => new TextEncoder().encode(s);
const parse = (raw: unknown) => configSchema(z).parse(raw);

describe("offline queue", () => {
  it("coalesces keyed messages to the latest, keeping the first position", () => {
    const q = new OfflineQueue(10);
    q.push({ topic: "a/state", payload: "1", qos: 1, retain: true, key: "a/state" });
    q.push({ topic: "r", payload: "x", qos: 1, retain: false });
    q.push({ topic: "a/state", payload: "2", qos: 1, retain: true, key: "a/state" });
    expect(q.drain().map((m) => m.payload)).toEqual(["2", "x"]);
    expect(q.size).toBe(0);
  });

  it("drops the oldest message when full and counts it", () => {
    const q = new OfflineQueue(2);
    for (const p of ["1", "2", "3"]) q.push({ topic: "t", payload: p, qos: 1, retain: false });
    expect(q.drain().map((m) => m.payload)).toEqual(["2", "3"]);
    expect(q.dropped).toBe(1);
  });

  it("keeps a hundred changes of one device as one message", () => {
    const q = new OfflineQueue(5);
    for (let i = 0; i < 100; i++)
      q.push({ topic: "d/state", payload: String(i), qos: 1, retain: true, key: "d/state" });
    expect(q.drain()).toEqual([{ topic: "d/state", payload: "99", qos: 1, retain: true, key: "d/state" }]);
  });
});

describe("set payloads", () => {
  it("takes plain changes", () => {
    expect(parseSet(bytes('{"on_off":true}'), 1000)).toEqual({ ok: true, changes: { on_off: true } });
  });

  it("takes another node's form with a request id", () => {
    expect(parseSet(bytes('{"changes":{"brightness":4},"requestId":"r1","from":"b"}'), 1000)).toEqual({
      ok: true,
      changes: { brightness: 4 },
      requestId: "r1",
    });
  });

  it("translates Home Assistant's JSON light keys", () => {
    expect(
      parseSet(
        bytes('{"state":"ON","brightness":40,"color_temp":2700,"color":{"h":30,"s":80},"transition":2}'),
        1000,
      ),
    ).toEqual({
      ok: true,
      changes: { on_off: true, brightness: 40, color_temp: 2700, color: { hue: 30, saturation: 80 } },
    });
  });

  it("refuses malformed JSON, non-objects, empty changes and oversized payloads", () => {
    expect(parseSet(bytes("{nope"), 1000)).toMatchObject({ ok: false, code: "INVALID_JSON" });
    expect(parseSet(bytes("[1]"), 1000)).toMatchObject({ ok: false, code: "VALIDATION_FAILED" });
    expect(parseSet(bytes("{}"), 1000)).toMatchObject({ ok: false, code: "VALIDATION_FAILED" });
    expect(parseSet(bytes(`{"on_off":true,"pad":"${"x".repeat(100)}"}`), 64)).toMatchObject({
      ok: false,
      code: "PAYLOAD_TOO_LARGE",
    });
    expect(parseSet(new Uint8Array([0xff, 0xfe]), 1000)).toMatchObject({ ok: false, code: "INVALID_JSON" });
  });

  it("remembers a bounded number of results", () => {
    const r = new RecentResults(2);
    r.set("a", "1");
    r.set("b", "2");
    r.set("c", "3");
    expect([r.get("a"), r.get("b"), r.get("c")]).toEqual([undefined, "2", "3"]);
  });
});

describe("config and topics", () => {
  it("defaults the base topic to hearth/<nodeId> and finds other nodes beside it", () => {
    const c = parse({ url: "mqtt://127.0.0.1:1883", nodeId: "garage" });
    const t = topicsOf(c);
    expect(t.base).toBe("hearth/garage");
    expect(t.status).toBe("hearth/garage/status");
    expect(t.device("demo-light", "set")).toBe("hearth/garage/devices/demo-light/set");
    expect(t.nodeBase("attic")).toBe("hearth/attic");
    expect(c.discovery).toEqual({ enabled: true, prefix: "homeassistant" });
    expect(c.qos).toBe(1);
    expect(c.import).toEqual([]);
  });

  it("keeps other nodes beside a custom base topic", () => {
    const t = topicsOf(parse({ nodeId: "pi1", baseTopic: "home/pi1" }));
    expect(t.nodeBase("pi2")).toBe("home/pi2");
  });

  it("refuses node ids that are not one topic level, unknown keys and bad URLs", () => {
    expect(() => parse({ nodeId: "a/b" })).toThrow();
    expect(() => parse({ nodeId: "#" })).toThrow();
    expect(() => parse({ urll: "mqtt://x" })).toThrow();
    expect(() => parse({ url: "http://x" })).toThrow();
    expect(parse({ import: "*" }).import).toBe("*");
  });

  it("never shows credentials of the URL", () => {
    expect(safeUrl("mqtt://user:secret@broker:1883")).toBe("mqtt://broker:1883");
  });

  it("doubles the reconnect delay up to the cap", () => {
    const c = parse({ reconnect: { minMs: 1000, maxMs: 5000 } });
    expect([1000, 2000, 4000, 5000].map((d) => nextDelay(d, c))).toEqual([2000, 4000, 5000, 5000]);
  });
});

describe("state payloads", () => {
  const light = (reported: Record<string, unknown>, caps: string[]) => ({
    type: "light",
    capabilities: caps.map((name) => ({ name, kind: "number" as const, commandable: true })),
    state: { desired: {}, reported, pending: [] },
  });

  it("adds what Home Assistant's JSON light reads, and another node reads Hearth's form back", () => {
    const out = statePayload(
      light({ on_off: true, color: { hue: 30, saturation: 80 } }, ["on_off", "color"]),
    );
    expect(out).toEqual({
      on_off: true,
      state: "ON",
      color: { hue: 30, saturation: 80, h: 30, s: 80 },
      color_mode: "hs",
    });
    expect(stateFromPayload(out, [{ name: "on_off" }, { name: "color" }])).toEqual({
      on_off: true,
      color: { hue: 30, saturation: 80 },
    });
  });

  it("names the colour-temperature mode of a white-spectrum light", () => {
    expect(
      statePayload(light({ on_off: false, color_temp: 2700 }, ["on_off", "brightness", "color_temp"])),
    ).toMatchObject({
      state: "OFF",
      color_mode: "color_temp",
    });
  });
});
