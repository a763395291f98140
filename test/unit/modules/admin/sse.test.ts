import { afterEach, describe, expect, it } from "bun:test";
import { cleanupDirs, type Harness, json, startHarness } from "./harness.ts";
import { eventually, messages, readUntil } from "./sse-reader.ts";

let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
  cleanupDirs();
});

async function open(harness: Harness, query = "") {
  const res = await harness.request(`/api/v1/events/stream${query}`, { as: "read" });
  expect(res.status).toBe(200);
  expect(res.headers.get("Content-Type")).toContain("text/event-stream");
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  // The first comment says the subscription is live.
  await readUntil(reader, (t) => t.includes(": subscribed"));
  return reader;
}

describe("GET /api/v1/events/stream", () => {
  it("delivers a published bus event as `event: <type>` with its JSON", async () => {
    h = await startHarness();
    const reader = await open(h, "?pattern=demo.*");
    await h.runtime.kernel.bus.publish("demo.lamp_switched", { on: true });
    const text = await readUntil(reader, (t) => t.includes("event: demo.lamp_switched"));
    const [message] = messages(text);
    expect(message?.event).toBe("demo.lamp_switched");
    const data = JSON.parse(message?.data ?? "{}");
    expect(data).toEqual(expect.objectContaining({ type: "demo.lamp_switched", payload: { on: true } }));
    expect(message?.id).toBe(String(data.seq));
    await reader.cancel();
  });

  it("sends only events matching the pattern", async () => {
    h = await startHarness();
    const reader = await open(h, "?pattern=demo.*");
    await h.runtime.kernel.bus.publish("other.thing_happened", { n: 1 });
    await h.runtime.kernel.bus.publish("demo.last_sent", { n: 2 });
    const text = await readUntil(reader, (t) => t.includes("event: demo.last_sent"));
    expect(text).not.toContain("other.thing_happened");
    await reader.cancel();
  });

  it("sends a heartbeat comment when nothing happens", async () => {
    h = await startHarness({ app: { sseHeartbeatMs: 20 } });
    const reader = await open(h);
    const text = await readUntil(reader, (t) => t.includes(": heartbeat"));
    expect(text).toContain(": heartbeat\n\n");
    await reader.cancel();
  });

  it("answers HEAD with the stream's headers and no subscription; an invalid pattern still 400", async () => {
    h = await startHarness();
    const bus = h.runtime.kernel.bus;
    const before = bus.stats().subscriptions;
    const res = await h.request("/api/v1/events/stream?pattern=demo.*", { as: "read", method: "HEAD" });
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/event-stream");
    expect(bus.stats().subscriptions).toBe(before);
    const bad = await h.request("/api/v1/events/stream?pattern=Bad..Pattern", { as: "read", method: "HEAD" });
    expect(bad.status).toBe(400);
  });

  it("unsubscribes from the bus when the client goes away", async () => {
    h = await startHarness();
    const bus = h.runtime.kernel.bus;
    const before = bus.stats().subscriptions;
    const reader = await open(h);
    expect(bus.stats().subscriptions).toBe(before + 1);
    await reader.cancel();
    await eventually(() => bus.stats().subscriptions === before);
    expect(bus.stats().subscriptions).toBe(before);
  });

  it("answers an invalid pattern with 400 JSON and subscribes nothing", async () => {
    h = await startHarness();
    const bus = h.runtime.kernel.bus;
    const before = bus.stats().subscriptions;
    const res = await h.request("/api/v1/events/stream?pattern=Not%20A%20Pattern", { as: "read" });
    expect(res.status).toBe(400);
    expect((await json(res)).error.code).toBe("BUS_INVALID_PATTERN");
    expect(bus.stats().subscriptions).toBe(before);
  });

  it("still announces an event whose payload is not JSON", async () => {
    h = await startHarness();
    const reader = await open(h, "?pattern=demo.*");
    await h.runtime.kernel.bus.publish("demo.odd_sent", { big: 10n });
    const text = await readUntil(reader, (t) => t.includes("event: demo.odd_sent"));
    expect(JSON.parse(messages(text)[0]?.data ?? "{}")).toEqual(
      expect.objectContaining({ payload: null, unserializable: true }),
    );
    await reader.cancel();
  });
});
