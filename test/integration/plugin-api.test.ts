/**
 * The plugin API hardware and network plugins need, through the public surface: secret namespaces
 * declared in plugin.json, integration status from the plugin, the lifetime signal and tasks, caller
 * identity and the audit line, and endpoint success statuses.
 */
import { afterAll, describe, expect, it } from "bun:test";
import { statSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";
import { backupDatabaseFile } from "../../src/kernel/storage/index.ts";
import type { PluginContext } from "../../src/sdk/index.ts";
import { type Booted, bootRuntime, dataDir, plugin, removeDataDirs } from "../helpers/runtime.ts";

const running: Booted[] = [];
async function boot(...args: Parameters<typeof bootRuntime>): Promise<Booted> {
  const b = await bootRuntime(...args);
  running.push(b);
  return b;
}
afterAll(async () => {
  for (const b of running) await b.stop();
  removeDataDirs();
});

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const pluginInfo = async (b: Booted, name: string): Promise<Json> =>
  (await b.json<Json>("/api/v1/plugins")).plugins.find((p: Json) => p.name === name);

const waitFor = async (cond: () => boolean, what: string, ms = 2000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(5);
  }
};

describe("secret namespaces declared in plugin.json", () => {
  const NETWORK_KEY = "nk-0123456789abcdef-SECRET-MARKER";
  const stick = () =>
    plugin(
      "stick",
      {
        async onStart(ctx) {
          if ((await ctx.storage.get("stick.keys", "network")) === undefined) {
            await ctx.storage.set("stick.keys", "network", { key: NETWORK_KEY });
          }
          await ctx.storage.set("stick", "radio", { channel: 15 });
        },
      },
      { secretNamespaces: ["stick.keys"] },
    );

  it("keeps the values out of state, the storage routes and the logs, and in the backup", async () => {
    const dir = dataDir();
    const b = await boot({ dir, plugins: [stick()] });
    expect(await b.kernel.storage.get("stick.keys", "network")).toEqual({ key: NETWORK_KEY });
    expect(b.kernel.mirror.isSecret("stick.keys")).toBe(true);
    expect(b.kernel.mirror.isSecret("stick")).toBe(false);

    // Never in state.
    const keys = b.kernel.state.keys("**");
    for (const k of keys) expect(JSON.stringify(b.kernel.state.get(k))).not.toContain(NETWORK_KEY);

    // Listed as secret, never readable through the storage routes.
    const list: Json = await b.json("/api/v1/storage");
    expect(list.namespaces).toContainEqual({ namespace: "stick.keys", keys: 1, secret: true });
    const refused = await b.request("/api/v1/storage/stick.keys");
    expect(refused.status).toBe(403);
    const body = await refused.text();
    expect(body).not.toContain(NETWORK_KEY);
    expect(JSON.parse(body).error).toMatchObject({ code: "AUTH_FORBIDDEN", data: { secret: true } });
    // The plugin's other namespace stays readable.
    const open: Json = await b.json("/api/v1/storage/stick");
    expect(open.entries).toEqual([{ key: "radio", value: { channel: 15 } }]);
    // The runtime summary names it among the secret namespaces.
    const rt: Json = await b.json("/api/v1/runtime");
    expect(rt.config.storage.secretNamespaces).toContain("stick.keys");

    // Never in the state routes either.
    const state = await b.request("/api/v1/state?pattern=**");
    expect(await state.text()).not.toContain(NETWORK_KEY);
    expect(b.log.text()).not.toContain(NETWORK_KEY);

    // Kept in a backup (owner-only), so a restore brings the network key back.
    const file = join(dataDir(), "backup.db");
    await b.kernel.storage.backup(file);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    await b.stop();
    const restored = dataDir();
    backupDatabaseFile(file, join(restored, "hearth.db"));
    const again = await boot({ dir: restored, plugins: [stick()] });
    expect(await again.kernel.storage.get("stick.keys", "network")).toEqual({ key: NETWORK_KEY });
    expect(again.kernel.mirror.isSecret("stick.keys")).toBe(true);
  });

  it("refuses a plugin.json that declares a namespace it does not own, naming it", async () => {
    const b = await boot({
      plugins: [plugin("thief", {}, { secretNamespaces: ["auth"] }), plugin("fine", {})],
    });
    const list: Json = await b.json("/api/v1/plugins");
    expect(list.plugins.map((p: Json) => p.name)).toEqual(["fine"]);
    const problem = list.problems.find((p: Json) => JSON.stringify(p).includes("thief"));
    expect(problem.error.code).toBe("PLUGIN_MANIFEST_INVALID");
    expect(problem.error.message).toContain("secretNamespaces");
    expect(b.kernel.mirror.isSecret("auth")).toBe(true); // built-in, untouched
    expect((await pluginInfo(b, "fine")).state).toBe("started");
  });
});

describe("integration status from the plugin", () => {
  let ctxOf: PluginContext<unknown> | undefined;
  const zigbee = () =>
    plugin(
      "zigbee",
      {
        onStart(ctx) {
          ctxOf = ctx;
        },
      },
      { isIntegration: true },
    );

  it("shows in /api/v1/integrations, /health/ready, /metrics and as $plugin.status_changed, cleared on stop", async () => {
    const b = await boot({ plugins: [zigbee()] });
    const events: Json[] = [];
    b.kernel.bus.subscribe("$plugin.status_changed", (e) => {
      events.push(e.payload);
    });
    const ctx = ctxOf as PluginContext<unknown>;
    ctx.integration.setStatus("error", "stick unplugged");

    const integrations: Json = await b.json("/api/v1/integrations");
    const rec = integrations.integrations.find((i: Json) => i.name === "zigbee");
    expect(rec.health).toMatchObject({ status: "error", reason: "stick unplugged" });
    const ready = await b.request("/health/ready");
    expect(ready.status).toBe(200);
    const report: Json = await ready.json();
    expect(report.status).toBe("degraded");
    expect(report.checks.plugins.status).toBe("degraded");
    expect(report.checks.plugins.detail).toContain("zigbee (error: stick unplugged)");
    const metrics = await (await b.request("/metrics")).text();
    expect(metrics).toContain('hearth_plugin_health{plugin="zigbee",status="error"} 1');
    await waitFor(() => events.length === 1, "the status event");
    expect(events[0]).toMatchObject({ name: "zigbee", status: "error", reason: "stick unplugged" });

    // Saying the same again is no new event; recovering is.
    ctx.integration.setStatus("error", "stick unplugged");
    ctx.integration.setStatus("ok");
    await waitFor(() => events.length === 2, "the recovery event");
    expect(events[1]).toMatchObject({ name: "zigbee", status: "ok" });
    expect((await b.json<Json>("/health/ready")).status).toBe("healthy");

    ctx.integration.setStatus("degraded", "slow broker");
    await b.json("/api/v1/plugins/zigbee/disable", { method: "POST" });
    const after: Json = await b.json("/api/v1/integrations");
    expect(after.integrations.find((i: Json) => i.name === "zigbee").health).toBeUndefined();
    expect(await (await b.request("/metrics")).text()).not.toContain('plugin="zigbee",status="degraded"');
    expect(() => ctx.integration.setStatus("ok")).toThrow(/can no longer be used|unloaded/);
  });

  it("refuses a status that is not ok, degraded or error", async () => {
    await boot({ plugins: [zigbee()] });
    const ctx = ctxOf as PluginContext<unknown>;
    expect(() => ctx.integration.setStatus("broken" as "ok")).toThrow();
  });
});

describe("the lifetime signal and tasks", () => {
  it("aborts the signal and awaits a task on stop, before onStop runs", async () => {
    const order: string[] = [];
    let signal: AbortSignal | undefined;
    const b = await boot({
      plugins: [
        plugin("reader", {
          onStart(ctx) {
            signal = ctx.signal;
            ctx.task("loop", async (s) => {
              order.push("task started");
              while (!s.aborted) await Bun.sleep(5);
              await Bun.sleep(30); // cleaning up after the abort: stop must wait for it
              order.push("task ended");
            });
          },
          onStop() {
            order.push("onStop");
          },
        }),
      ],
    });
    await waitFor(() => order.includes("task started"), "the task");
    expect(signal?.aborted).toBe(false);
    await b.json("/api/v1/plugins/reader/disable", { method: "POST" });
    expect(signal?.aborted).toBe(true);
    expect(order).toEqual(["task started", "task ended", "onStop"]);
    expect((await pluginInfo(b, "reader")).errorCount).toBe(0);
  });

  it("gives up on a task that ignores the signal at the hook timeout, naming it, and counts it", async () => {
    const b = await boot({
      hookTimeoutMs: 150,
      plugins: [
        plugin("stubborn", {
          onStart(ctx) {
            ctx.task("deaf-loop", () => new Promise(() => {}));
          },
        }),
      ],
    });
    const t0 = Date.now();
    await b.json("/api/v1/plugins/stubborn/disable", { method: "POST" });
    expect(Date.now() - t0).toBeLessThan(5000); // bounded: it returned at all
    const line = b.log.lines.find((l) => l.plugin === "stubborn" && Array.isArray(l.tasks));
    expect(line?.tasks).toEqual(["deaf-loop"]);
    expect(line?.level).toBe("error");
    expect((await pluginInfo(b, "stubborn")).errorCount).toBe(1);
  });

  it("logs and counts a task that fails, and keeps the plugin running", async () => {
    const b = await boot({
      plugins: [
        plugin("flaky", {
          onStart(ctx) {
            ctx.task("reconnect", async () => {
              await Bun.sleep(1);
              throw new Error("broker refused");
            });
          },
        }),
      ],
    });
    await waitFor(() => b.log.lines.some((l) => l.msg === "plugin task failed"), "the task failure");
    const line = b.log.lines.find((l) => l.msg === "plugin task failed");
    expect(line).toMatchObject({ plugin: "flaky", task: "reconnect", err: "broker refused" });
    const p: Json = await pluginInfo(b, "flaky");
    expect(p.state).toBe("started");
    expect(p.errorCount).toBe(1);
  });

  it("refuses a task with a bad name or after the plugin stopped", async () => {
    let ctx: PluginContext<unknown> | undefined;
    const b = await boot({
      plugins: [
        plugin("tasks", {
          onStart(c) {
            ctx = c;
          },
        }),
      ],
    });
    const c = ctx as PluginContext<unknown>;
    expect(() => c.task("Bad Name", async () => {})).toThrow(/Task name/);
    await b.json("/api/v1/plugins/tasks/disable", { method: "POST" });
    expect(() => c.task("late", async () => {})).toThrow(/can no longer be used|stopping/);
  });
});

describe("caller identity, the audit line and success statuses", () => {
  const seen: Json[] = [];
  const lamp = () =>
    plugin("lamp", {
      onStart(ctx) {
        ctx.services.register<{ name: string }, { id: string }>(
          "create",
          (params, call) => {
            seen.push({ identity: call.identity, caller: call.caller });
            return { id: params.name };
          },
          { schema: z.object({ name: z.string() }) },
        );
        ctx.services.register("remove", () => undefined);
        ctx.http.register({
          method: "POST",
          path: "/things",
          service: "create",
          summary: "Create a thing",
          scope: "control",
          status: 201,
        });
        ctx.http.register({
          method: "DELETE",
          path: "/things/:id",
          service: "remove",
          summary: "Remove a thing",
          scope: "control",
          status: 204,
        });
      },
    });

  it("hands the calling token to the service handler, and writes one audit line per mutating call", async () => {
    const b = await boot({ plugins: [lamp()] });
    const {
      token,
      info: { id },
    } = await b.tokens.create({ name: "kitchen-panel", scopes: ["control"] });
    seen.length = 0;
    const created = await b.request("/api/v1/lamp/things", {
      method: "POST",
      token,
      body: JSON.stringify({ name: "porch" }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: "porch" });
    expect(seen).toEqual([
      { identity: { tokenId: id, name: "kitchen-panel", scopes: ["control"] }, caller: "admin" },
    ]);

    const removed = await b.request("/api/v1/lamp/things/porch", { method: "DELETE", token });
    expect(removed.status).toBe(204);
    expect(await removed.text()).toBe("");

    // Through /services/{name}/call too.
    await b.json("/api/v1/services/lamp.create/call", {
      method: "POST",
      body: JSON.stringify({ name: "hall" }),
    });
    expect(seen.at(-1).identity).toMatchObject({ name: "it-admin", scopes: ["admin"] });
    // Calls made inside Hearth carry no token.
    await b.kernel.services.call("lamp.create", { name: "inside" });
    expect(seen.at(-1).identity).toBeUndefined();

    const audit = b.log.lines.filter((l) => l.audit === true);
    expect(audit[0]).toMatchObject({
      msg: "http request",
      method: "POST",
      route: "/api/v1/lamp/things",
      status: 201,
      tokenId: id,
      tokenName: "kitchen-panel",
      outcome: "ok",
    });
    expect(audit[1]).toMatchObject({ method: "DELETE", route: "/api/v1/lamp/things/:id", status: 204 });
    // No bodies, no raw path, no token.
    expect(JSON.stringify(audit)).not.toContain("porch");
    expect(b.log.text()).not.toContain(token);
    // Reads are no audit records.
    await b.json("/api/v1/plugins");
    expect(b.log.lines.filter((l) => l.audit === true)).toHaveLength(audit.length);
  });

  it("audits refused attempts too: a wrong token (401) and a too-weak one (403), with the code", async () => {
    const b = await boot({ plugins: [lamp()] });
    const {
      token: reader,
      info: { id },
    } = await b.tokens.create({ name: "reader", scopes: ["read"] });
    const mark = b.log.lines.length;
    const body = JSON.stringify({ name: "x" });
    expect((await b.request("/api/v1/lamp/things", { method: "POST", token: "nope", body })).status).toBe(
      401,
    );
    expect((await b.request("/api/v1/lamp/things", { method: "POST", token: reader, body })).status).toBe(
      403,
    );
    const audit = b.log.lines.slice(mark).filter((l) => l.audit === true);
    expect(audit).toHaveLength(2);
    expect(audit[0]).toMatchObject({ status: 401, outcome: "refused", tokenId: null, tokenName: null });
    expect(audit[0]?.code).toBeString();
    expect(audit[1]).toMatchObject({ status: 403, outcome: "refused", tokenId: id, tokenName: "reader" });
    expect(audit[1]?.code).toBeString();
  });

  it("logs a token's creation once, through the API", async () => {
    const b = await boot();
    const mark = b.log.lines.length;
    const created: Json = await b.json("/api/v1/tokens", {
      method: "POST",
      body: JSON.stringify({ name: "grafana", scopes: ["read"] }),
    });
    const lines = b.log.lines.slice(mark);
    const about = lines.filter((l) => JSON.stringify(l).includes("grafana"));
    // The store's record of the creation, and the request's audit line.
    expect(about.filter((l) => l.audit !== true)).toHaveLength(1);
    expect(lines.filter((l) => l.audit === true)).toHaveLength(1);
    expect(b.log.text()).not.toContain(created.token);
  });
});
