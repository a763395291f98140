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

describe("event stream bounds", () => {
  const metric = async (harness: Harness, line: string) => {
    const text = await (await harness.request("/metrics", { as: "read" })).text();
    return text.split("\n").find((l) => l.startsWith(`${line} `));
  };

  it("refuses a token's stream past http.maxEventStreamsPerToken with 429 and Retry-After; others still open", async () => {
    h = await startHarness({ overrides: { "http.maxEventStreamsPerToken": 2, "http.maxEventStreams": 10 } });
    const a = await open(h);
    const b = await open(h);
    const refused = await h.request("/api/v1/events/stream", { as: "read" });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("Retry-After"))).toBeGreaterThanOrEqual(1);
    const body = await json(refused);
    expect(body.error.code).toBe("HTTP_TOO_MANY_STREAMS");
    expect(body.error.data).toEqual(expect.objectContaining({ limit: "token", max: 2 }));
    const other = await h.request("/api/v1/events/stream", { as: "admin" });
    expect(other.status).toBe(200);
    await other.body?.cancel();
    await a.cancel();
    await b.cancel();
  });

  it("refuses past http.maxEventStreams in all, whichever token asks", async () => {
    h = await startHarness({ overrides: { "http.maxEventStreamsPerToken": 5, "http.maxEventStreams": 2 } });
    const a = await open(h);
    const b = await open(h);
    for (const as of ["read", "admin"] as const) {
      const res = await h.request("/api/v1/events/stream", { as });
      expect(res.status).toBe(429);
      expect((await json(res)).error.data).toEqual(expect.objectContaining({ limit: "total", max: 2 }));
    }
    await a.cancel();
    await b.cancel();
  });

  it("frees a stream's slot when it closes, so the next one opens", async () => {
    h = await startHarness({ overrides: { "http.maxEventStreamsPerToken": 1 } });
    const first = await open(h);
    expect((await h.request("/api/v1/events/stream", { as: "read" })).status).toBe(429);
    await first.cancel();
    let status = 0;
    for (let i = 0; i < 100 && status !== 200; i++) {
      const res = await h.request("/api/v1/events/stream", { as: "read" });
      status = res.status;
      if (status === 200) await res.body?.cancel();
      else await Bun.sleep(10);
    }
    expect(status).toBe(200);
  });

  it("takes no slot for HEAD or for an invalid pattern", async () => {
    h = await startHarness({ overrides: { "http.maxEventStreamsPerToken": 1 } });
    expect((await h.request("/api/v1/events/stream", { as: "read", method: "HEAD" })).status).toBe(200);
    expect((await h.request("/api/v1/events/stream?pattern=Not%20A%20Pattern", { as: "read" })).status).toBe(
      400,
    );
    const reader = await open(h);
    await reader.cancel();
  });

  it("counts open streams and refusals in /metrics", async () => {
    // Fresh counters on every scrape: no /metrics cache window.
    h = await startHarness({ overrides: { "http.maxEventStreamsPerToken": 1, "http.metricsCacheMs": 0 } });
    expect(await metric(h, "hearth_http_event_streams")).toBe("hearth_http_event_streams 0");
    const reader = await open(h);
    expect(await metric(h, "hearth_http_event_streams")).toBe("hearth_http_event_streams 1");
    expect((await h.request("/api/v1/events/stream", { as: "read" })).status).toBe(429);
    expect(await metric(h, 'hearth_http_event_streams_refused_total{limit="token"}')).toBe(
      'hearth_http_event_streams_refused_total{limit="token"} 1',
    );
    await reader.cancel();
    const harness = h;
    let line: string | undefined;
    for (let i = 0; i < 100 && line !== "hearth_http_event_streams 0"; i++) {
      line = await metric(harness, "hearth_http_event_streams");
      await Bun.sleep(10);
    }
    expect(line).toBe("hearth_http_event_streams 0");
  });
});

describe("an open event stream whose credentials end", () => {
  /** Reads until the stream ends (done), or fails after `ms`. */
  async function ended(reader: { read(): Promise<{ done: boolean }> }, ms = 3000): Promise<boolean> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const chunk = await Promise.race([
        reader.read(),
        Bun.sleep(deadline - Date.now()).then(() => "timeout"),
      ]);
      if (chunk === "timeout") return false;
      if ((chunk as { done: boolean }).done) return true;
    }
    return false;
  }

  it("is closed at the next heartbeat once its token is revoked", async () => {
    h = await startHarness({ app: { sseHeartbeatMs: 50 } });
    const { token, info } = await h.tokens.create({ name: "watcher", scopes: ["read"] });
    const res = await h.app.request("/api/v1/events/stream", {
      headers: { Authorization: `Bearer ${token}` },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (t) => t.includes(": heartbeat"));
    await h.tokens.revoke(info.id);
    expect(await ended(reader)).toBe(true);
  });

  it("is closed at the next heartbeat once its session ends (logout)", async () => {
    h = await startHarness({ app: { sseHeartbeatMs: 50 } });
    const signIn = await h.request("/api/v1/session", { method: "POST", as: "read" });
    const cookie = (signIn.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    const headers = { Cookie: cookie, Host: "hearth.local:8420" };
    const res = await h.app.request("/api/v1/events/stream", { headers });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (t) => t.includes(": heartbeat"));
    const out = await h.app.request("/api/v1/session", {
      method: "DELETE",
      headers: { ...headers, "X-Hearth-CSRF": "1" },
    });
    expect(out.status).toBeLessThan(300);
    expect(await ended(reader)).toBe(true);
  });

  it("stays open while its token holds", async () => {
    h = await startHarness({ app: { sseHeartbeatMs: 50 } });
    const reader = await open(h);
    await readUntil(reader, (t) => t.split(": heartbeat").length > 3);
    expect(await ended(reader, 200)).toBe(false);
    await reader.cancel();
  });
});
