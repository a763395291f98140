import { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fakeNotifySocket } from "../helpers/notify-socket.ts";
import { hearthBinary, runHearth, startHearth, tempDir } from "./harness.ts";

let bin: string;
const dirs: string[] = [];

beforeAll(async () => {
  bin = await hearthBinary();
}, 120_000);
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function dataDir(): string {
  const d = tempDir("e2e");
  dirs.push(d);
  return d;
}

/** Writes an external plugin (plugin.json + index.ts) into `<dataDir>/plugins/<name>`. */
function externalPlugin(
  data: string,
  name: string,
  code: string,
  manifest: Record<string, unknown> = {},
): void {
  const dir = join(data, "plugins", name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "plugin.json"), JSON.stringify({ name, version: "1.0.0", ...manifest }));
  writeFileSync(join(dir, "index.ts"), code);
}

function readDoc(data: string, namespace: string, key: string): unknown {
  const db = new Database(join(data, "hearth.db"), { readonly: true });
  try {
    const row = db
      .query("SELECT value FROM documents WHERE namespace = ? AND key = ?")
      .get(namespace, key) as { value: string } | null;
    return row ? JSON.parse(row.value) : undefined;
  } finally {
    db.close();
  }
}

describe("the compiled binary", () => {
  it("runs, answers /health, and exits 0 on SIGTERM", async () => {
    const data = dataDir();
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    const res = await fetch(h.url("/health"));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: "healthy" });
    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(h.logs.some((l) => l.msg === "runtime stopped")).toBe(true);
    expect(existsSync(join(data, "hearth.db"))).toBe(true);
  });

  it("loads an external TypeScript plugin from pluginsDir and keeps what it stored", async () => {
    const data = dataDir();
    externalPlugin(
      data,
      "greeter",
      `import type { PluginDefinition } from "hearth/sdk";
interface Greeting { from: string; count: number }
const plugin: PluginDefinition = {
  async onStart(ctx) {
    const greeting: Greeting = { from: ctx.name + "@" + ctx.version, count: 1 };
    await ctx.storage.set("greeter", "greeting", { ...greeting });
    ctx.log.info({ greeting }, "external plugin started");
  },
};
export default plugin;
`,
    );
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    expect(h.logs.some((l) => l.msg === "external plugin started" && l.plugin === "greeter")).toBe(true);
    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(readDoc(data, "greeter", "greeting")).toEqual({ from: "greeter@1.0.0", count: 1 });
  });

  it("hot-reloads a changed external plugin from disk on SIGHUP", async () => {
    const data = dataDir();
    const code = (v: number) =>
      `export default { async onStart(ctx) { await ctx.storage.set("reloader", "version", { v: ${v} }); } };\n`;
    externalPlugin(data, "reloader", code(1));
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    writeFileSync(join(data, "plugins", "reloader", "index.ts"), code(2));
    h.proc.kill("SIGHUP");
    for (let i = 0; i < 100 && !h.logs.some((l) => l.msg === "external plugins reloaded"); i++)
      await Bun.sleep(20);
    const reloaded = h.logs.find((l) => l.msg === "external plugins reloaded");
    expect(reloaded?.plugins).toEqual({ reloader: "started" });
    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(0);
    expect(readDoc(data, "reloader", "version")).toEqual({ v: 2 });
  });

  it("tells systemd READY=1, pings the watchdog while healthy, and says STOPPING=1", async () => {
    const sock = await fakeNotifySocket();
    try {
      const h = await startHearth(bin, {
        args: ["--data-dir", dataDir()],
        env: { NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: "100000" },
      });
      await sock.waitFor((m) => m.startsWith("READY=1"));
      await sock.waitFor((m) => m === "WATCHDOG=1");
      h.proc.kill("SIGTERM");
      expect(await h.exited).toBe(0);
      await sock.waitFor((m) => m === "STOPPING=1");
      expect(sock.messages.indexOf("STOPPING=1")).toBeGreaterThan(
        sock.messages.findIndex((m) => m.startsWith("READY=1")),
      );
    } finally {
      sock.close();
    }
  });

  it("exits 3 on an invalid configuration without creating any data", async () => {
    const data = join(dataDir(), "never");
    const r = await runHearth(bin, ["run", "--data-dir", data], { env: { HEARTH_HTTP_PORT: "eighty" } });
    expect(r.code).toBe(3);
    expect(r.stderr).toContain("http.port");
    expect(r.stderr).toContain("HEARTH_HTTP_PORT");
    expect(existsSync(data)).toBe(false);
  });

  it("abandons a hung plugin after shutdownTimeoutMs, still flushes deferred writes, and exits 4", async () => {
    const data = dataDir();
    externalPlugin(
      data,
      "sloth",
      `export default {
  async onStart(ctx) {
    await ctx.storage.set("sloth", "report", { on: true }, { deferred: true });
  },
  onStop() {
    return new Promise(() => {});
  },
};
`,
    );
    const h = await startHearth(bin, {
      args: ["--data-dir", data],
      env: { HEARTH_SHUTDOWN_TIMEOUT_MS: "300", HEARTH_STORAGE_FLUSH_INTERVAL_MS: "3600000" },
    });
    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(4);
    const timeout = h.logs.find((l) => typeof l.msg === "string" && l.msg.startsWith("shutdown exceeded"));
    expect(timeout?.hung).toContain("plugin sloth");
    expect(readDoc(data, "sloth", "report")).toEqual({ on: true });
  });

  it("forces the exit with 130 on a second signal", async () => {
    const data = dataDir();
    externalPlugin(data, "sloth", "export default { onStop() { return new Promise(() => {}); } };\n");
    const h = await startHearth(bin, {
      args: ["--data-dir", data],
      env: { HEARTH_SHUTDOWN_TIMEOUT_MS: "60000" },
    });
    h.proc.kill("SIGTERM");
    // Wait until the first signal is being handled before sending the second.
    for (let i = 0; i < 100 && !h.logs.some((l) => l.msg === "runtime stopping"); i++) await Bun.sleep(20);
    h.proc.kill("SIGINT");
    expect(await h.exited).toBe(130);
  });

  it("logs an error that escaped every handler and keeps serving", async () => {
    const data = dataDir();
    externalPlugin(
      data,
      "careless",
      `export default {
  onStart() {
    Promise.reject(new Error("nobody awaited me"));
    setTimeout(() => { throw new Error("thrown from a raw timer"); }, 1);
  },
};
`,
    );
    const h = await startHearth(bin, { args: ["--data-dir", data] });
    for (
      let i = 0;
      i < 100 && h.logs.filter((l) => l.msg === "error escaped every handler").length < 2;
      i++
    ) {
      await Bun.sleep(20);
    }
    const escaped = h.logs.filter((l) => l.msg === "error escaped every handler");
    expect(escaped.map((l) => l.kind).sort()).toEqual(["uncaughtException", "unhandledRejection"]);
    expect((await fetch(h.url("/health"))).status).toBe(200);
    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(0);
  });

  it("does not read a .env file from its working directory", async () => {
    const cwd = dataDir();
    writeFileSync(join(cwd, ".env"), "HEARTH_LOG_LEVEL=nonsense\n");
    const r = await runHearth(bin, ["check", "--data-dir", join(cwd, "data")], { cwd });
    expect(r.stderr).not.toContain("logLevel");
    expect(r.code).toBe(0);
  });
});
