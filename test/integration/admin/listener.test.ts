/**
 * The admin module inside a whole runtime, served by the real Bun.serve on 127.0.0.1, port 0.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../../src/kernel/config/index.ts";
import { CoreRuntime } from "../../../src/runtime.ts";
import { captureLog } from "../../helpers/log.ts";
import { eventually, messages, readUntil } from "../../unit/modules/admin/sse-reader.ts";

let dir: string;
let runtime: CoreRuntime;
let base: string;
let token: string;
const log = captureLog("info");

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "hearth-admin-listener-"));
  const { config } = loadConfig({
    env: { HEARTH_DATA_DIR: dir },
    cwd: dir,
    overrides: {
      "http.host": "127.0.0.1",
      "http.port": 0,
      "http.authMaxFailures": 3,
      "http.maxBodyBytes": 2048,
    },
  });
  runtime = new CoreRuntime({ config, logger: log.logger, builtinPlugins: [] });
  await runtime.start();
  const listening = log.lines.find((l) => l.msg === "admin API listening");
  base = `http://127.0.0.1:${listening?.port}`;
  token = readFileSync(join(dir, "admin.token"), "utf8").trim();
});
afterAll(async () => {
  await runtime.stop();
  rmSync(dir, { recursive: true, force: true });
});

const auth = () => ({ Authorization: `Bearer ${token}` });

describe("the admin API on a real listener", () => {
  it("writes the bootstrap admin token with mode 0600 and logs its path, not the token", () => {
    expect(statSync(join(dir, "admin.token")).mode & 0o777).toBe(0o600);
    expect(log.text()).toContain(join(dir, "admin.token"));
    expect(log.text()).not.toContain(token);
  });

  it("answers /health publicly and an authenticated route with the bootstrap token", async () => {
    expect(await (await fetch(`${base}/health`)).json()).toEqual({ status: "healthy" });
    const res = await fetch(`${base}/api/v1/runtime`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { phase: string }).phase).toBe("started");
    expect((await fetch(`${base}/api/v1/runtime`)).status).toBe(401);
  });

  it("serves Prometheus metrics that count the requests it answered", async () => {
    await fetch(`${base}/health`);
    const res = await fetch(`${base}/metrics`, { headers: auth() });
    expect(res.status).toBe(200);
    expect(await res.text()).toMatch(/hearth_http_requests_total\{[^}]*route="\/health"[^}]*\} \d+/);
  });

  it("answers a body over the limit with 413 JSON", async () => {
    const res = await fetch(`${base}/api/v1/tokens`, {
      method: "POST",
      headers: { ...auth(), "Content-Type": "application/json" },
      body: JSON.stringify({ name: "x".repeat(4096), scopes: ["read"] }),
    });
    expect(res.status).toBe(413);
    expect(((await res.json()) as { error: { message: string } }).error.message).toContain("2048");
  });

  it("delivers SSE events and unsubscribes when the client disconnects", async () => {
    const bus = runtime.kernel.bus;
    const before = bus.stats().subscriptions;
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v1/events/stream?pattern=test.*`, {
      headers: auth(),
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await readUntil(reader, (t) => t.includes(": subscribed"));
    expect(bus.stats().subscriptions).toBe(before + 1);
    await bus.publish("test.thing_happened", { n: 42 });
    const text = await readUntil(reader, (t) => t.includes("event: test.thing_happened"));
    expect(JSON.parse(messages(text)[0]?.data ?? "{}").payload).toEqual({ n: 42 });

    abort.abort();
    await eventually(() => bus.stats().subscriptions === before);
    expect(bus.stats().subscriptions).toBe(before);
  });

  it("rate-limits failed authentications by client address with 429 and Retry-After", async () => {
    const bad = { headers: { Authorization: "Bearer wrong" } };
    for (let i = 0; i < 3; i++) expect((await fetch(`${base}/api/v1/runtime`, bad)).status).toBe(401);
    const res = await fetch(`${base}/api/v1/runtime`, bad);
    expect(res.status).toBe(429);
    expect(res.headers.get("Retry-After")).toMatch(/^\d+$/);
  });

  it("keeps serving the owner and a read-token scraper from the attacker's own address during the attack", async () => {
    // Without trustProxy every client here is 127.0.0.1: the attacker, the owner and Prometheus share it.
    const scraper = await createReadToken();
    const bad = { headers: { Authorization: `Bearer hth_${"Z".repeat(43)}` } };
    const rounds: string[] = [];
    for (let i = 0; i < 10; i++) {
      const attack = await fetch(`${base}/api/v1/runtime`, bad);
      const owner = await fetch(`${base}/api/v1/tokens`, { headers: auth() });
      const scrape = await fetch(`${base}/metrics`, { headers: { Authorization: `Bearer ${scraper}` } });
      rounds.push(`${attack.status} ${owner.status} ${scrape.status}`);
      await Promise.all([attack.text(), owner.text(), scrape.text()]);
    }
    expect(rounds).toEqual(Array(10).fill("429 200 200"));
  });
});

async function createReadToken(): Promise<string> {
  const res = await fetch(`${base}/api/v1/tokens`, {
    method: "POST",
    headers: { ...auth(), "Content-Type": "application/json" },
    body: JSON.stringify({ name: "prometheus", scopes: ["read"] }),
  });
  return ((await res.json()) as { token: string }).token;
}
