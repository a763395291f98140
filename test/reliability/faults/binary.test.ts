/**
 * Fault injection against the compiled binary, with external plugins: handler faults (a throwing event
 * handler, raw timers throwing outside any handler, a hanging onStop) and lifecycle-hook faults, each
 * run next to a healthy canary, observed only from outside: /health, /health/ready, /metrics,
 * /api/v1/plugins, service calls over HTTP, the logs and the exit code.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { hearthBinary, type Running, startHearth, tempDir } from "../../e2e/harness.ts";
import { type ExternalName, FIRED, installExternal, sample } from "./external.ts";
import { summary, tally } from "./tally.ts";

const SHUTDOWN_MS = 500;
const FIRES = 25;

let bin: string;
const dirs: string[] = [];
const running: Running[] = [];

beforeAll(async () => {
  bin = await hearthBinary();
}, 120_000);
afterAll(() => {
  console.log(summary());
  for (const h of running) if (h.proc.exitCode === null) h.proc.kill("SIGKILL");
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function launch(
  plugins: ExternalName[],
  env: Record<string, string> = {},
): Promise<{ h: Running; token: string }> {
  const data = tempDir("faults");
  dirs.push(data);
  installExternal(data, plugins);
  const h = await startHearth(bin, {
    args: ["--data-dir", data],
    env: { HEARTH_SHUTDOWN_TIMEOUT_MS: String(SHUTDOWN_MS), ...env },
  });
  running.push(h);
  tally.scenarios++;
  tally.runtimes++;
  return { h, token: readFileSync(join(data, "admin.token"), "utf8").trim() };
}

function api(h: Running, token: string) {
  const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
  return {
    get: async (path: string) => fetch(h.url(path), { headers }),
    call: async (service: string, params: unknown) => {
      const res = await fetch(h.url(`/api/v1/services/${service}/call`), {
        method: "POST",
        headers,
        body: JSON.stringify(params),
      });
      return { status: res.status, body: (await res.json()) as { result?: unknown; error?: unknown } };
    },
    metrics: async () => (await fetch(h.url("/metrics"), { headers })).text(),
  };
}

/** Resolves with the exit code, or rejects once `ms` have passed (a bound, not a timing assertion). */
async function exitWithin(h: Running, ms: number): Promise<number> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      h.exited,
      new Promise<number>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`hearth did not exit within ${ms} ms of SIGTERM`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

describe("the compiled binary with faulty external plugins", () => {
  it("keeps /health at 200 while a plugin's event handler throws, shows its errors in /metrics, exits 4 naming a hung onStop", async () => {
    const { h, token } = await launch([
      "canary",
      "fault-event-throw",
      "fault-raw-throw",
      "fault-hang-onstop",
    ]);
    const http = api(h, token);
    const fired = await http.call("fault-event-throw.fire", { count: FIRES });
    expect(fired).toEqual({ status: 200, body: { result: { published: FIRES } } });
    // The canary answers, and got every event the faulty handler threw on.
    expect(await http.call("canary.ping", { n: 7 })).toEqual({
      status: 200,
      body: { result: { pong: 7, seen: FIRES } },
    });

    const health = await fetch(h.url("/health"));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "healthy" });

    // The raw timers threw outside every handler: counted, and the process is still up.
    let text = "";
    for (let i = 0; i < 100; i++) {
      text = await http.metrics();
      if (sample(text, "hearth_uncaught_errors_total", { kind: "unhandled_rejection" }) === 1) break;
      await Bun.sleep(20);
    }
    expect(sample(text, "hearth_uncaught_errors_total", { kind: "uncaught_exception" })).toBe(1);
    expect(sample(text, "hearth_uncaught_errors_total", { kind: "unhandled_rejection" })).toBe(1);
    expect(sample(text, "hearth_plugin_errors_total", { plugin: "fault-event-throw" })).toBe(FIRES);
    expect(sample(text, "hearth_plugin_errors_total", { plugin: "canary" })).toBe(0);
    expect(sample(text, "hearth_plugin_state", { plugin: "fault-event-throw", state: "started" })).toBe(1);
    expect(sample(text, "hearth_bus_events_failed_total", { type: FIRED })).toBe(FIRES);
    expect(sample(text, "hearth_bus_events_delivered_total", { type: FIRED })).toBe(FIRES);
    expect(sample(text, "hearth_bus_events_published_total", { type: "$bus.handler_failed" })).toBe(FIRES);

    const plugins = (await (await http.get("/api/v1/plugins")).json()) as {
      plugins: { name: string; state: string; errorCount: number }[];
    };
    expect(plugins.plugins.find((p) => p.name === "fault-event-throw")).toMatchObject({
      state: "started",
      errorCount: FIRES,
    });
    expect(
      h.logs.filter((l) => l.msg === "event handler failed" && l.owner === "fault-event-throw").length,
    ).toBe(FIRES);
    expect((await fetch(h.url("/health"))).status).toBe(200);

    h.proc.kill("SIGTERM");
    expect(await exitWithin(h, SHUTDOWN_MS + 10_000)).toBe(4);
    const exceeded = h.logs.find((l) => typeof l.msg === "string" && l.msg.startsWith("shutdown exceeded"));
    expect(exceeded?.hung).toContain("plugin fault-hang-onstop");
    tally.handlerFailures += FIRES + 2;
    tally.canaryProbes++;
  }, 30_000);

  it("reports plugins failing in onLoad/onStart as degraded (200) by name, serves the canary, exits 0", async () => {
    const culprits: ExternalName[] = [
      "fault-throw-onload",
      "fault-throw-onstart",
      "fault-hang-onload",
      "fault-hang-onstart",
    ];
    const { h, token } = await launch(["canary", ...culprits, "fault-throw-onstop", "fault-throw-onunload"]);
    const http = api(h, token);
    const health = await fetch(h.url("/health"));
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: "degraded" });
    const ready = (await (await http.get("/health/ready")).json()) as {
      checks: { plugins: { plugins: Record<string, { status: string; detail?: string }> } };
    };
    for (const name of culprits) {
      expect(ready.checks.plugins.plugins[name]?.status).toBe("degraded");
      expect(ready.checks.plugins.plugins[name]?.detail).toContain(name);
    }
    expect(ready.checks.plugins.plugins.canary?.status).toBe("healthy");
    expect(await http.call("canary.ping", { n: 1 })).toEqual({
      status: 200,
      body: { result: { pong: 1, seen: 0 } },
    });

    const { plugins } = (await (await http.get("/api/v1/plugins")).json()) as {
      plugins: { name: string; state: string; error?: { code: string; hook?: string } }[];
    };
    const byName = new Map(plugins.map((p) => [p.name, p]));
    expect(byName.get("fault-throw-onload")?.error).toMatchObject({
      code: "PLUGIN_HOOK_FAILED",
      hook: "onLoad",
    });
    expect(byName.get("fault-throw-onstart")?.error).toMatchObject({
      code: "PLUGIN_HOOK_FAILED",
      hook: "onStart",
    });
    expect(byName.get("fault-hang-onload")?.error).toMatchObject({
      code: "PLUGIN_HOOK_TIMEOUT",
      hook: "onLoad",
    });
    expect(byName.get("fault-hang-onstart")?.error).toMatchObject({
      code: "PLUGIN_HOOK_TIMEOUT",
      hook: "onStart",
    });
    const text = await http.metrics();
    for (const name of culprits) {
      expect(sample(text, "hearth_plugin_state", { plugin: name, state: "failed" })).toBe(1);
      expect(sample(text, "hearth_plugin_errors_total", { plugin: name })).toBe(1);
    }
    expect(sample(text, "hearth_plugin_state", { plugin: "canary", state: "started" })).toBe(1);

    h.proc.kill("SIGTERM");
    expect(await exitWithin(h, SHUTDOWN_MS + 10_000)).toBe(0);
    const teardown = h.logs
      .filter((l) => l.msg === "plugin failed while stopping; going on")
      .map((l) => l.plugin);
    expect(teardown.sort()).toEqual(["fault-throw-onstop", "fault-throw-onunload"]);
    tally.canaryProbes++;
    tally.handlerFailures += culprits.length + 2;
  }, 30_000);

  it("exits 4 on SIGTERM naming a plugin whose handler never settles on $runtime.started", async () => {
    const { h } = await launch(["canary", "fault-kernel-hang"]);
    h.proc.kill("SIGTERM");
    expect(await exitWithin(h, SHUTDOWN_MS + 3000)).toBe(4);
    const line = h.logs.find((l) => String(l.msg).startsWith("shutdown exceeded"));
    expect(line?.hung).toEqual(["plugin fault-kernel-hang"]);
  }, 30_000);

  it("names a handler stuck past eventHandlerTimeoutMs in /health and /metrics, then exits 0", async () => {
    const { h, token } = await launch(["canary", "fault-kernel-hang"], {
      HEARTH_EVENT_HANDLER_TIMEOUT_MS: "200",
    });
    const http = api(h, token);
    let health: { status: string; checks: { bus: { status: string; detail?: string } } } | undefined;
    for (let i = 0; i < 100; i++) {
      health = (await (await http.get("/health/ready")).json()) as typeof health;
      if (health?.checks.bus.status === "degraded") break;
      await Bun.sleep(50);
    }
    expect(health?.status).toBe("degraded");
    expect(health?.checks.bus.detail).toContain("fault-kernel-hang on $runtime.started");
    const text = await http.metrics();
    expect(sample(text, "hearth_bus_handlers_stuck", { owner: "fault-kernel-hang" })).toBe(1);
    expect(sample(text, "hearth_bus_handler_timeouts_total", {})).toBe(1);
    expect(sample(text, "hearth_plugin_errors_total", { plugin: "fault-kernel-hang" })).toBe(1);
    expect(await http.call("canary.ping", { n: 2 })).toMatchObject({ status: 200 });
    // The bus gave up on it, so nothing is left to wait for: a clean stop.
    h.proc.kill("SIGTERM");
    expect(await exitWithin(h, SHUTDOWN_MS + 3000)).toBe(0);
    expect(h.logs.some((l) => l.code === "BUS_HANDLER_TIMEOUT" && l.owner === "fault-kernel-hang")).toBe(
      true,
    );
    tally.canaryProbes++;
    tally.handlerFailures++;
  }, 30_000);
});
