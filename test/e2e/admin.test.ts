/** The admin API of the compiled binary: bootstrap token, an authenticated route, metrics, OpenAPI. */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { messages, readUntil } from "../unit/modules/admin/sse-reader.ts";
import { hearthBinary, type Running, startHearth, tempDir } from "./harness.ts";

let bin: string;
let data: string;
let h: Running;
let token: string;

beforeAll(async () => {
  bin = await hearthBinary();
  data = tempDir("e2e-admin");
  h = await startHearth(bin, { args: ["--data-dir", data] });
  token = readFileSync(join(data, "admin.token"), "utf8").trim();
}, 120_000);
afterAll(async () => {
  h?.proc.kill("SIGTERM");
  await h?.exited;
  rmSync(data, { recursive: true, force: true });
});

const auth = () => ({ headers: { Authorization: `Bearer ${token}` } });

describe("the compiled binary's admin API", () => {
  it("writes the bootstrap token to <dataDir>/admin.token with mode 0600 and logs only its path", () => {
    expect(token.length).toBeGreaterThan(20);
    expect(statSync(join(data, "admin.token")).mode & 0o777).toBe(0o600);
    expect(h.text()).toContain(join(data, "admin.token"));
    expect(h.text()).not.toContain(token);
  });

  it("answers an authenticated route with the bootstrap token and 401 without it", async () => {
    const res = await fetch(h.url("/api/v1/plugins"), auth());
    expect(res.status).toBe(200);
    const body = (await res.json()) as { plugins: { name: string; state: string }[] };
    expect(body.plugins).toEqual(expect.arrayContaining([expect.objectContaining({ name: "demo" })]));
    const anonymous = await fetch(h.url("/api/v1/plugins"));
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as { error: { code: string } }).error.code).toBe("AUTH_REQUIRED");
  });

  it("answers /metrics in the Prometheus text format", async () => {
    const res = await fetch(h.url("/metrics"), auth());
    expect(res.status).toBe(200);
    expect(res.headers.get("Content-Type")).toContain("text/plain");
    const text = await res.text();
    expect(text).toContain("# TYPE hearth_http_requests_total counter");
    expect(text).toMatch(/^hearth_build_info\{/m);
  });

  it("serves its OpenAPI document publicly", async () => {
    const res = await fetch(h.url("/openapi.json"));
    expect(res.status).toBe(200);
    const doc = (await res.json()) as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toBe("3.1.0");
    expect(doc.paths["/api/v1/runtime"]).toBeDefined();
  });

  it("logs a refused request and a change at info (http.accessLog: changes), without the token", async () => {
    await fetch(h.url("/api/v1/runtime"), auth());
    await fetch(h.url("/api/v1/runtime"), { headers: { Authorization: "Bearer not-a-token" } });
    await fetch(h.url("/api/v1/tokens"), {
      method: "POST",
      headers: { ...auth().headers, "Content-Type": "application/json" },
      body: JSON.stringify({ name: "e2e-audit", scopes: ["read"] }),
    });
    await Bun.sleep(50);
    const lines = h.logs.filter((l) => l.msg === "http request" && String(l.route).startsWith("/api/v1/"));
    expect(lines.some((l) => l.route === "/api/v1/runtime" && l.status === 200)).toBe(false);
    // Refused before routing: the 401 sweep's pattern, never the path asked for.
    expect(lines.some((l) => l.route === "/api/v1/*" && l.status === 401 && l.level === "info")).toBe(true);
    expect(lines.some((l) => l.route === "/api/v1/tokens" && l.status === 201 && l.audit === true)).toBe(
      true,
    );
    expect(h.text()).not.toContain(token);
  });

  it("keeps what an authenticated call changed across a stop and a second start, with the same token", async () => {
    const dir = tempDir("e2e-restart");
    try {
      const first = await startHearth(bin, { args: ["--data-dir", dir] });
      const tok = readFileSync(join(dir, "admin.token"), "utf8").trim();
      const headers = { Authorization: `Bearer ${tok}`, "Content-Type": "application/json" };
      // Command the demo light over HTTP; the demo answers at once and reports the change a moment later.
      const stream = await fetch(first.url("/api/v1/events/stream?pattern=device.*"), { headers });
      const reader = (stream.body as ReadableStream<Uint8Array>).getReader();
      const call = await fetch(first.url("/api/v1/devices/demo-light/command"), {
        method: "POST",
        headers,
        body: JSON.stringify({ on_off: true, brightness: 40 }),
      });
      expect(call.status).toBe(200);
      const ack = (await call.json()) as { state: { desired: Record<string, unknown>; pending: string[] } };
      expect(ack.state.desired).toMatchObject({ on_off: true, brightness: 40 });
      expect(ack.state.pending).toEqual(["brightness", "on_off"]);
      const text = await readUntil(reader, (t) => t.includes("event: device.state_changed"));
      const change = messages(text).find((m) => m.event === "device.state_changed");
      expect(JSON.parse(change?.data ?? "{}").payload).toMatchObject({
        id: "demo-light",
        changed: ["on_off", "brightness"],
        source: "command",
      });
      await reader.cancel();
      const light = (await (await fetch(first.url("/api/v1/devices/demo-light"), { headers })).json()) as {
        state: { reported: Record<string, unknown>; pending: string[] };
      };
      expect(light.state.reported).toMatchObject({ on_off: true, brightness: 40 });
      expect(light.state.pending).toEqual([]);
      first.proc.kill("SIGTERM");
      expect(await first.exited).toBe(0);

      const second = await startHearth(bin, { args: ["--data-dir", dir] });
      // No second bootstrap token: the first one is still the key.
      expect(readFileSync(join(dir, "admin.token"), "utf8").trim()).toBe(tok);
      const again = await fetch(second.url("/api/v1/devices/demo-light"), { headers });
      expect(again.status).toBe(200);
      const restored = (await again.json()) as {
        state: { reported: Record<string, unknown>; pending: string[] };
      };
      expect(restored.state.reported).toMatchObject({ on_off: true, brightness: 40 });
      expect(restored.state.pending).toEqual([]);
      second.proc.kill("SIGTERM");
      expect(await second.exited).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
