/**
 * Two compiled Hearth binaries with the demo house on one Debian `mosquitto` (issue 18): a command
 * with `mosquitto_pub` on node A's set topic, node B importing A and commanding A's light through its
 * HTTP API, and the broker restarted under both. The password comes from `{ "$env": … }` and never
 * reaches a log. Needs `mosquitto` and `mosquitto-clients` (apt; .ci/run installs them).
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { chmodSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { join } from "node:path";
import { connectAsync, type MqttClient } from "mqtt";
import { toolAvailable } from "../helpers/tools.ts";
import { hearthBinary, type Running, startHearth, tempDir } from "./harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

const USER = "hearth";
const PASSWORD = "e2e-Broker-Pa55";
const dirs: string[] = [];
let bin: string;
let port: number;
let conf: string;
let mosquitto: Bun.Subprocess | undefined;
let a: Running;
let b: Running;
let tokenA: string;
let tokenB: string;
let spy: MqttClient;
const setMessages: string[] = [];

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });

async function startMosquitto(): Promise<void> {
  const proc = Bun.spawn(["mosquitto", "-c", conf], { stdout: "pipe", stderr: "pipe" });
  mosquitto = proc;
  const end = Date.now() + 5000;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = Bun.connect({
        hostname: "127.0.0.1",
        port,
        socket: {
          open: (sock) => {
            sock.end();
            resolve(true);
          },
          data() {},
          error: () => resolve(false),
          connectError: () => resolve(false),
        },
      }).catch(() => resolve(false));
      void s;
    });
    if (ok) return;
    if (proc.exitCode !== null)
      throw new Error(`mosquitto exited: ${await new Response(proc.stderr).text()}`);
    await Bun.sleep(50);
  }
  throw new Error("mosquitto did not listen");
}

async function stopMosquitto(): Promise<void> {
  mosquitto?.kill("SIGTERM");
  await mosquitto?.exited;
  mosquitto = undefined;
}

function node(nodeId: string, extra: Record<string, unknown>) {
  const dir = tempDir(`mqtt-${nodeId}`);
  dirs.push(dir);
  const file = join(dir, "hearth.json");
  writeFileSync(
    file,
    JSON.stringify({
      dataDir: join(dir, "data"),
      plugins: {
        mqtt: {
          config: {
            url: `mqtt://127.0.0.1:${port}`,
            nodeId,
            username: USER,
            password: { $env: "MQTT_PASSWORD" },
            reconnect: { minMs: 200, maxMs: 1000 },
            ...extra,
          },
        },
        demo: {
          enabled: nodeId === "house",
          config: { intervalMs: 60000, commandDelayMs: 20, motionChance: 0, doorChance: 0, buttonChance: 0 },
        },
      },
    }),
  );
  return { dir, file };
}

const api =
  (h: Running, token: string) =>
  async (path: string, init: RequestInit = {}) => {
    const res = await fetch(h.url(path), {
      ...init,
      headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json" },
    });
    return { status: res.status, body: (await res.json().catch(() => null)) as Json };
  };

const until = async (what: string, fn: () => Promise<boolean>, timeoutMs = 10_000) => {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await Bun.sleep(50);
  }
  throw new Error(`timed out waiting for ${what}`);
};

const sh = async (cmd: string[]) => {
  const p = Bun.spawn(cmd, { stdout: "pipe", stderr: "pipe" });
  const [code, out, err] = await Promise.all([
    p.exited,
    new Response(p.stdout).text(),
    new Response(p.stderr).text(),
  ]);
  if (code !== 0) throw new Error(`${cmd[0]} exited ${code}: ${err}`);
  return out;
};
const auth = () => ["-h", "127.0.0.1", "-p", String(port), "-u", USER, "-P", PASSWORD];

/** Debian's mosquitto and its clients; without them (outside CI) the file is skipped, saying why. */
const HAS_MOSQUITTO = toolAvailable("mosquitto") && toolAvailable("mosquitto_pub");

beforeAll(async () => {
  if (!HAS_MOSQUITTO) return;
  bin = await hearthBinary();
  port = await freePort();
  const dir = tempDir("mosquitto");
  dirs.push(dir);
  await sh(["mosquitto_passwd", "-b", "-c", join(dir, "passwd"), USER, PASSWORD]);
  // Run as root, mosquitto drops to its own user: it must be able to read the password file.
  chmodSync(dir, 0o755);
  chmodSync(join(dir, "passwd"), 0o644);
  conf = join(dir, "mosquitto.conf");
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      "allow_anonymous false",
      `password_file ${join(dir, "passwd")}`,
      "persistence false",
      "log_dest stderr",
      "",
    ].join("\n"),
  );
  await startMosquitto();
  const env = { MQTT_PASSWORD: PASSWORD };
  const na = node("house", {});
  a = await startHearth(bin, { env: { ...env, HEARTH_CONFIG: na.file } });
  tokenA = readFileSync(join(na.dir, "data", "admin.token"), "utf8").trim();
  const nb = node("garage", { import: ["house"], discovery: { enabled: false } });
  b = await startHearth(bin, { env: { ...env, HEARTH_CONFIG: nb.file } });
  tokenB = readFileSync(join(nb.dir, "data", "admin.token"), "utf8").trim();
  spy = await connectAsync(`mqtt://127.0.0.1:${port}`, {
    username: USER,
    password: PASSWORD,
    reconnectPeriod: 200,
  });
  spy.on("message", (topic, payload) => {
    if (topic === "hearth/house/devices/demo-light/set") setMessages.push(payload.toString());
  });
  await spy.subscribeAsync("hearth/house/devices/demo-light/set", { qos: 1 });
}, 180_000);

afterAll(async () => {
  await spy?.endAsync(true);
  for (const h of [a, b]) {
    if (h === undefined) continue;
    h.proc.kill("SIGTERM");
    await h.exited;
  }
  await stopMosquitto();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe.skipIf(!HAS_MOSQUITTO)("two compiled nodes on mosquitto", () => {
  it("takes a command from mosquitto_pub on A's set topic, and the state comes back retained", async () => {
    const A = api(a, tokenA);
    await until("A's light on the broker", async () =>
      (
        await sh([
          "mosquitto_sub",
          ...auth(),
          "-t",
          "hearth/house/devices/demo-light/state",
          "-C",
          "1",
          "-W",
          "2",
        ])
      ).includes("on_off"),
    );
    await sh([
      "mosquitto_pub",
      ...auth(),
      "-q",
      "1",
      "-t",
      "hearth/house/devices/demo-light/set",
      "-m",
      '{"on_off":true,"brightness":33}',
    ]);
    await until(
      "A's light on",
      async () => (await A("/api/v1/devices/demo-light")).body.state.reported.brightness === 33,
    );
    // A fresh subscriber gets the retained state at once.
    const again = await sh([
      "mosquitto_sub",
      ...auth(),
      "-t",
      "hearth/house/devices/demo-light/state",
      "-C",
      "1",
      "-W",
      "3",
      "-v",
    ]);
    expect(again.startsWith("hearth/house/devices/demo-light/state ")).toBe(true);
    expect(JSON.parse(again.slice(again.indexOf(" ") + 1))).toMatchObject({
      on_off: true,
      brightness: 33,
      state: "ON",
    });
  }, 30_000);

  it("B imports A's devices and commands A's light through B's HTTP API, confirmed by A's state", async () => {
    const B = api(b, tokenB);
    await until(
      "B to see A's light",
      async () => (await B("/api/v1/devices/mqtt-house-demo-light")).body?.available === true,
    );
    expect((await B("/api/v1/devices")).body.devices.length).toBe(6);
    const res = await B("/api/v1/devices/mqtt-house-demo-light/command", {
      method: "POST",
      body: JSON.stringify({ brightness: 71 }),
    });
    expect(res.status).toBe(200);
    await until(
      "A's light at 71",
      async () => (await api(a, tokenA)("/api/v1/devices/demo-light")).body.state.reported.brightness === 71,
    );
    await until("B confirmed", async () => {
      const d = (await B("/api/v1/devices/mqtt-house-demo-light")).body;
      return d.state.reported.brightness === 71 && d.state.pending.length === 0;
    });
  }, 30_000);

  it("both reconnect after the broker restarts; commands during the outage fail clearly; nothing is duplicated", async () => {
    const A = api(a, tokenA);
    const B = api(b, tokenB);
    await stopMosquitto();
    const status = async (h: Running, token: string) =>
      ((await api(h, token)("/api/v1/plugins")).body.plugins as Json[]).find((p) => p.name === "mqtt").health
        ?.status;
    await until("A in error", async () => (await status(a, tokenA)) === "error");
    await until("B in error", async () => (await status(b, tokenB)) === "error");
    const during = await B("/api/v1/devices/mqtt-house-demo-light/command", {
      method: "POST",
      body: JSON.stringify({ brightness: 5 }),
    });
    expect(during.status).toBe(409);
    expect(during.body.error.code).toBe("DEVICE_UNAVAILABLE");
    await startMosquitto();
    await until("A ok", async () => (await status(a, tokenA)) === "ok", 15_000);
    await until("B ok", async () => (await status(b, tokenB)) === "ok", 15_000);
    await until(
      "B's light back",
      async () => (await B("/api/v1/devices/mqtt-house-demo-light")).body.available === true,
    );
    await until("spy back", async () => spy.connected);
    await spy.subscribeAsync("hearth/house/devices/demo-light/set", { qos: 1 });
    const before = setMessages.length;
    const res = await B("/api/v1/devices/mqtt-house-demo-light/command", {
      method: "POST",
      body: JSON.stringify({ brightness: 44 }),
    });
    expect(res.status).toBe(200);
    await until(
      "A's light at 44",
      async () => (await A("/api/v1/devices/demo-light")).body.state.reported.brightness === 44,
    );
    await Bun.sleep(300);
    expect(setMessages.slice(before).filter((m) => m.includes('"brightness":44'))).toHaveLength(1);
    expect(setMessages.some((m) => m.includes('"brightness":5'))).toBe(false);
    expect((await B("/api/v1/devices")).body.devices.length).toBe(6);
    expect((await A("/api/v1/devices")).body.devices.length).toBe(6);
  }, 60_000);

  it("never writes the broker password to a log", () => {
    expect(a.text()).toContain("mqtt connected");
    expect(a.text()).not.toContain(PASSWORD);
    expect(b.text()).not.toContain(PASSWORD);
  });
});
