/**
 * The zigbee plugin inside the compiled binary (issue 16: "the same flow runs in the compiled
 * binary"): `hearth run` from a folder without node_modules, configured against the Z-Stack simulator
 * on the other end of a socat pty. herdsman, bundled with the serialport shim, forms the network over
 * Hearth's Bun serial driver; a bulb and two sensors join over HTTP permit join and are interviewed;
 * an HTTP command reaches the simulator as ZCL; reports come back as device state and as
 * `device.state_changed` on the SSE stream; garbage on the line is survived; the stick is unplugged
 * (status `error`, runtime degraded) and replugged (the plugin recovers); and the binary is restarted
 * on the same data dir (the network resumes with the same devices, nothing re-joins).
 * One binary, one simulator (its state kept throughout), one data dir.
 */
import { afterAll, beforeAll, describe, expect, it } from "bun:test";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { openSerialPort } from "../../src/hal/serial/index.ts";
import { type PtyPair, startPtyPair } from "../helpers/socat.ts";
import { toolAvailable } from "../helpers/tools.ts";
import { attachPty, Cluster, type SimTransport, ZnpStick } from "../zigbee/sim/index.ts";
import { hearthBinary, type Running, startHearth, tempDir } from "./harness.ts";

// biome-ignore lint/suspicious/noExplicitAny: response bodies are checked by expect()
type Json = any;

let bin: string;
let pty: PtyPair;
let stick: ZnpStick;
let sim: SimTransport;
let h: Running;
let cwd: string;
let token: string;
/** Device ids by simulated model, as first listed. */
const ids: Record<string, string> = {};

const waitFor = async (cond: () => boolean | Promise<boolean>, what: string, ms = 20_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}:\n${h?.text().slice(-4000)}`);
    await Bun.sleep(50);
  }
};
const headers = () => ({ Authorization: `Bearer ${token}`, "Content-Type": "application/json" });
const api = async (path: string, init: RequestInit = {}): Promise<Json> => {
  const res = await fetch(h.url(path), { ...init, headers: headers() });
  if (!res.ok) throw new Error(`${init.method ?? "GET"} ${path}: ${res.status} ${await res.text()}`);
  return res.json();
};
const zigbeeDevices = async (): Promise<Json[]> =>
  (await api("/api/v1/devices")).devices.filter((d: Json) => d.owner === "zigbee");
const device = (model: string): Promise<Json> => api(`/api/v1/devices/${ids[model]}`);
const integration = async (): Promise<Json> =>
  (await api("/api/v1/integrations")).integrations.find((i: Json) => i.name === "zigbee");
const command = (model: string, body: Record<string, unknown>): Promise<Json> =>
  api(`/api/v1/devices/${ids[model]}/command`, { method: "POST", body: JSON.stringify(body) });
const networkUp = (run: Running) => run.logs.filter((l) => l.msg === "zigbee network up");

/** `/api/v1/events/stream?pattern=…` read in the background: the events so far, parsed. */
async function eventStream(pattern: string): Promise<{ events: Json[]; close: () => void }> {
  const abort = new AbortController();
  const res = await fetch(h.url(`/api/v1/events/stream?pattern=${encodeURIComponent(pattern)}`), {
    headers: headers(),
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const events: Json[] = [];
  void (async () => {
    const decoder = new TextDecoder();
    let buf = "";
    for await (const chunk of res.body as ReadableStream<Uint8Array>) {
      buf += decoder.decode(chunk, { stream: true });
      let end = buf.indexOf("\n\n");
      while (end >= 0) {
        const data = buf
          .slice(0, end)
          .split("\n")
          .filter((l) => l.startsWith("data:"))
          .map((l) => l.slice(5).trim())
          .join("\n");
        if (data) events.push(JSON.parse(data));
        buf = buf.slice(end + 2);
        end = buf.indexOf("\n\n");
      }
    }
  })().catch(() => undefined);
  return { events, close: () => abort.abort() };
}
const stateChanged = (events: Json[], model: string, key: string, value: unknown): Json | undefined =>
  events.find(
    (e) => e.type === "device.state_changed" && e.payload.id === ids[model] && e.payload.new?.[key] === value,
  );

async function start(): Promise<Running> {
  return startHearth(bin, {
    cwd,
    args: ["--data-dir", join(cwd, "data")],
    env: { HEARTH_CONFIG: join(cwd, "hearth.json") },
  });
}

describe.skipIf(!toolAvailable("socat"))("zigbee in the compiled binary", () => {
  beforeAll(async () => {
    bin = await hearthBinary();
    pty = await startPtyPair();
    stick = new ZnpStick();
    sim = attachPty(stick, pty.b);
    // A folder with the config and the data, and no node_modules anywhere above it.
    cwd = tempDir("e2e-zigbee");
    expect(existsSync(join(cwd, "node_modules"))).toBe(false);
    const config = { plugins: { zigbee: { config: { port: pty.a, retryMinMs: 300, retryMaxMs: 1000 } } } };
    writeFileSync(join(cwd, "hearth.json"), JSON.stringify(config));
    h = await start();
    token = readFileSync(join(cwd, "data", "admin.token"), "utf8").trim();
  }, 180_000);

  afterAll(async () => {
    h?.proc.kill("SIGTERM");
    await h?.exited;
    await sim?.close();
    await pty?.dispose();
    if (cwd) rmSync(cwd, { recursive: true, force: true });
  });

  it("forms the network on the simulated stick over the pty", async () => {
    await waitFor(() => networkUp(h).length === 1, "zigbee network up");
    // A fresh stick: herdsman formed a new network (it resumes it after the restart below).
    expect(networkUp(h)[0]).toMatchObject({ port: pty.a, started: "reset" });
    expect((await integration()).health?.status).toBe("ok");
    expect(stick.nv.has(0x21)).toBe(true);
    expect(h.text()).not.toContain("bindings-cpp");
  }, 60_000);

  it("lets a bulb and two sensors join over HTTP permit join; they are interviewed and listed", async () => {
    await api("/api/v1/services/zigbee.permit_join/call", {
      method: "POST",
      body: JSON.stringify({ seconds: 60 }),
    });
    await waitFor(() => stick.permitJoin, "permit join on the stick");
    const sims = Object.fromEntries((["bulb", "climate", "motion"] as const).map((k) => [k, stick.join(k)]));
    await waitFor(async () => (await zigbeeDevices()).length === 3, "three devices in /api/v1/devices");
    const byModel: Record<string, Json> = Object.fromEntries(
      (await zigbeeDevices()).map((d: Json) => [d.attributes.model, d]),
    );
    const caps = (m: string) => byModel[m].capabilities.map((c: Json) => c.name).sort();
    expect(Object.keys(byModel).sort()).toEqual(["SIM-BULB-CT", "SIM-CLIMATE", "SIM-MOTION"]);
    expect(byModel["SIM-BULB-CT"].type).toBe("light");
    expect(caps("SIM-BULB-CT")).toEqual(["brightness", "color_temp", "on_off"]);
    expect(caps("SIM-CLIMATE")).toEqual(["battery", "humidity", "temperature"]);
    expect(caps("SIM-MOTION")).toEqual(["battery", "illuminance", "occupancy"]);
    expect(byModel["SIM-BULB-CT"].attributes.ieee).toBe(sims.bulb?.ieee);
    expect(byModel["SIM-CLIMATE"].attributes.ieee).toBe(sims.climate?.ieee);
    for (const [m, d] of Object.entries(byModel)) ids[m] = d.id;
  }, 60_000);

  it("sends an HTTP command to the bulb as ZCL frames the simulator receives", async () => {
    stick.delivered.length = 0;
    await command("SIM-BULB-CT", { on_off: true, brightness: 40 });
    await waitFor(
      () => stick.delivered.some((z) => z.cluster === Cluster.LEVEL && z.command === 0x04),
      "moveToLevelWithOnOff at the simulator",
    );
    expect(stick.delivered.find((z) => z.cluster === Cluster.LEVEL)?.payload[0]).toBe(
      Math.round((40 * 254) / 100),
    );
  }, 30_000);

  it("turns a report from the bulb into its state", async () => {
    stick.report("bulb", Cluster.LEVEL, { 0: 254 });
    await waitFor(
      async () => (await device("SIM-BULB-CT")).state.reported.brightness === 100,
      "brightness 100 from the report",
    );
  }, 30_000);

  it("turns sensor reports into device.state_changed on the event stream", async () => {
    const sse = await eventStream("device.*");
    try {
      stick.report("climate", Cluster.TEMPERATURE, { 0: 2250 });
      stick.report("climate", Cluster.HUMIDITY, { 0: 4710 });
      stick.report("motion", Cluster.OCCUPANCY, { 0: 1 });
      await waitFor(
        () =>
          stateChanged(sse.events, "SIM-CLIMATE", "temperature", 22.5) !== undefined &&
          stateChanged(sse.events, "SIM-CLIMATE", "humidity", 47.1) !== undefined &&
          stateChanged(sse.events, "SIM-MOTION", "occupancy", true) !== undefined,
        "temperature, humidity and occupancy on the stream",
      );
      const temp = stateChanged(sse.events, "SIM-CLIMATE", "temperature", 22.5);
      expect(temp.payload.changed).toEqual(["temperature"]);
      expect(temp.payload.source).toBe("external");
      expect(stateChanged(sse.events, "SIM-MOTION", "occupancy", true).payload.changed).toEqual([
        "occupancy",
      ]);
      // Only device.* events on this stream.
      expect(sse.events.every((e) => e.type.startsWith("device."))).toBe(true);
      expect((await device("SIM-CLIMATE")).state.reported).toMatchObject({
        temperature: 22.5,
        humidity: 47.1,
      });
      expect((await device("SIM-MOTION")).state.reported).toMatchObject({ occupancy: true });
    } finally {
      sse.close();
    }
  }, 30_000);

  it("survives garbage on the line", async () => {
    const startsBefore = networkUp(h).length;
    // Random bytes, a truncated frame and a frame with a wrong checksum, from the stick's side.
    const port = await openSerialPort({ path: pty.b, lock: false });
    await port.write(crypto.getRandomValues(new Uint8Array(512)));
    await port.write(Uint8Array.of(0xfe, 0x05, 0x44, 0x81, 0x00));
    await port.write(Uint8Array.of(0xfe, 0x01, 0x61, 0x01, 0x00, 0x00));
    await port.close();
    // A frame that collides with the garbage may be lost (as on a noisy line); the next ones arrive.
    let humidity = 50;
    await waitFor(async () => {
      humidity++;
      stick.report("climate", Cluster.HUMIDITY, { 0: humidity * 100 });
      await Bun.sleep(100);
      return (await device("SIM-CLIMATE")).state.reported.humidity === humidity;
    }, "a report after the garbage");
    expect(h.proc.exitCode).toBeNull();
    expect((await integration()).health?.status).toBe("ok");
    // The network did not restart over it, and a command still goes through.
    expect(networkUp(h).length).toBe(startsBefore);
    stick.delivered.length = 0;
    await command("SIM-BULB-CT", { on_off: false });
    await waitFor(
      () => stick.delivered.some((z) => z.cluster === Cluster.ON_OFF && z.command === 0x00),
      "genOnOff off after the garbage",
    );
  }, 30_000);

  it("reports error while the stick is unplugged and recovers after a replug", async () => {
    const startsBefore = networkUp(h).length;
    await pty.unplug();
    await waitFor(async () => (await integration()).health?.status === "error", "integration status error");
    const down = await integration();
    expect(down.status).toBe("enabled");
    expect(down.health.reason).toContain(`the Zigbee stick at ${pty.a}`);
    const ready = await fetch(h.url("/health/ready"), { headers: headers() });
    expect(ready.status).toBe(200);
    const report: Json = await ready.json();
    expect(report.status).toBe("degraded");
    expect(report.checks.plugins.plugins.zigbee).toMatchObject({ status: "degraded", state: "started" });
    expect(report.checks.plugins.plugins.zigbee.detail).toContain("error: the Zigbee stick at");
    expect(((await (await fetch(h.url("/health"))).json()) as Json).status).toBe("degraded");
    // Its devices are unavailable while the stick is gone.
    await waitFor(async () => (await device("SIM-BULB-CT")).available === false, "the bulb unavailable");
    expect(h.proc.exitCode).toBeNull();

    // A new socat pair on the same links; the simulator (same NV, same devices) opens its end again.
    await pty.replug();
    await waitFor(async () => (await integration()).health?.status === "ok", "recovery", 20_000);
    expect(networkUp(h).length).toBe(startsBefore + 1);
    expect(networkUp(h).at(-1)?.started).toBe("resumed");
    expect(
      ((await (await fetch(h.url("/health/ready"), { headers: headers() })).json()) as Json).status,
    ).toBe("healthy");
    // The bulb said nothing since: it is available again because the plugin pinged it on reconnect.
    await waitFor(async () => (await device("SIM-BULB-CT")).available === true, "the bulb available again");
    stick.delivered.length = 0;
    await command("SIM-BULB-CT", { on_off: true });
    await waitFor(
      () => stick.delivered.some((z) => z.cluster === Cluster.ON_OFF && z.command === 0x01),
      "genOnOff on after the replug",
    );
    await waitFor(
      async () => (await device("SIM-BULB-CT")).state.reported.on_off === true,
      "the bulb reported on",
    );
  }, 60_000);

  it("keeps the network and devices over a restart of the binary", async () => {
    const before = (await zigbeeDevices()).map((d: Json) => [d.id, d.attributes.ieee]).sort();
    expect(before).toHaveLength(3);
    const nib = Buffer.from(stick.nv.get(0x21) ?? []).toString("hex");
    const simDevices = stick.devices.size;
    expect(h.logs.filter((l) => l.msg === "zigbee network parameters generated")).toHaveLength(1);
    h.proc.kill("SIGTERM");
    expect(await h.exited).toBe(0);

    h = await start();
    await waitFor(() => networkUp(h).length === 1, "zigbee network up after the restart");
    // herdsman found its network on the stick as it left it: resumed, not formed again.
    expect(networkUp(h)[0]?.started).toBe("resumed");
    expect(Buffer.from(stick.nv.get(0x21) ?? []).toString("hex")).toBe(nib);
    expect(stick.devices.size).toBe(simDevices);
    expect((await integration()).health?.status).toBe("ok");
    expect((await zigbeeDevices()).map((d: Json) => [d.id, d.attributes.ieee]).sort()).toEqual(before);
    // The PAN id, extended PAN id and network key came from the secret store, not generated again.
    expect(h.logs.some((l) => l.msg === "zigbee network parameters generated")).toBe(false);

    // No re-join (the simulator is not asked to join anything): the devices answer and report under
    // their old ids, and are not joined or interviewed again meanwhile.
    const sse = await eventStream("*");
    try {
      stick.delivered.length = 0;
      await command("SIM-BULB-CT", { on_off: false });
      await waitFor(
        () => stick.delivered.some((z) => z.cluster === Cluster.ON_OFF && z.command === 0x00),
        "genOnOff off after the restart",
      );
      stick.report("climate", Cluster.TEMPERATURE, { 0: 2100 });
      await waitFor(
        () =>
          stateChanged(sse.events, "SIM-CLIMATE", "temperature", 21) !== undefined &&
          stateChanged(sse.events, "SIM-BULB-CT", "on_off", false) !== undefined,
        "the command's and the report's state changes after the restart",
      );
      expect(sse.events.filter((e) => e.type.startsWith("zigbee.device_"))).toEqual([]);
    } finally {
      sse.close();
    }
  }, 60_000);
});
